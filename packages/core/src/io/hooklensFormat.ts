/**
 * hooklens' own checkpoint: a directory with `config.json`
 * `{"model_type": "hooklens", "hooklens_config": <ModelConfig>}` and `model.safetensors`
 * holding the canonical WeightMap under its canonical names (see weights.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../config.ts';
import type { WeightMap } from '../weights.ts';
import { writeJsonAtomic } from './atomicWrite.ts';
import { LoadError } from './errors.ts';
import { writeSafetensors } from './safetensors.ts';
import {
  checkedConfig, checkWeights, isObject, readJsonFile, SAFETENSORS_FILE, tiedUnembed, tokenizerJsonIn, withTensorSource,
  type LoadCheckpointOptions, type LoadedCheckpoint,
} from './checkpoint.ts';

export const HOOKLENS_MODEL_TYPE = 'hooklens';

type FieldKind = 'int' | 'intList' | 'number' | 'boolean' | { oneOf: readonly string[] } | { listOf: readonly string[] };

const FIELDS: Record<keyof ModelConfig, { kind: FieldKind; optional?: boolean }> = {
  family: { kind: { oneOf: ['gpt2', 'llama', 'llama2c', 'hooklens', 'qwen3', 'olmo2', 'gptneox', 'phi3', 'gemma2', 'gemma3'] } },
  dModel: { kind: 'int' },
  nLayers: { kind: 'int' },
  nHeads: { kind: 'int' },
  nKvHeads: { kind: 'int' },
  dHead: { kind: 'int' },
  dMlp: { kind: 'int' },
  dVocab: { kind: 'int' },
  nCtx: { kind: 'int' },
  actFn: { kind: { oneOf: ['gelu_new', 'gelu', 'relu', 'silu'] } },
  gatedMlp: { kind: 'boolean' },
  normType: { kind: { oneOf: ['layernorm', 'rmsnorm'] } },
  eps: { kind: 'number' },
  positional: { kind: { oneOf: ['learned', 'rotary'] } },
  rotaryBase: { kind: 'number' },
  rotaryDim: { kind: 'int' },
  rotaryPairing: { kind: { oneOf: ['half', 'adjacent'] } },
  tiedEmbeddings: { kind: 'boolean' },
  attnOnly: { kind: 'boolean' },
  defaultPrependBos: { kind: 'boolean' },
  bosTokenId: { kind: 'int', optional: true },
  eosTokenId: { kind: 'int', optional: true },
  padTokenId: { kind: 'int', optional: true },
  stopTokenIds: { kind: 'intList', optional: true },
  qkNorm: { kind: { oneOf: ['head', 'full'] }, optional: true },
  normPlacement: { kind: { oneOf: ['pre', 'post'] }, optional: true },
  parallelResidual: { kind: 'boolean', optional: true },
  sandwichNorms: { kind: 'boolean', optional: true },
  embedScale: { kind: 'number', optional: true },
  attnScale: { kind: 'number', optional: true },
  attnScoresSoftCap: { kind: 'number', optional: true },
  outputLogitsSoftCap: { kind: 'number', optional: true },
  attnTypes: { kind: { listOf: ['global', 'local'] }, optional: true },
  windowSize: { kind: 'int', optional: true },
  rotaryBaseLocal: { kind: 'number', optional: true },
};

/** Checks a parsed `hooklens_config` field by field; errors name the field and the file. */
export function parseHooklensConfig(raw: unknown, path: string): ModelConfig {
  if (!isObject(raw)) throw new LoadError(`${path}: "hooklens_config" is missing or not an object`);
  const config: Record<string, unknown> = {};
  for (const [key, { kind, optional }] of Object.entries(FIELDS)) {
    const value = raw[key];
    if (value === undefined || value === null) {
      if (optional) continue;
      throw new LoadError(`${path}: hooklens_config is missing required field "${key}"`);
    }
    const isId = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    const ok = kind === 'int' ? isId(value)
      : kind === 'intList' ? Array.isArray(value) && value.every(isId)
      : kind === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : kind === 'boolean' ? typeof value === 'boolean'
      : 'listOf' in kind ? Array.isArray(value) && value.every((item) => kind.listOf.includes(item as string))
      : typeof value === 'string' && kind.oneOf.includes(value);
    if (!ok) {
      const wanted = typeof kind !== 'string' ? ('listOf' in kind ? `a list of ${kind.listOf.join(' / ')}` : `one of ${kind.oneOf.join(', ')}`)
        : kind === 'int' ? 'a non-negative integer' : kind === 'intList' ? 'a list of non-negative integers' : `a ${kind}`;
      throw new LoadError(`${path}: hooklens_config field "${key}" must be ${wanted}, got ${JSON.stringify(value)}`);
    }
    config[key] = value;
  }
  return checkedConfig(config as unknown as ModelConfig, path);
}

/** Loads a hooklens checkpoint directory. `rawConfig` is config.json already parsed, if the caller has it. */
export function loadHooklens(dir: string, rawConfig?: unknown, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const configPath = join(dir, 'config.json');
  const raw = rawConfig ?? readJsonFile(configPath);
  if (!isObject(raw) || raw.model_type !== HOOKLENS_MODEL_TYPE) {
    throw new LoadError(`${configPath}: not a hooklens config (model_type ${JSON.stringify(isObject(raw) ? raw.model_type ?? null : null)})`);
  }
  const config = parseHooklensConfig(raw.hooklens_config, configPath);
  options.checkConfig?.(config);
  const weights: WeightMap = withTensorSource(dir, (source) => {
    const map: WeightMap = new Map();
    // Every tensor in the file is kept, canonical or not, so save → load is faithful.
    for (const name of source.names()) map.set(name, source.get(name));
    return map;
  });
  if (!weights.has('unembed.W_U') && config.tiedEmbeddings && weights.has('embed.W_E')) {
    weights.set('unembed.W_U', tiedUnembed(weights.get('embed.W_E')!));
  }
  checkWeights(config, weights, dir);
  return { config, weights, format: 'hooklens', source: dir, tokenizerPath: tokenizerJsonIn(dir) };
}

export interface SaveCheckpointOptions {
  /** Storage dtype of the weights (default F32). */
  dtype?: 'F32' | 'BF16';
}

/**
 * Writes a hooklens checkpoint directory (created if needed): model.safetensors, then
 * config.json, each written atomically, so neither is ever half-written. The config and
 * weights are checked first; nothing is written if they do not agree.
 */
export function saveCheckpoint(dir: string, config: ModelConfig, weights: WeightMap, options: SaveCheckpointOptions = {}): void {
  checkedConfig(config, dir);
  checkWeights(config, weights, dir);
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, SAFETENSORS_FILE), weights, { dtype: options.dtype, metadata: { format: HOOKLENS_MODEL_TYPE } });
  writeJsonAtomic(join(dir, 'config.json'), { model_type: HOOKLENS_MODEL_TYPE, hooklens_config: config }, 2);
}
