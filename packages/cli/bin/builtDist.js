// Whether the repository's built packages (`pnpm build`: packages/*/dist) still match their
// source. Plain JavaScript: bin/hooklens.js runs it before anything can load TypeScript.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The packages `pnpm build` compiles, in dependency order. */
export const BUILT_PACKAGES = ['core', 'hooks', 'ui', 'cli'];
/** Written by `pnpm build` once everything built: `{ "builtAt": <ms since the epoch, taken before the build read any source> }`. */
export const BUILD_STAMP = join(REPO_ROOT, 'packages', 'cli', 'dist', '.build-stamp.json');
/** The dashboard's own source: Vite builds it into packages/ui/dist/client, which source and dist runs both serve. */
const NOT_COMPILED = join(REPO_ROOT, 'packages', 'ui', 'src', 'client');

/** Why packages/*\/dist cannot stand in for the source (one line), or undefined when it can. */
export function staleDistReason() {
  let builtAt;
  try {
    builtAt = JSON.parse(readFileSync(BUILD_STAMP, 'utf8')).builtAt;
  } catch {
    return 'not built (no packages/cli/dist/.build-stamp.json; run pnpm build)';
  }
  if (typeof builtAt !== 'number') return 'packages/cli/dist/.build-stamp.json is unreadable';
  for (const name of BUILT_PACKAGES) {
    const changed = newerThan(join(REPO_ROOT, 'packages', name, 'src'), builtAt);
    if (changed) return `${changed.slice(REPO_ROOT.length)} changed since the last pnpm build`;
  }
  return undefined;
}

/** The first file or folder under `dir` modified after `time` (a folder's time covers files added or removed in it). */
function newerThan(dir, time) {
  if (dir === NOT_COMPILED) return undefined;
  if (statSync(dir).mtimeMs > time) return dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const changed = entry.isDirectory() ? newerThan(path, time) : statSync(path).mtimeMs > time ? path : undefined;
    if (changed) return changed;
  }
  return undefined;
}
