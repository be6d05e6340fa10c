/** What the hub cache holds, for `hooklens models`. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { hubCacheDir } from './cache.ts';
import { shortNamesFor } from './names.ts';

export interface CachedModel {
  repo: string;
  commit: string;
  /** Branches (refs/…) that point at this commit. */
  refs: string[];
  /** Bytes of the snapshot's files. */
  size: number;
  path: string;
  files: string[];
  /** Short names that map to this repository. */
  names: string[];
}

export interface CacheListing {
  dir: string;
  models: CachedModel[];
  /** Repositories the scan could not read (a ref naming a missing snapshot, …), one line each. */
  warnings: string[];
}

export async function listCachedModels(cacheDir = hubCacheDir()): Promise<CacheListing> {
  if (!existsSync(cacheDir)) return { dir: cacheDir, models: [], warnings: [] };
  const scan = await scanCacheDir(cacheDir);
  const models = scan.repos
    .filter((repo) => repo.id.type === 'model')
    .flatMap((repo) => repo.revisions.map((revision) => {
      const files = snapshotFiles(revision.path);
      return {
        repo: repo.id.name,
        commit: revision.commitOid,
        refs: [...revision.refs].sort(),
        size: files.reduce((total, file) => total + file.size, 0),
        path: revision.path,
        files: files.map((file) => file.path),
        names: shortNamesFor(repo.id.name),
      };
    }))
    .sort((a, b) => a.repo.localeCompare(b.repo) || a.commit.localeCompare(b.commit));
  return { dir: cacheDir, models, warnings: scan.warnings.map((warning) => warning.message) };
}

/** Every file under a snapshot with its blob's size; the library's scan skips subdirectories. */
function snapshotFiles(dir: string, prefix = ''): { path: string; size: number }[] {
  const found: { path: string; size: number }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      continue; // a link whose blob is gone
    }
    if (stats.isDirectory()) found.push(...snapshotFiles(path, `${prefix}${name}/`));
    else found.push({ path: `${prefix}${name}`, size: stats.size });
  }
  return found;
}
