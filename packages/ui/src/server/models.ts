/**
 * The models a server offers, each under an id: the checkpoint's directory or file name
 * (stories260K.bin → "stories260K"). The API only ever names models by id; it never accepts
 * a filesystem path.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { HookedTransformer } from '@hooklens/core';
import type { ConfigSummary, ModelDetail, ModelExample, ModelSummary } from '../api/index.ts';
import { HttpError } from './httpError.ts';
import { workedExample } from './workedExample.ts';

export interface ServedModel {
  id: string;
  model: HookedTransformer;
}

/** Id for a checkpoint path: its base name without a weights extension. */
export function modelIdFor(path: string): string {
  const name = basename(path.replace(/[\\/]+$/, ''));
  const ext = extname(name);
  return ['.bin', '.safetensors', '.hooklens'].includes(ext) ? name.slice(0, -ext.length) : name;
}

/**
 * A checkpoint to serve given as more than a path: the id to serve it under when that is not its
 * file name (a hub name the user typed, whose path ends in a snapshot's commit hash), and its
 * tokenizer when that is not beside it (llama2.c checkpoints pulled from the hub).
 */
export interface ModelSource {
  path: string;
  id?: string;
  tokenizer?: string;
}

/** Ids for `sources` (an explicit id, else modelIdFor(path)), refusing duplicates. */
export function assignModelIds(sources: readonly (string | ModelSource)[]): { id: string; path: string; tokenizer?: string }[] {
  const seen = new Map<string, string>();
  return sources.map((source) => {
    const { path, id = modelIdFor(path), tokenizer } = typeof source === 'string' ? { path: source } : source;
    const earlier = seen.get(id);
    if (earlier !== undefined) throw new Error(`two models would both be served as '${id}': ${earlier} and ${path}; rename one`);
    seen.set(id, path);
    return { id, path, ...(tokenizer !== undefined && { tokenizer }) };
  });
}

/**
 * Checkpoints directly inside `dir`: subdirectories (Hugging Face / hooklens checkpoints) and
 * .bin / .safetensors files, sorted by name. Tokenizer files beside a llama2.c model (tok*.bin)
 * are skipped.
 */
export function checkpointsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => {
      const stat = statSync(path);
      if (stat.isDirectory()) return true;
      const name = basename(path);
      return (name.endsWith('.safetensors') || name.endsWith('.bin')) && !/^tok.*\.bin$/.test(name);
    });
}

export class ModelRegistry {
  private readonly byId = new Map<string, ServedModel>();
  /** Each model's worked example, found once (it only reads the tokenizer). */
  private readonly examples = new Map<string, ModelExample | undefined>();

  constructor(models: readonly ServedModel[], readonly backend: string) {
    for (const served of models) {
      if (this.byId.has(served.id)) throw new Error(`model id '${served.id}' is used twice`);
      this.byId.set(served.id, served);
    }
  }

  list(): ServedModel[] {
    return [...this.byId.values()];
  }

  /** The model with this id, or a 404 listing the ids there are. */
  get(id: string): ServedModel {
    const served = this.byId.get(id);
    if (!served) throw new HttpError(404, `unknown model '${id}'; models: ${[...this.byId.keys()].join(', ')}`, { field: 'model' });
    return served;
  }

  summary({ id, model }: ServedModel): ModelSummary {
    const c = model.config;
    const config: ConfigSummary = {
      family: c.family,
      nLayers: c.nLayers,
      nHeads: c.nHeads,
      nKvHeads: c.nKvHeads,
      dModel: c.dModel,
      dHead: c.dHead,
      dMlp: c.attnOnly ? null : c.dMlp,
      dVocab: c.dVocab,
      nCtx: c.nCtx,
      normType: c.normType,
      positional: c.positional,
      attnOnly: c.attnOnly,
      defaultPrependBos: c.defaultPrependBos,
    };
    if (!this.examples.has(id)) this.examples.set(id, workedExample(model));
    const example = this.examples.get(id);
    return { id, config, backend: this.backend, params: model.numParams(), hasTokenizer: model.tokenizer !== undefined, ...(example && { example }) };
  }

  detail(served: ServedModel): ModelDetail {
    const { model } = served;
    return {
      ...this.summary(served),
      fullConfig: { ...model.config },
      hookNames: model.hookNames(),
      // The file's name only: a response never shows where the server's files are.
      tokenizer: model.tokenizer ? basename(model.tokenizer.source) : null,
    };
  }

  dispose(): void {
    for (const { model } of this.byId.values()) model.dispose();
    this.byId.clear();
  }
}
