import type { Command } from './command.ts';
import { ablateCommand } from './ablate.ts';
import { cacheCommand } from './cache.ts';
import { demoCommand } from './demo.ts';
import { generateCommand } from './generate.ts';
import { headsCommand } from './heads.ts';
import { infoCommand } from './info.ts';
import { modelsCommand } from './models.ts';
import { pullCommand } from './pull.ts';
import { trainCommand } from './train.ts';
import { lensCommand } from './lens.ts';
import { patchCommand } from './patch.ts';
import { serveCommand } from './serve.ts';
import { runCommand } from './run.ts';

export const COMMANDS: readonly Command[] = [demoCommand, infoCommand, cacheCommand, generateCommand, lensCommand, ablateCommand, headsCommand, patchCommand, runCommand, pullCommand, modelsCommand, trainCommand, serveCommand];
