/**
 * Downloads one file of a hub repository into the cache's blobs/ directory, verified.
 *
 * The bytes go to blobs/<etag>.incomplete (the name Python's huggingface_hub uses, so either side can
 * resume the other's partial download) and are renamed to blobs/<etag> only once their size and hash
 * match what the hub's tree listing promised: sha256 for LFS files, the git blob sha1 otherwise.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, lstatSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { downloadFile, type ListFileEntry } from '@huggingface/hub';
import { HubError, hubFailure, hubHost, HubTimeout, streamFailure } from './errors.ts';

export interface HubConnection {
  hubUrl: string;
  accessToken?: string;
  fetch?: typeof fetch;
}

/** What a file must hash to, from the hub's tree listing. */
export interface ExpectedBlob {
  /** The blob's name in the cache: the LFS sha256 or the git blob sha1. */
  etag: string;
  size: number;
  algorithm: 'sha256' | 'git-sha1';
}

/**
 * What `entry` of `repo`'s listing must hash to, checked before any of it names a path: the oid is
 * the blob's file name, so it must be exactly the hex digest its algorithm gives (64 digits for an
 * LFS sha256, 40 for a git sha1), and the size a whole number of bytes.
 */
export function expectedBlob(repo: string, entry: ListFileEntry): ExpectedBlob {
  const lfs = entry.lfs as Partial<NonNullable<ListFileEntry['lfs']>> | undefined;
  const [field, etag, size, algorithm, digits] = lfs
    ? ['lfs.oid', lfs.oid, lfs.size, 'sha256', 64] as const
    : ['oid', entry.oid, entry.size, 'git-sha1', 40] as const;
  if (etag === undefined || etag === null || etag === '') {
    throw new HubError(`${repo}/${entry.path}: the hub's listing gives no hash to name and verify it by`);
  }
  if (typeof etag !== 'string' || !new RegExp(`^[0-9a-f]{${digits}}$`).test(etag)) {
    throw new HubError(`${repo}/${entry.path}: the hub's listing gives ${field} ${JSON.stringify(etag).slice(0, 80)}, not ${digits} hex digits`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new HubError(`${repo}/${entry.path}: the hub's listing gives size ${JSON.stringify(size)}, not a byte count`);
  }
  return { etag, size, algorithm };
}

function startHash(expected: ExpectedBlob): Hash {
  if (expected.algorithm === 'sha256') return createHash('sha256');
  // git hashes "blob <size>\0" followed by the content.
  return createHash('sha1').update(`blob ${expected.size}\0`);
}

/** The size of the regular file at `path`, never following a symlink; undefined for anything else. */
function regularFileSize(path: string): number | undefined {
  try {
    const stats = lstatSync(path);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

async function hashFile(hash: Hash, path: string): Promise<void> {
  const file = await open(path, READ_NO_FOLLOW);
  try {
    for await (const chunk of file.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await file.close();
  }
}

// The cache's own files are opened without following symlinks: a link planted under a blob's name
// could otherwise make us read or extend a file outside the cache.
const READ_NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
const writeNoFollow = (append: boolean) =>
  constants.O_WRONLY | constants.O_CREAT | (append ? constants.O_APPEND : constants.O_TRUNC) | (constants.O_NOFOLLOW ?? 0);

/** Whether blobs/<etag> is already there and holds exactly the expected bytes (hashed, not trusted). */
async function verifiedBlob(blobPath: string, expected: ExpectedBlob): Promise<boolean> {
  if (regularFileSize(blobPath) !== expected.size) return false;
  const hash = startHash(expected);
  try {
    await hashFile(hash, blobPath);
  } catch {
    return false;
  }
  return hash.digest('hex') === expected.etag;
}

/**
 * Makes blobs/<etag> hold `path` of `repo` at `commit`, resuming a partial download when one is there.
 * `onBytes` hears every chunk (and the bytes a resume starts from).
 */
export async function downloadBlob(
  params: { repo: string; commit: string; path: string; expected: ExpectedBlob; blobPath: string; connection: HubConnection },
  onBytes: (count: number) => void,
): Promise<void> {
  const { repo, commit, path, expected, blobPath, connection } = params;
  if (await verifiedBlob(blobPath, expected)) {
    onBytes(expected.size);
    return;
  }
  // Whatever is there (a damaged blob, a symlink) stays until the verified download replaces it.
  const incomplete = `${blobPath}.incomplete`;
  const hash = startHash(expected);
  let offset = regularFileSize(incomplete);
  if (offset === undefined || offset >= expected.size) {
    rmSync(incomplete, { force: true });
    offset = 0;
  }
  if (offset > 0) {
    await hashFile(hash, incomplete);
    onBytes(offset);
  }

  let blob: Blob | null;
  try {
    blob = await downloadFile({
      repo,
      path,
      revision: commit,
      hubUrl: connection.hubUrl,
      // Plain HTTP from the resolve URL (redirected to the CDN) rather than the xet protocol: one
      // well-trodden path that every hub mirror and our test server speak.
      xet: false,
      ...(connection.accessToken ? { accessToken: connection.accessToken } : {}),
      ...(connection.fetch ? { fetch: connection.fetch } : {}),
    });
  } catch (error) {
    throw hubFailure(error, connection.hubUrl, `${repo}/${path}`);
  }
  if (blob === null) throw new HubError(`${repo}/${path}: listed at commit ${commit} but ${hubHost(connection.hubUrl)} has no such file`);
  if (blob.size !== expected.size) {
    throw new HubError(`${repo}/${path}: ${hubHost(connection.hubUrl)} serves ${blob.size} bytes, its listing says ${expected.size}`);
  }

  const file = await open(incomplete, writeNoFollow(offset > 0));
  const body = (offset > 0 ? blob.slice(offset) : blob).stream();
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body as NodeReadableStream), tap, file.createWriteStream());
  } catch (error) {
    if (error instanceof HubTimeout) {
      throw new HubError(`download of ${repo}/${path} stopped: ${error.message}; run the pull again to resume`);
    }
    // The partial file stays (invisible under its .incomplete name) so the next pull resumes it.
    throw new HubError(`download of ${repo}/${path} from ${hubHost(connection.hubUrl)} was interrupted (${streamFailure(error)}); run the pull again to resume`);
  }

  const size = regularFileSize(incomplete);
  const digest = hash.digest('hex');
  if (size !== expected.size || digest !== expected.etag) {
    rmSync(incomplete, { force: true });
    const got = size !== expected.size ? `${size} bytes instead of ${expected.size}` : `${expected.algorithm} ${digest}, expected ${expected.etag}`;
    throw new HubError(`${repo}/${path}: checksum mismatch (${got}); removed the download, run the pull again`);
  }
  renameSync(incomplete, blobPath);
}
