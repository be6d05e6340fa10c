/**
 * `pullModel(name)`: downloads a checkpoint from the Hugging Face hub into the hub cache (see
 * cache.ts for the layout), the way Python's huggingface_hub would, so either can use what the other
 * fetched. The hub API (revision → commit, file listing, file bytes) goes through @huggingface/hub's
 * modelInfo, listFiles and downloadFile; the cache writing is ours (download.ts, snapshot.ts) rather
 * than its snapshotDownload / downloadFileToCacheDir (read in @huggingface/hub 2.17.5) because:
 *   - snapshotDownload fetches every file of the repository (GPT-2's holds its weights in several
 *     other formats too) and writes refs/<revision> before the first file arrives;
 *   - downloadFileToCacheDir links each file into snapshots/<commit>/ as soon as it is written, so an
 *     interrupted pull leaves a half snapshot that resolveModel would open;
 *   - it does not check the bytes against the sha256 (LFS) or git sha1 the file listing gives;
 *   - it restarts an interrupted file from byte 0, where Python's huggingface_hub and downloadBlob resume
 *     blobs/<etag>.incomplete with a Range request;
 *   - it takes no progress callback, and logs "Downloading PATH to …" with console.debug (stdout).
 * Pointing it at a staging cache and moving the finished snapshot into place would hide the half
 * snapshot, but none of the rest.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { COMMIT_HASH, hubCacheDir, pathInside, repoCacheDir } from './cache.ts';
import { downloadBlob, expectedBlob, type HubConnection } from './download.ts';
import { HubError, hubFailure, hubHost } from './errors.ts';
import { isSafeRepoPath, isValidRevision, parseHubName, SHORT_NAMES } from './names.ts';
import { publishSnapshot, writeRef } from './snapshot.ts';
import { DEFAULT_HUB_TIMEOUT_MS, fetchWithTimeouts } from './timeouts.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** $HOOKLENS_HUB_URL, else huggingface.co; no trailing slash. */
export function defaultHubUrl(): string {
  return (process.env.HOOKLENS_HUB_URL || DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/** $HF_TOKEN (or the older $HUGGING_FACE_HUB_TOKEN), for gated or private repositories. */
function defaultAccessToken(): string | undefined {
  return process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN || undefined;
}

export interface PullProgress {
  repo: string;
  /** The file now downloading (its path in the repository). */
  file: string;
  fileIndex: number;
  fileCount: number;
  fileSize: number;
  /** Bytes of this repository's selected files present so far, and in all. */
  bytes: number;
  totalBytes: number;
}

export interface PullOptions {
  /** Branch, tag or commit (default: the name's @REVISION, else main). */
  revision?: string;
  hubUrl?: string;
  cacheDir?: string;
  accessToken?: string;
  fetch?: typeof fetch;
  /** How long the hub may stay silent: to answer a request, or between chunks of a file (default 30 s). */
  timeoutMs?: number;
  onProgress?: (progress: PullProgress) => void;
}

export interface PulledRepo {
  repo: string;
  commit: string;
  snapshot: string;
  files: string[];
  bytes: number;
}

export interface PullResult {
  /** What `--model NAME` opens now: the snapshot directory, or the .bin for llama2.c names. */
  path: string;
  /** A tokenizer pulled from another repository (llama2.c short names). */
  tokenizer?: string;
  repos: PulledRepo[];
}

/** Files of a Hugging Face checkpoint besides the weights; each is fetched when the repo has it. */
const CHECKPOINT_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
];

export async function pullModel(name: string, options: PullOptions = {}): Promise<PullResult> {
  const target = parseHubName(name);
  if (target === undefined) {
    throw new HubError(`${name}: not a model name; give a short name (${Object.keys(SHORT_NAMES).join(', ')}), ORG/NAME or ORG/NAME/FILE`);
  }
  const revision = options.revision ?? target.revision ?? 'main';
  if (!isValidRevision(revision)) {
    throw new HubError(`${revision}: not a revision (a branch or tag name as git allows it, or a 40-digit commit hash)`);
  }
  const connection: HubConnection = {
    hubUrl: (options.hubUrl ?? defaultHubUrl()).replace(/\/+$/, ''),
    ...(options.accessToken ?? defaultAccessToken() ? { accessToken: options.accessToken ?? defaultAccessToken() } : {}),
    fetch: fetchWithTimeouts(options.fetch ?? fetch, options.timeoutMs ?? DEFAULT_HUB_TIMEOUT_MS),
  };
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const files = target.file === undefined ? undefined : [target.file, ...(target.extraFiles ?? [])];
  const main = await pullRepo(target.repo, revision, files, connection, cacheDir, options.onProgress);
  const repos = [main];
  let tokenizer: string | undefined;
  if (target.tokenizer) {
    const pulled = await pullRepo(target.tokenizer.repo, 'main', [target.tokenizer.file], connection, cacheDir, options.onProgress);
    repos.push(pulled);
    tokenizer = join(pulled.snapshot, target.tokenizer.file);
  }
  const path = target.file === undefined ? main.snapshot : join(main.snapshot, target.file);
  return { path, repos, ...(tokenizer === undefined ? {} : { tokenizer }) };
}

async function pullRepo(
  repo: string,
  revision: string,
  files: string[] | undefined,
  connection: HubConnection,
  cacheDir: string,
  onProgress: ((progress: PullProgress) => void) | undefined,
): Promise<PulledRepo> {
  const api = { hubUrl: connection.hubUrl, accessToken: connection.accessToken, fetch: connection.fetch };
  let commit: string;
  try {
    commit = (await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...api })).sha;
  } catch (error) {
    throw hubFailure(error, connection.hubUrl, `${repo}@${revision}`);
  }
  if (typeof commit !== 'string' || !COMMIT_HASH.test(commit)) {
    throw new HubError(`${repo}@${revision}: ${hubHost(connection.hubUrl)} gave no commit hash for the revision`);
  }
  const entries: ListFileEntry[] = [];
  try {
    for await (const entry of listFiles({ repo, revision: commit, recursive: true, ...api })) {
      if (entry.type === 'file') entries.push(entry);
    }
  } catch (error) {
    throw hubFailure(error, connection.hubUrl, `${repo}@${revision}: listing files`);
  }
  const chosen = files === undefined ? checkpointFiles(repo, entries) : namedFiles(repo, revision, entries, files);
  // Everything the listing says is checked before any of it names a path.
  const expectations = chosen.map((entry) => {
    if (!isSafeRepoPath(entry.path)) throw new HubError(`${repo}: the hub's listing names a file ${JSON.stringify(entry.path).slice(0, 80)}, not a safe relative path`);
    return expectedBlob(repo, entry);
  });

  const repoDir = pathInside(cacheDir, relative(cacheDir, repoCacheDir(repo, cacheDir)));
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  const totalBytes = expectations.reduce((total, expected) => total + expected.size, 0);
  let bytes = 0;
  const linked: { path: string; blobPath: string }[] = [];
  for (const [index, entry] of chosen.entries()) {
    const expected = expectations[index];
    const blobPath = pathInside(join(repoDir, 'blobs'), expected.etag);
    const report = () => onProgress?.({ repo, file: entry.path, fileIndex: index, fileCount: chosen.length, fileSize: expected.size, bytes, totalBytes });
    report();
    await downloadBlob({ repo, commit, path: entry.path, expected, blobPath, connection }, (count) => {
      bytes += count;
      report();
    });
    linked.push({ path: entry.path, blobPath });
  }
  // Only now, with every file verified, does the revision become visible.
  const snapshot = publishSnapshot(repoDir, commit, linked);
  if (!COMMIT_HASH.test(revision)) writeRef(repoDir, revision, commit);
  return { repo, commit, snapshot, files: linked.map((file) => file.path), bytes: totalBytes };
}

/** The files a Hugging Face checkpoint needs: config, tokenizer files, safetensors weights. */
function checkpointFiles(repo: string, entries: ListFileEntry[]): ListFileEntry[] {
  const top = new Map(entries.filter((entry) => !entry.path.includes('/')).map((entry) => [entry.path, entry]));
  const listed = [...top.keys()].sort();
  if (!top.has('config.json')) {
    const bins = listed.filter((name) => name.endsWith('.bin'));
    const hint = bins.length > 0 ? `; for a llama2.c checkpoint name its file: hooklens pull ${repo}/${bins[0]}` : '';
    throw new HubError(`${repo}: no config.json, so not a Hugging Face checkpoint${hint} (files: ${summary(listed)})`);
  }
  let weights: string[];
  if (top.has('model.safetensors')) {
    weights = ['model.safetensors'];
  } else if (top.has('model.safetensors.index.json')) {
    weights = ['model.safetensors.index.json', ...listed.filter((name) => name.endsWith('.safetensors'))];
  } else {
    throw new HubError(`${repo}: no safetensors weights (hooklens reads model.safetensors or a sharded model.safetensors.index.json; files: ${summary(listed)})`);
  }
  return [...CHECKPOINT_FILES.filter((name) => top.has(name)), ...weights].map((name) => top.get(name)!);
}

function namedFiles(repo: string, revision: string, entries: ListFileEntry[], files: string[]): ListFileEntry[] {
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  return files.map((file) => {
    const entry = byPath.get(file);
    if (!entry) throw new HubError(`${repo}@${revision} has no file ${file} (files: ${summary([...byPath.keys()].sort())})`);
    return entry;
  });
}

function summary(names: string[]): string {
  if (names.length === 0) return 'none';
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}, … (${names.length} in all)` : names.join(', ');
}
