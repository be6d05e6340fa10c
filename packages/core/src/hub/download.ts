/**
 * Downloads one file of a hub repository into the cache's blobs/ directory, verified.
 *
 * The bytes go to blobs/<etag>.incomplete (the name Python's huggingface_hub uses, so either side can
 * resume the other's partial download) and are renamed to blobs/<etag> only once their size and hash
 * match what the hub's tree listing promised: sha256 for LFS files, the git blob sha1 otherwise.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { downloadFile, type ListFileEntry } from '@huggingface/hub';
import { HubError, hubFailure, hubHost, streamFailure } from './errors.ts';

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

export function expectedBlob(entry: ListFileEntry): ExpectedBlob | undefined {
  if (entry.lfs) return { etag: entry.lfs.oid, size: entry.lfs.size, algorithm: 'sha256' };
  if (entry.oid) return { etag: entry.oid, size: entry.size, algorithm: 'git-sha1' };
  return undefined;
}

function startHash(expected: ExpectedBlob): Hash {
  if (expected.algorithm === 'sha256') return createHash('sha256');
  // git hashes "blob <size>\0" followed by the content.
  return createHash('sha1').update(`blob ${expected.size}\0`);
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
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
  if (fileSize(blobPath) === expected.size) {
    onBytes(expected.size);
    return;
  }
  const incomplete = `${blobPath}.incomplete`;
  const hash = startHash(expected);
  let offset = fileSize(incomplete) ?? 0;
  if (offset >= expected.size) {
    rmSync(incomplete, { force: true });
    offset = 0;
  }
  if (offset > 0) {
    for await (const chunk of createReadStream(incomplete)) hash.update(chunk as Buffer);
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

  const body = (offset > 0 ? blob.slice(offset) : blob).stream();
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body as NodeReadableStream), tap, createWriteStream(incomplete, { flags: offset > 0 ? 'a' : 'w' }));
  } catch (error) {
    // The partial file stays (invisible under its .incomplete name) so the next pull resumes it.
    throw new HubError(`download of ${repo}/${path} from ${hubHost(connection.hubUrl)} was interrupted (${streamFailure(error)}); run the pull again to resume`);
  }

  const size = fileSize(incomplete);
  const digest = hash.digest('hex');
  if (size !== expected.size || digest !== expected.etag) {
    rmSync(incomplete, { force: true });
    const got = size !== expected.size ? `${size} bytes instead of ${expected.size}` : `${expected.algorithm} ${digest}, expected ${expected.etag}`;
    throw new HubError(`${repo}/${path}: checksum mismatch (${got}); removed the download, run the pull again`);
  }
  renameSync(incomplete, blobPath);
}
