#!/usr/bin/env node
// `hooklens` in the repository (the published package's bin is dist/main.js itself). It runs the
// built CLI when `pnpm build` output is newer than every source file, else the TypeScript source
// through tsx's loader (slower to start, never stale). The packages' exports point at source, so
// tsx, vitest, Vite and tsc never need a build and never see an old one; the `hooklens-dist`
// condition switches every @hooklens/* import to dist/ instead. Node reads conditions only at
// start (and passes them to worker threads), hence the child process. HOOKLENS_FROM_SOURCE=1
// runs the source even when dist is fresh.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { staleDistReason } from './builtDist.js';

const args = process.argv.slice(2);
if (process.env.HOOKLENS_FROM_SOURCE !== '1' && staleDistReason() === undefined) {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=hooklens-dist', main, ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal; forwarding SIGINT too would stop it twice.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
