import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A temporary left by a writer that no longer runs is removed once its owner process is gone, or
 * regardless once it has not been touched for this long (the owner's pid may have been reused).
 * A live writer touches its file with every chunk, so a day-old one is nobody's.
 */
export const STALE_TEMPORARY_MS = 24 * 60 * 60 * 1000;

// O_EXCL: fails on anything already there, a planted symlink included (it is never followed);
// O_NOFOLLOW says the same for systems where O_EXCL alone might not.
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes chunks to a new hidden temporary file beside `path` (`.NAME.PID.RANDOM.partial`, created
 * exclusively, so a file or symlink planted under a guessed name cannot redirect the write) and
 * renames it into place, so a crash or error never leaves a half-written file under the real name.
 * Temporaries of earlier writes to the same `path` whose process has died are removed first.
 */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  removeAbandonedTemporaries(path);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(8).toString('hex')}.partial`);
  const fd = openSync(temporary, CREATE_NEW, 0o666);
  try {
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** `value` as JSON (plus a final newline), written atomically as {@link writeFileAtomic} does. */
export function writeJsonAtomic(path: string, value: unknown, indent?: number): void {
  writeFileAtomic(path, [new TextEncoder().encode(`${JSON.stringify(value, null, indent)}\n`)]);
}

/**
 * Removes the temporaries earlier writes to `path` left behind when killed (kill -9, power loss):
 * only names of this target (`.NAME.PID[.RANDOM].partial`; the older form had no random part), and
 * only when process PID is gone or the file is stale. A concurrent writer of the same target, in
 * this process or another, is alive and recent, so its temporary is left alone.
 */
export function removeAbandonedTemporaries(path: string, now = Date.now()): void {
  removeAbandonedSiblings(path, /^(\d+)\.(?:[0-9a-f]{16}\.)?partial$/, now);
}

/**
 * Removes, beside `path`, the entries named `.NAME.` + a suffix matching `owner` (whose first group
 * is the writer's pid) when that writer is gone or the entry is stale; directories whole, symlinks
 * themselves (never what they point to).
 */
export function removeAbandonedSiblings(path: string, owner: RegExp, now = Date.now()): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no directory yet: the write itself will say so
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = owner.exec(name.slice(prefix.length));
    if (match === null) continue;
    const leftover = join(dir, name);
    let modified: number;
    try {
      modified = lstatSync(leftover).mtimeMs;
    } catch {
      continue; // its writer just renamed or removed it
    }
    if (processAlive(Number(match[1])) && now - modified < STALE_TEMPORARY_MS) continue;
    try {
      rmSync(leftover, { recursive: true, force: true });
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
