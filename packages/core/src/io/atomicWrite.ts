import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes chunks to a hidden temporary file beside `path` and renames it into place,
 * so a crash or error never leaves a half-written file under the real name.
 */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const fd = openSync(temporary, 'w');
  try {
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
    }
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
