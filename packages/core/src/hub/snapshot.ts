/**
 * Makes a pulled revision visible: snapshots/<commit>/<path> links to the verified blobs, then
 * refs/<branch>. A new snapshot is built under a staging name at the same depth and renamed into place,
 * so a reader sees either no snapshot or a complete one.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '../io/atomicWrite.ts';
import { isDirectory, isFile, pathInside } from './cache.ts';

export interface SnapshotFile {
  /** Path inside the repository (and the snapshot). */
  path: string;
  blobPath: string;
}

const STAGING_DIR = '.hooklens-staging';

/** Links `files` into snapshots/<commit> of `repoDir` and returns that directory. */
export function publishSnapshot(repoDir: string, commit: string, files: SnapshotFile[]): string {
  const snapshot = join(repoDir, 'snapshots', commit);
  mkdirSync(dirname(snapshot), { recursive: true });
  if (!isDirectory(snapshot)) {
    const staging = join(repoDir, STAGING_DIR, `${commit}.${process.pid}.${randomBytes(8).toString('hex')}`);
    try {
      for (const file of files) linkBlob(pathInside(staging, file.path), file.blobPath, pathInside(snapshot, file.path));
      renameSync(staging, snapshot);
      return snapshot;
    } catch (error) {
      // Someone else (another pull, Python) created the snapshot meanwhile: add our files to theirs.
      if (!isDirectory(snapshot)) throw error;
    } finally {
      rmSync(staging, { recursive: true, force: true });
      removeIfEmpty(join(repoDir, STAGING_DIR));
    }
  }
  // An existing snapshot (an earlier pull of other files of this commit): each link appears atomically.
  for (const file of files) {
    const link = pathInside(snapshot, file.path);
    if (isFile(link) && pointsTo(link, file.blobPath)) continue;
    const temporary = `${link}.${process.pid}.${randomBytes(8).toString('hex')}.linking`;
    linkBlob(temporary, file.blobPath, link);
    renameSync(temporary, link);
  }
  return snapshot;
}

/** Writes refs/<ref> = commit, atomically (Python writes the bare hash, no newline). */
export function writeRef(repoDir: string, ref: string, commit: string): void {
  const path = pathInside(join(repoDir, 'refs'), ref);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, [new TextEncoder().encode(commit)]);
}

/**
 * Creates `at` as a relative symlink to `blobPath`, computed for where the link will finally live
 * (`finalPath`, same depth); copies the blob where symlinks are not allowed (Windows without
 * developer mode), as huggingface_hub does.
 */
function linkBlob(at: string, blobPath: string, finalPath: string): void {
  mkdirSync(dirname(at), { recursive: true });
  rmSync(at, { force: true });
  try {
    symlinkSync(relative(dirname(finalPath), blobPath), at);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    copyFileSync(blobPath, at);
  }
}

function pointsTo(link: string, blobPath: string): boolean {
  try {
    return join(dirname(link), readlinkSync(link)) === blobPath;
  } catch {
    return existsSync(link); // a copied blob
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (a concurrent pull is staging) or already gone
  }
}
