/**
 * `resolveModel(name)`: turns what a user passed as --model into a local path, without the network.
 * An existing path wins; then a model shipped in packages/core/models; then a short name or hub name
 * found in the Hugging Face cache.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cachedSnapshot, hubCacheDir, isFile, repoCacheDir } from './cache.ts';
import { HubError } from './errors.ts';
import { parseHubName, type HubFile } from './names.ts';
import { shippedModel } from './shipped.ts';

export interface ResolvedModel {
  /** What loadModel should open: a directory or a llama2.c .bin. */
  path: string;
  /** A tokenizer kept apart from the checkpoint (llama2.c short names), when it is cached. */
  tokenizer?: string;
  source: 'path' | 'shipped' | 'cache';
  /** For cache hits: `ORG/NAME` and the snapshot's commit. */
  repo?: string;
  commit?: string;
}

export interface ResolveOptions {
  cacheDir?: string;
  shippedDir?: string;
}

export function resolveModel(nameOrPath: string, options: ResolveOptions = {}): ResolvedModel {
  if (existsSync(nameOrPath)) return { path: nameOrPath, source: 'path' };
  const shipped = shippedModel(nameOrPath, options.shippedDir);
  if (shipped) return { path: shipped.path, source: 'shipped' };
  const target = parseHubName(nameOrPath);
  // Not a name the hub could have: let the loader report the missing path in its own words.
  if (target === undefined) return { path: nameOrPath, source: 'path' };
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const snapshot = cachedSnapshot(repoCacheDir(target.repo, cacheDir), target.revision);
  const path = snapshot === undefined ? undefined : target.file === undefined ? snapshot : join(snapshot, target.file);
  if (path === undefined || (target.file !== undefined && !isFile(path))) {
    throw new HubError(`model ${nameOrPath} is not a path and not in the Hugging Face cache (${cacheDir}); run \`hooklens pull ${nameOrPath}\``);
  }
  const tokenizer = target.tokenizer ? cachedFile(target.tokenizer, cacheDir) : undefined;
  return {
    path,
    source: 'cache',
    repo: target.repo,
    commit: basename(snapshot!),
    ...(tokenizer === undefined ? {} : { tokenizer }),
  };
}

/** `resolveModel(nameOrPath).path`. */
export function resolveModelPath(nameOrPath: string, options: ResolveOptions = {}): string {
  return resolveModel(nameOrPath, options).path;
}

function cachedFile(file: HubFile, cacheDir: string): string | undefined {
  const snapshot = cachedSnapshot(repoCacheDir(file.repo, cacheDir));
  const path = snapshot === undefined ? undefined : join(snapshot, file.file);
  return path !== undefined && isFile(path) ? path : undefined;
}
