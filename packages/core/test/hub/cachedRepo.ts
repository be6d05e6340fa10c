/**
 * Writes a repository into a Hugging Face cache directory by hand, the way Python's huggingface_hub
 * leaves it (blobs named by content hash, relative snapshot symlinks, refs/main), without pullModel:
 * for tests of what reads the cache (resolveModel, `--model NAME`, serve).
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { sha256 } from './fakeHub.ts';

/** Caches `files` (path in the repo → bytes) as `repo` at `commit`, with refs/main; returns the snapshot. */
export function writeCachedRepo(cacheDir: string, repo: string, commit: string, files: ReadonlyMap<string, Uint8Array>): string {
  const repoDir = join(cacheDir, `models--${repo.replace('/', '--')}`);
  const snapshot = join(repoDir, 'snapshots', commit);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  for (const [path, data] of files) {
    const blob = join(repoDir, 'blobs', sha256(data));
    writeFileSync(blob, data);
    const link = join(snapshot, path);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), blob), link);
  }
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  return snapshot;
}

/** Every file directly inside `dir`, as the `files` of writeCachedRepo. */
export function filesOf(dir: string): Map<string, Uint8Array> {
  return new Map(readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => [entry.name, new Uint8Array(readFileSync(join(dir, entry.name)))]));
}
