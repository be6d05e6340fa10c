import type { Command } from './command.ts';
import { cacheCommand } from './cache.ts';
import { demoCommand } from './demo.ts';
import { generateCommand } from './generate.ts';
import { infoCommand } from './info.ts';

export const COMMANDS: readonly Command[] = [demoCommand, infoCommand, cacheCommand, generateCommand];
