/** GET /api/models and GET /api/models/:id. */
import { z } from 'zod';
import { ModelId } from './common.ts';

/** The architecture numbers a model picker shows. */
export const ConfigSummary = z.object({
  family: z.string(),
  nLayers: z.number().int(),
  nHeads: z.number().int(),
  nKvHeads: z.number().int(),
  dModel: z.number().int(),
  dHead: z.number().int(),
  /** null for attention-only models. */
  dMlp: z.number().int().nullable(),
  dVocab: z.number().int(),
  nCtx: z.number().int(),
  normType: z.string(),
  positional: z.string(),
  attnOnly: z.boolean(),
  defaultPrependBos: z.boolean(),
});

/** A prompt pair the dashboard opens on for this model, with answer and wrong tokens it reads back exactly. */
export const ModelExample = z.object({
  prompt: z.string(),
  corrupted: z.string(),
  answer: z.string(),
  wrong: z.string(),
  /** One line: what the example shows. */
  about: z.string(),
});

/**
 * The engine that runs models and where, as the CLI's backend line shows it: `onnx (CPU, 2
 * threads)`, `onnx (CUDA)`, or `tfjs on ` the tfjs backend (`tfjs on wasm (SIMD, 1 thread)`),
 * followed by `; onnx unavailable: <why>` (or `; CUDA unavailable: <why>`) when that applies.
 */
export const EngineLine = z.string();

export const ModelSummary = z.object({
  id: ModelId,
  config: ConfigSummary,
  /** What runs this model (see EngineLine). */
  backend: EngineLine,
  params: z.number().int(),
  /** Whether text prompts can be used (else send token ids). */
  hasTokenizer: z.boolean(),
  /** The worked example, when one fits the model's vocabulary and context. */
  example: ModelExample.optional(),
});

export const ModelsResponse = z.object({ models: z.array(ModelSummary), backend: EngineLine });

export const ModelDetail = ModelSummary.extend({
  /** The full ModelConfig as loaded (every field of @hooklens/core's ModelConfig). */
  fullConfig: z.record(z.string(), z.unknown()),
  /** Every hook point name, in forward order. */
  hookNames: z.array(z.string()),
  /** The tokenizer's file name (never its directory), or null. */
  tokenizer: z.string().nullable(),
});

export type ModelExample = z.infer<typeof ModelExample>;
export type ConfigSummary = z.infer<typeof ConfigSummary>;
export type ModelSummary = z.infer<typeof ModelSummary>;
export type ModelsResponse = z.infer<typeof ModelsResponse>;
export type ModelDetail = z.infer<typeof ModelDetail>;
