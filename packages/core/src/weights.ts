import type { ModelConfig } from './config.ts';

/**
 * Weights as plain host arrays, named after the maths (TransformerLens names).
 * Loaders produce a WeightMap; the model turns it into tensors. Knows nothing of tfjs.
 *
 * Canonical names and shapes (l = layer index; optional entries may be absent):
 *   embed.W_E                 [dVocab, dModel]
 *   pos_embed.W_pos           [nCtx, dModel]                 (learned positions only)
 *   blocks.l.ln1.w / .b       [dModel]                       (.b LayerNorm only)
 *   blocks.l.attn.W_Q         [nHeads, dModel, dHead]
 *   blocks.l.attn.W_K / W_V   [nKvHeads, dModel, dHead]
 *   blocks.l.attn.W_O         [nHeads, dHead, dModel]
 *   blocks.l.attn.b_Q         [nHeads, dHead]                (optional)
 *   blocks.l.attn.b_K / b_V   [nKvHeads, dHead]              (optional)
 *   blocks.l.attn.b_O         [dModel]                       (optional)
 *   blocks.l.attn.q_norm.w    [dHead] (qkNorm 'head') or [nHeads·dHead] ('full')
 *   blocks.l.attn.k_norm.w    [dHead] (qkNorm 'head') or [nKvHeads·dHead] ('full')
 *   blocks.l.ln1_post.w       [dModel]                       (sandwich norms only)
 *   blocks.l.ln2.w / .b       [dModel]                       (not attention-only)
 *   blocks.l.ln2_post.w       [dModel]                       (sandwich norms, not attention-only)
 *   blocks.l.mlp.W_in         [dModel, dMlp]
 *   blocks.l.mlp.W_gate       [dModel, dMlp]                 (gated MLP only)
 *   blocks.l.mlp.b_in         [dMlp]                         (optional)
 *   blocks.l.mlp.W_out        [dMlp, dModel]
 *   blocks.l.mlp.b_out        [dModel]                       (optional)
 *   ln_final.w / .b           [dModel]
 *   unembed.W_U               [dModel, dVocab]               (always present; a view of W_E^T when tied, see TransposedView)
 *   unembed.b_U               [dVocab]                       (optional)
 */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export type WeightMap = Map<string, HostTensor>;

export function hostTensor(shape: number[], data: Float32Array): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new Error(`shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
  }
  return { shape, data };
}

/**
 * A tied W_U: W_E transposed, with its values made only when something reads `data`. The
 * engines multiply by W_E itself (a transposed matmul), so an inference model holds the
 * embedding once however large the vocabulary.
 */
export class TransposedView implements HostTensor {
  readonly shape: number[];
  /** The values, made on first read; an enumerable getter, so a view deep-equals a plain tensor of the same values. */
  declare readonly data: Float32Array;
  /** The tensor this is the transpose of. */
  declare readonly source: HostTensor;
  /** Whether `data` has been made. */
  declare readonly materialized: boolean;

  constructor(source: HostTensor) {
    this.shape = [source.shape[1]!, source.shape[0]!];
    let values: Float32Array | undefined;
    Object.defineProperties(this, {
      source: { value: source },
      data: { enumerable: true, get: () => (values ??= transpose2d(source).data) },
      materialized: { get: () => values !== undefined },
    });
  }
}

/** Whether the map's W_U is a view of its own W_E (a tied model, not since changed): the engines then multiply by W_E. */
export function unembedIsEmbedTransposed(weights: WeightMap): boolean {
  const unembed = weights.get('unembed.W_U');
  return unembed instanceof TransposedView && unembed.source === weights.get('embed.W_E');
}

/** Row-major transpose of a 2-D host tensor. */
export function transpose2d(tensor: HostTensor): HostTensor {
  const [rows, cols] = tensor.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = tensor.data[r * cols + c];
  }
  return { shape: [cols, rows], data: out };
}

export interface WeightSpec {
  shape: number[];
  optional: boolean;
}

/**
 * The weights read straight from tools that turn activations into logits (lens, attribution):
 * every bias and norm weight. They are vectors, so holding them as tensors next to their host
 * copies costs little; the tools reach W_U through the model (unembedResidual,
 * tokensToResidualDirections).
 */
export function readoutWeightNames(config: ModelConfig): string[] {
  return [...weightSpecs(config).keys()].filter((name) => !/\.W_[A-Za-z]+$/.test(name));
}

/** Every canonical weight a model of this config reads, with its shape (see weights.ts). */
export function weightSpecs(config: ModelConfig): Map<string, WeightSpec> {
  const { dModel, nHeads, nKvHeads, dHead, dMlp, dVocab, nCtx } = config;
  const specs = new Map<string, WeightSpec>();
  const add = (name: string, shape: number[], optional = false) => specs.set(name, { shape, optional });
  const norm = (prefix: string) => {
    add(`${prefix}.w`, [dModel]);
    if (config.normType === 'layernorm') add(`${prefix}.b`, [dModel], true);
  };
  add('embed.W_E', [dVocab, dModel]);
  if (config.positional === 'learned') add('pos_embed.W_pos', [nCtx, dModel]);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const b = `blocks.${layer}`;
    norm(`${b}.ln1`);
    add(`${b}.attn.W_Q`, [nHeads, dModel, dHead]);
    add(`${b}.attn.W_K`, [nKvHeads, dModel, dHead]);
    add(`${b}.attn.W_V`, [nKvHeads, dModel, dHead]);
    add(`${b}.attn.W_O`, [nHeads, dHead, dModel]);
    add(`${b}.attn.b_Q`, [nHeads, dHead], true);
    add(`${b}.attn.b_K`, [nKvHeads, dHead], true);
    add(`${b}.attn.b_V`, [nKvHeads, dHead], true);
    add(`${b}.attn.b_O`, [dModel], true);
    if (config.qkNorm) {
      add(`${b}.attn.q_norm.w`, [config.qkNorm === 'head' ? dHead : nHeads * dHead]);
      add(`${b}.attn.k_norm.w`, [config.qkNorm === 'head' ? dHead : nKvHeads * dHead]);
    }
    if (config.sandwichNorms) norm(`${b}.ln1_post`);
    if (config.attnOnly) continue;
    norm(`${b}.ln2`);
    if (config.sandwichNorms) norm(`${b}.ln2_post`);
    add(`${b}.mlp.W_in`, [dModel, dMlp]);
    if (config.gatedMlp) add(`${b}.mlp.W_gate`, [dModel, dMlp]);
    add(`${b}.mlp.b_in`, [dMlp], true);
    add(`${b}.mlp.W_out`, [dMlp, dModel]);
    add(`${b}.mlp.b_out`, [dModel], true);
  }
  norm('ln_final');
  add('unembed.W_U', [dModel, dVocab]);
  add('unembed.b_U', [dVocab], true);
  return specs;
}

/** A weight map that does not fit its config; the message names the tensor. */
export class WeightError extends Error {
  override name = 'WeightError';
}

/** Checks a weight map against the config: every required weight present, every shape right. */
export function validateWeights(config: ModelConfig, weights: WeightMap, source = 'weights'): void {
  const specs = weightSpecs(config);
  for (const [name, spec] of specs) {
    const tensor = weights.get(name);
    if (!tensor) {
      if (spec.optional) continue;
      throw new WeightError(`${source}: missing tensor "${name}" (expected shape [${spec.shape.join(', ')}])`);
    }
    if (tensor.shape.length !== spec.shape.length || tensor.shape.some((size, i) => size !== spec.shape[i])) {
      throw new WeightError(`${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}], expected [${spec.shape.join(', ')}]`);
    }
  }
}

