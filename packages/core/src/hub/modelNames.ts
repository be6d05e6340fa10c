/**
 * The names `--model` accepts without a path, for messages about one it does not know: the
 * shipped models, and the cached repositories with the short names they serve. A mistyped name
 * gets the nearest of these (or of the short names `hooklens pull` knows) as a suggestion.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nearestStrings } from '../nearest.ts';
import { cachedSnapshot, isDirectory, isFile, repoCacheDir } from './cache.ts';
import { SHORT_NAMES } from './names.ts';
import { listShippedModels } from './shipped.ts';

/** At most this many names of each kind in a message. */
const LISTED = 12;

export interface ModelNames {
  shipped: string[];
  /** Short names whose files are cached, then every cached ORG/NAME. */
  cached: string[];
}

export function modelNames(cacheDir: string, shippedDir?: string): ModelNames {
  const shipped = listShippedModels(shippedDir).map((model) => model.name);
  if (!isDirectory(cacheDir)) return { shipped, cached: [] };
  // huggingface_hub names a repository's folder models--ORG--NAME.
  const repos = readdirSync(cacheDir)
    .filter((name) => name.startsWith('models--'))
    .map((name) => name.slice('models--'.length).replace('--', '/'))
    .filter((repo) => cachedSnapshot(repoCacheDir(repo, cacheDir)) !== undefined)
    .sort();
  const shortNames = Object.entries(SHORT_NAMES)
    .filter(([, target]) => {
      const snapshot = repos.includes(target.repo) ? cachedSnapshot(repoCacheDir(target.repo, cacheDir)) : undefined;
      return snapshot !== undefined && (target.file === undefined || isFile(join(snapshot, target.file)));
    })
    .map(([name]) => name);
  return { shipped, cached: [...shortNames, ...repos] };
}

/**
 * The closest of `candidates` to `name` (ignoring case) when it is close enough to be a typo:
 * at most a third of the name's letters (and at least two) changed.
 */
export function closeName(name: string, candidates: readonly string[]): string | undefined {
  const lower = candidates.map((candidate) => candidate.toLowerCase());
  const [nearest] = nearestStrings(lower, name.toLowerCase(), 1, Math.max(2, Math.floor(name.length / 3)));
  return nearest === undefined ? undefined : candidates[lower.indexOf(nearest)];
}

/** "shipped: a, b; cached: c" for a message. */
export function describeModelNames({ shipped, cached }: ModelNames): string {
  const list = (names: string[]) => (names.length === 0 ? 'none' : names.length > LISTED ? `${names.slice(0, LISTED).join(', ')}, … (${names.length})` : names.join(', '));
  return `shipped: ${list(shipped)}; cached: ${list(cached)}`;
}
