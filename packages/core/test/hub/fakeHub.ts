/**
 * A stand-in for huggingface.co on 127.0.0.1, answering the requests @huggingface/hub makes:
 *   GET /api/models/ORG/NAME/revision/REV   → { sha, … }
 *   GET /api/models/ORG/NAME/tree/REV       → [{ type, path, size, oid, lfs? }]
 *   GET /ORG/NAME/resolve/REV/PATH          → the bytes (Range aware), with ETag / X-Linked-ETag /
 *                                             X-Linked-Size / X-Repo-Commit like the real hub
 * Faults on demand: `truncate` closes the socket halfway through a file, `corrupt` serves it with a
 * byte flipped, `stall` sends half of it and then nothing, `silent` accepts every connection and never
 * answers. A hostile hub: `anyRevision` answers every revision name with the repo's commit, and
 * `editListing` rewrites the tree listing it sends.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  commit: string;
  /** path → contents; *.safetensors and *.bin are served as LFS files. */
  files: Map<string, Uint8Array>;
}

export interface FakeHub {
  url: string;
  repos: Map<string, FakeRepo>;
  /** Every request, as "METHOD PATH" (query dropped). */
  requests: string[];
  /** Range headers of file requests other than the bytes=0-0 size probe, as "PATH RANGE". */
  ranges: string[];
  /** Files (repo/path) to cut off halfway, once each. */
  truncate: Set<string>;
  /** Files (repo/path) to serve with a flipped byte. */
  corrupt: Set<string>;
  /** Files (repo/path) to send half of, then keep the connection open and silent. */
  stall: Set<string>;
  /** Accept connections, never answer. */
  silent: boolean;
  /** Answer any revision (a hostile hub), not only main and the commit. */
  anyRevision: boolean;
  /** Rewrites the tree listing of a repository before it is sent. */
  editListing: ((repo: string, entries: TreeEntry[]) => TreeEntry[]) | undefined;
  close(): Promise<void>;
}

export interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

export const isLfs = (path: string) => /\.(safetensors|bin)$/.test(path);
export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
export const gitOid = (data: Uint8Array) => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
/** The name huggingface_hub gives a file's blob: LFS sha256, else git blob sha1. */
export const blobName = (path: string, data: Uint8Array) => (isLfs(path) ? sha256(data) : gitOid(data));

export async function startFakeHub(repos: Map<string, FakeRepo>): Promise<FakeHub> {
  const hub: Omit<FakeHub, 'url' | 'close'> = {
    repos, requests: [], ranges: [], truncate: new Set(), corrupt: new Set(), stall: new Set(), silent: false, anyRevision: false, editListing: undefined,
  };
  const server: Server = createServer((request, response) => {
    hub.requests.push(`${request.method} ${request.url!.split('?')[0]}`);
    if (hub.silent) return;
    try {
      route(hub, request, response);
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // The same object the routes read, so tests can switch faults on and off.
  return Object.assign(hub, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function notFound(response: ServerResponse, code: string, message: string): void {
  json(response, 404, { error: message }, { 'x-error-code': code });
}

function route(hub: Omit<FakeHub, 'url' | 'close'>, request: IncomingMessage, response: ServerResponse): void {
  // Matched before decoding: a revision is one URL-encoded segment even when it holds "/".
  const path = request.url!.split('?')[0];
  const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(path);
  const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
  const repoId = api?.[1] ?? resolve?.[1];
  const repo = repoId === undefined ? undefined : hub.repos.get(repoId);
  if (!repo) return notFound(response, 'RepoNotFound', 'Repository not found');
  const revision = decodeURIComponent(api?.[3] ?? resolve![2]);
  if (revision !== 'main' && revision !== repo.commit && !hub.anyRevision) return notFound(response, 'RevisionNotFound', `Invalid rev id: ${revision}`);

  if (api?.[2] === 'revision') {
    return json(response, 200, { _id: 'x', id: repoId, sha: repo.commit, private: false, gated: false, downloads: 0, likes: 0, lastModified: '2024-01-01T00:00:00.000Z' });
  }
  if (api?.[2] === 'tree') {
    const entries: TreeEntry[] = [...repo.files].map(([file, data]) => ({
      type: 'file',
      path: file,
      size: data.length,
      oid: gitOid(isLfs(file) ? new TextEncoder().encode(`pointer ${sha256(data)}`) : data),
      ...(isLfs(file) ? { lfs: { oid: sha256(data), size: data.length, pointerSize: 134 } } : {}),
    }));
    const dirs = new Set([...repo.files.keys()].filter((file) => file.includes('/')).map((file) => file.slice(0, file.lastIndexOf('/'))));
    const listing = [...[...dirs].map((dir) => ({ type: 'directory', path: dir, size: 0, oid: '0'.repeat(40) })), ...entries];
    return json(response, 200, hub.editListing ? hub.editListing(repoId!, listing) : listing);
  }

  const file = decodeURIComponent(resolve![3]);
  const original = repo.files.get(file);
  if (!original) return notFound(response, 'EntryNotFound', `${file} does not exist`);
  const key = `${repoId}/${file}`;
  let data = original;
  if (hub.corrupt.has(key)) {
    data = Uint8Array.from(original);
    data[data.length >> 1] ^= 0xff;
  }
  const etag = `"${blobName(file, original)}"`;
  const headers: Record<string, string> = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    etag,
    'x-repo-commit': repo.commit,
    ...(isLfs(file) ? { 'x-linked-etag': etag, 'x-linked-size': String(original.length) } : {}),
  };
  if (request.headers.range && request.headers.range !== 'bytes=0-0') hub.ranges.push(`${file} ${request.headers.range}`);
  const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] !== '' ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
  const body = data.subarray(start, end + 1);
  const status = range ? 206 : 200;
  response.writeHead(status, {
    ...headers,
    'content-length': String(body.length),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {}),
  });
  if (request.method === 'HEAD') return void response.end();
  if (hub.stall.has(key) && body.length > 1) {
    response.write(body.subarray(0, body.length >> 1)); // and then nothing, until the test closes the hub
    return;
  }
  // The size probe (bytes=0-0) is never cut; the download itself is, once.
  if (hub.truncate.has(key) && body.length > 1) {
    hub.truncate.delete(key);
    // A FIN after the first half (not a reset, which may drop bytes the client has not read yet):
    // the client sees exactly half the file, then the connection close before content-length.
    response.write(body.subarray(0, body.length >> 1), () => setTimeout(() => response.socket?.end(), 50));
    return;
  }
  response.end(body);
}
