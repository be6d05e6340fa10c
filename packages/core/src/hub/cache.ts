/**
 * The Hugging Face hub cache, laid out exactly as Python's huggingface_hub lays it out so each side
 * finds what the other downloaded:
 *   $HF_HUB_CACHE (default $HF_HOME/hub, default ~/.cache/huggingface/hub)
 *     models--ORG--NAME/
 *       blobs/<etag>                 file contents, named by sha256 (LFS files) or git blob sha1
 *       snapshots/<commit>/<path>    relative symlinks into blobs/
 *       refs/<branch>                the commit a branch pointed to when last pulled
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HubError } from './errors.ts';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';

/** The hub cache directory, from the same environment variables Python reads. */
export function hubCacheDir(): string {
  return getHFHubCachePath();
}

/** models--ORG--NAME inside `cacheDir`. */
export function repoCacheDir(repo: string, cacheDir = hubCacheDir()): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/**
 * `root` joined with `parts`, resolved, and checked to lie strictly inside `root`: the last guard
 * between a name the hub (or a user) sent and a path we write. Validation of the names comes first;
 * this catches whatever it missed.
 */
export function pathInside(root: string, ...parts: string[]): string {
  const path = resolve(root, ...parts);
  const rel = relative(resolve(root), path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new HubError(`${parts.join('/')}: resolves to ${path}, outside ${root}; refusing to touch it`);
  }
  return path;
}

/**
 * The snapshot directory `revision` (a branch or tag with a refs/ file, or a commit) names in a
 * cached repository, or undefined when it is not there. Without a revision: refs/main, else the
 * newest snapshot (a repo pulled only by commit has no refs/main).
 */
export function cachedSnapshot(repoDir: string, revision?: string): string | undefined {
  const snapshots = join(repoDir, 'snapshots');
  const ref = revision ?? 'main';
  const commit = COMMIT_HASH.test(ref) ? ref : readRef(repoDir, ref);
  if (commit !== undefined) {
    const dir = join(snapshots, commit);
    return isDirectory(dir) ? dir : undefined;
  }
  if (revision !== undefined || !isDirectory(snapshots)) return undefined;
  const newest = readdirSync(snapshots)
    .filter((name) => COMMIT_HASH.test(name) && isDirectory(join(snapshots, name)))
    .map((name) => ({ name, mtime: statSync(join(snapshots, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)[0];
  return newest === undefined ? undefined : join(snapshots, newest.name);
}

function readRef(repoDir: string, ref: string): string | undefined {
  const path = pathInside(join(repoDir, 'refs'), ref);
  if (!existsSync(path)) return undefined;
  const commit = readFileSync(path, 'utf8').trim();
  return COMMIT_HASH.test(commit) ? commit : undefined;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True for a regular file, following symlinks (a snapshot entry whose blob is missing is not one). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
