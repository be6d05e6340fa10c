/**
 * `pnpm build`: the published packages' JavaScript and declarations (tsc project references,
 * tsconfig.build.json → packages/{core,hooks,ui,cli}/dist) and the dashboard (Vite →
 * packages/ui/dist/client), then the stamp that lets bin/hooklens.js run dist/ instead of the
 * source. Both steps skip what is already up to date, so a second build takes seconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildClient } from '../packages/ui/scripts/buildClient.ts';
import { BUILD_STAMP, REPO_ROOT } from '../packages/cli/bin/builtDist.js';

export interface BuildOptions {
  quiet?: boolean;
}

/** Builds everything; throws with tsc's output when it fails (and leaves no stamp behind). */
export async function buildPackages(options: BuildOptions = {}): Promise<void> {
  rmSync(BUILD_STAMP, { force: true });
  const builtAt = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', join(REPO_ROOT, 'tsconfig.build.json')], { encoding: 'utf8', cwd: REPO_ROOT });
  if (result.status !== 0) throw new Error(`tsc -b tsconfig.build.json failed:\n${result.stdout}${result.stderr}`);
  const client = await buildClient({ ifStale: true, quiet: options.quiet });
  if (!options.quiet) process.stdout.write(client.built ? `built the dashboard (${client.reason})\n` : 'dashboard up to date\n');
  mkdirSync(dirname(BUILD_STAMP), { recursive: true });
  writeFileSync(BUILD_STAMP, `${JSON.stringify({ builtAt })}\n`);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  try {
    await buildPackages();
    process.stdout.write('built packages/{core,hooks,ui,cli}/dist\n');
  } catch (error) {
    process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
