/**
 * `resolveModel(name)`: turns what a user passed as --model into a local path, without the network.
 * An existing path wins; then a model shipped in packages/core/models; then a short name or hub name
 * found in the Hugging Face cache. A bare word that is none of these (no file, no shipped or cached
 * model: a typo) is an error listing the names there are and suggesting the nearest.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cachedSnapshot, hubCacheDir, isFile, repoCacheDir } from './cache.ts';
import { HubError } from './errors.ts';
import { closeName, describeModelNames, modelNames } from './modelNames.ts';
import { parseHubName, shortName, SHORT_NAMES, type HubFile } from './names.ts';
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
  const cacheDir = options.cacheDir ?? hubCacheDir();
  if (target === undefined) {
    // A path (it has a separator): let the loader report the missing file in its own words.
    if (/[/\\]/.test(nameOrPath)) return { path: nameOrPath, source: 'path' };
    const names = modelNames(cacheDir, options.shippedDir);
    const near = closeName(nameOrPath, [...names.shipped, ...names.cached, ...Object.keys(SHORT_NAMES)]);
    const pull = near !== undefined && ![...names.shipped, ...names.cached].includes(near) ? ` (\`hooklens pull ${near}\` fetches it)` : '';
    const hint = near === undefined ? '' : `; did you mean ${near}${pull}?`;
    throw new HubError(`model ${nameOrPath}: no such file or folder, shipped model or cached hub model${hint} (${describeModelNames(names)})`);
  }
  const snapshot = cachedSnapshot(repoCacheDir(target.repo, cacheDir), target.revision);
  const path = snapshot === undefined ? undefined : target.file === undefined ? snapshot : join(snapshot, target.file);
  if (path === undefined || (target.file !== undefined && !isFile(path))) {
    // A known short name is what the user meant; an ORG/NAME may be a typo of one that is here.
    const names = modelNames(cacheDir, options.shippedDir);
    const near = shortName(nameOrPath.replace(/@.*$/, '')) ? undefined : closeName(nameOrPath, [...names.shipped, ...names.cached]);
    throw new HubError(`model ${nameOrPath} is not a path and not in the Hugging Face cache (${cacheDir}); run \`hooklens pull ${nameOrPath}\`${near === undefined ? '' : `, or did you mean ${near}?`}`);
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
