/**
 * Builds the dashboard (packages/ui/src/client → packages/ui/dist/client) with Vite, used by
 * `pnpm start` and the browser tests. `ifStale` skips the build when no input changed since the
 * last one, so starting twice does not rebuild.
 *
 * The inputs are not a fixed list of folders: the bundle also pulls in workspace files outside
 * packages/ui (the experiment schema, '@hooklens/hooks/experiment-schema' →
 * packages/hooks/src/experiment/schema.ts), and any import can add more. So each build records
 * every source file Rollup loaded from the repository, plus the Vite config, in
 * dist/client/.inputs.json (a dotfile: the server does not serve it), and the next start compares
 * those files' times with the build's.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

export const UI_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = join(UI_ROOT, '..', '..');
export const CLIENT_DIST = join(UI_ROOT, 'dist', 'client');
export const INPUTS_FILE = '.inputs.json';
/** Inputs that are not modules of the bundle (relative to the repository root). */
const CONFIG_INPUTS = ['packages/ui/vite.config.ts', 'packages/ui/index.html'];

/** What a build read: its start time (ms since the epoch) and its files, relative to the repository root. */
export interface BuildInputs {
  builtAt: number;
  files: string[];
}

/**
 * Why `outDir` needs a rebuild (a one-line reason), or undefined when it is up to date: no
 * record of its inputs, or an input changed or vanished since the build started.
 */
export function staleReason(outDir: string = CLIENT_DIST, root: string = REPO_ROOT): string | undefined {
  const record = join(outDir, INPUTS_FILE);
  if (!existsSync(join(outDir, 'index.html')) || !existsSync(record)) return 'not built yet';
  let inputs: BuildInputs;
  try {
    inputs = JSON.parse(readFileSync(record, 'utf8')) as BuildInputs;
  } catch {
    return `${INPUTS_FILE} is unreadable`;
  }
  if (typeof inputs.builtAt !== 'number' || !Array.isArray(inputs.files)) return `${INPUTS_FILE} is unreadable`;
  for (const file of inputs.files) {
    const path = join(root, file);
    if (!existsSync(path)) return `${file} is gone`;
    if (statSync(path).mtimeMs > inputs.builtAt) return `${file} changed`;
  }
  return undefined;
}

/** The repository's own source files among Rollup's module ids (not dependencies, not virtual modules), relative to `root`. */
export function workspaceSources(moduleIds: Iterable<string>, root: string = REPO_ROOT): string[] {
  const files = new Set<string>();
  for (const id of moduleIds) {
    const path = id.split('?')[0];
    if (!isAbsolute(path)) continue;
    const file = relative(root, path);
    if (file.startsWith('..') || isAbsolute(file) || file.split(sep).includes('node_modules') || !existsSync(path)) continue;
    files.add(file.split(sep).join('/'));
  }
  return [...files].sort();
}

/** A Rollup plugin that reports every module id of the build. */
function recordModules(onIds: (ids: string[]) => void): Plugin {
  return {
    name: 'hooklens-record-inputs',
    apply: 'build',
    generateBundle() {
      onIds([...this.getModuleIds()]);
    },
  };
}

export interface BuildClientOptions {
  /** Skip the build when dist/client is up to date (only for the default outDir). */
  ifStale?: boolean;
  quiet?: boolean;
  /** Build somewhere else than dist/client (tests build into a temp folder so they never race a running server). */
  outDir?: string;
}

export async function buildClient(options: BuildClientOptions = {}): Promise<{ built: boolean; outDir: string; reason?: string }> {
  const outDir = options.outDir ?? CLIENT_DIST;
  if (!options.ifStale || outDir !== CLIENT_DIST) return viteBuild(outDir, 'asked to build', options);
  if (staleReason(outDir) === undefined) return { built: false, outDir };
  // `pnpm start` and `pnpm build` (the package test among them) may both find it stale at once.
  return withLock(`${outDir}.lock`, async () => {
    const reason = staleReason(outDir);
    return reason === undefined ? { built: false, outDir } : viteBuild(outDir, reason, options);
  });
}

/** A lock folder taken by one process at a time; a lock left for 10 minutes is a dead process's. */
async function withLock<T>(lock: string, body: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const takenAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (takenAt !== undefined && Date.now() - takenAt > 600_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function viteBuild(outDir: string, reason: string, options: BuildClientOptions): Promise<{ built: true; outDir: string; reason: string }> {
  const { build } = await import('vite');
  const builtAt = Date.now();
  let moduleIds: string[] = [];
  await build({
    configFile: join(UI_ROOT, 'vite.config.ts'),
    logLevel: options.quiet ? 'error' : 'info',
    build: { outDir, emptyOutDir: true },
    plugins: [recordModules((ids) => (moduleIds = ids))],
  });
  const inputs: BuildInputs = { builtAt, files: [...new Set([...CONFIG_INPUTS, ...workspaceSources(moduleIds)])].sort() };
  writeFileSync(join(outDir, INPUTS_FILE), `${JSON.stringify(inputs, null, 1)}\n`);
  return { built: true, outDir, reason };
}
