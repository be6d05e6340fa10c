/**
 * Builds the dashboard (packages/ui/src/client → packages/ui/dist/client) with Vite, used by
 * `pnpm start` and the browser tests. `ifStale` skips the build when dist/client is newer than
 * every client source, so starting twice does not rebuild.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UI_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLIENT_DIST = join(UI_ROOT, 'dist', 'client');
const SOURCES = ['src/client', 'src/api', 'index.html', 'vite.config.ts'].map((p) => join(UI_ROOT, p));

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Whether dist/client is missing or older than a source file. */
export function clientIsStale(): boolean {
  const index = join(CLIENT_DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return SOURCES.some((source) => existsSync(source) && newestMtime(source) > built);
}

export interface BuildClientOptions {
  /** Skip the build when dist/client is up to date (only for the default outDir). */
  ifStale?: boolean;
  quiet?: boolean;
  /** Build somewhere else than dist/client (tests build into a temp folder so they never race a running server). */
  outDir?: string;
}

export async function buildClient(options: BuildClientOptions = {}): Promise<{ built: boolean; outDir: string }> {
  const outDir = options.outDir ?? CLIENT_DIST;
  if (options.ifStale && outDir === CLIENT_DIST && !clientIsStale()) return { built: false, outDir };
  const { build } = await import('vite');
  await build({ configFile: join(UI_ROOT, 'vite.config.ts'), logLevel: options.quiet ? 'error' : 'info', build: { outDir, emptyOutDir: true } });
  return { built: true, outDir };
}
