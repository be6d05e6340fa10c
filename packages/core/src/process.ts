import type { ModelConfig } from './config.ts';
import type { HostTensor, WeightMap } from './weights.ts';

/**
 * Weight processing as TransformerLens does it. Each step returns new weights and leaves
 * the input untouched; none changes the model's log-probabilities, and all but
 * `centerUnembed` (which shifts each position's logits by a constant) leave logits as
 * they are. The hooks inside the model do change: that is the point of processing.
 */
export interface ProcessingOptions {
  /** Fold each norm's weight (and LayerNorm bias) into the matrices that read it. */
  foldLayerNorm?: boolean;
  /** Remove the mean over d_model from everything that writes to the residual stream (LayerNorm models). */
  centerWritingWeights?: boolean;
  /** Remove the mean over the vocabulary from W_U (and b_U). */
  centerUnembed?: boolean;
  /** Move the value biases into b_O (attention patterns sum to one). */
  foldValueBiases?: boolean;
}

export interface ProcessedModel {
  config: ModelConfig;
  weights: WeightMap;
}

export function processWeights(config: ModelConfig, weights: WeightMap, options: ProcessingOptions): ProcessedModel {
  let model: ProcessedModel = { config: { ...config }, weights: new Map(weights) };
  if (options.foldLayerNorm) model = foldLayerNorm(model);
  if (options.centerWritingWeights) model = centerWritingWeights(model);
  if (options.centerUnembed) model = centerUnembed(model);
  if (options.foldValueBiases) model = foldValueBiases(model);
  return model;
}

function copy(tensor: HostTensor): HostTensor {
  return { shape: tensor.shape.slice(), data: new Float32Array(tensor.data) };
}

function zeros(shape: number[]): HostTensor {
  return { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

/**
 * Folds a norm into a matrix W [groups, d_model, cols] that reads its output:
 * b[g, c] += Σ_d normBias[d] W[g, d, c], W[g, d, c] *= normWeight[d], and for LayerNorm
 * (whose output has zero mean over d_model) W is centred over d_model.
 */
function foldInto(matrix: HostTensor, bias: HostTensor | undefined, normWeight: HostTensor, normBias: HostTensor | undefined, center: boolean): { matrix: HostTensor; bias: HostTensor | undefined } {
  const cols = matrix.shape[matrix.shape.length - 1];
  const dModel = matrix.shape[matrix.shape.length - 2];
  const groups = matrix.data.length / (dModel * cols);
  const folded = copy(matrix);
  const biasShape = matrix.shape.length === 3 ? [groups, cols] : [cols];
  const newBias = normBias ? (bias ? copy(bias) : zeros(biasShape)) : bias;
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < cols; c++) {
      let mean = 0;
      for (let d = 0; d < dModel; d++) {
        const index = (g * dModel + d) * cols + c;
        if (normBias) newBias!.data[g * cols + c] += normBias.data[d] * matrix.data[index];
        folded.data[index] *= normWeight.data[d];
        mean += folded.data[index];
      }
      if (!center) continue;
      mean /= dModel;
      for (let d = 0; d < dModel; d++) folded.data[(g * dModel + d) * cols + c] -= mean;
    }
  }
  return { matrix: folded, bias: newBias };
}

function foldNorm(weights: WeightMap, config: ModelConfig, norm: string, readers: [matrix: string, bias: string][]): void {
  const normWeight = weights.get(`${norm}.w`)!;
  const normBias = weights.get(`${norm}.b`);
  const center = config.normType === 'layernorm';
  for (const [matrixName, biasName] of readers) {
    const { matrix, bias } = foldInto(weights.get(matrixName)!, weights.get(biasName), normWeight, normBias, center);
    weights.set(matrixName, matrix);
    if (bias) weights.set(biasName, bias);
  }
  weights.set(`${norm}.w`, { shape: [config.dModel], data: new Float32Array(config.dModel).fill(1) });
  weights.delete(`${norm}.b`);
}

export function foldLayerNorm({ config, weights }: ProcessedModel): ProcessedModel {
  if (config.normPlacement === 'post') {
    throw new Error('foldLayerNorm: ln1 / ln2 of this model normalise the sublayer outputs (normPlacement post), so no matrix reads their output to fold into');
  }
  const out = new Map(weights);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const a = `blocks.${layer}.attn`;
    foldNorm(out, config, `blocks.${layer}.ln1`, [[`${a}.W_Q`, `${a}.b_Q`], [`${a}.W_K`, `${a}.b_K`], [`${a}.W_V`, `${a}.b_V`]]);
    if (config.attnOnly) continue;
    const m = `blocks.${layer}.mlp`;
    if (config.gatedMlp && out.has(`blocks.${layer}.ln2.b`)) {
      throw new Error('foldLayerNorm: a LayerNorm bias cannot be folded into a gated MLP (W_gate has no bias)');
    }
    foldNorm(out, config, `blocks.${layer}.ln2`, config.gatedMlp ? [[`${m}.W_in`, `${m}.b_in`], [`${m}.W_gate`, `${m}.b_gate`]] : [[`${m}.W_in`, `${m}.b_in`]]);
  }
  foldNorm(out, config, 'ln_final', [['unembed.W_U', 'unembed.b_U']]);
  // W_U no longer equals W_E^T.
  return { config: { ...config, tiedEmbeddings: false }, weights: out };
}

/** Subtracts, from each row of a [..., d_model] tensor, its mean over d_model. */
function centerRows(tensor: HostTensor): HostTensor {
  const width = tensor.shape[tensor.shape.length - 1];
  const out = copy(tensor);
  for (let start = 0; start < out.data.length; start += width) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += out.data[start + i];
    mean /= width;
    for (let i = 0; i < width; i++) out.data[start + i] -= mean;
  }
  return out;
}

export function centerWritingWeights({ config, weights }: ProcessedModel): ProcessedModel {
  if (config.normType !== 'layernorm') throw new Error('centerWritingWeights needs LayerNorm: an RMSNorm does not remove the mean');
  const out = new Map(weights);
  const center = (name: string) => { const w = out.get(name); if (w) out.set(name, centerRows(w)); };
  center('embed.W_E');
  center('pos_embed.W_pos');
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (const name of ['attn.W_O', 'attn.b_O', 'mlp.W_out', 'mlp.b_out']) center(`blocks.${layer}.${name}`);
  }
  return { config: { ...config, tiedEmbeddings: false }, weights: out };
}

export function centerUnembed({ config, weights }: ProcessedModel): ProcessedModel {
  const out = new Map(weights);
  out.set('unembed.W_U', centerRows(out.get('unembed.W_U')!));
  const bias = out.get('unembed.b_U');
  if (bias) out.set('unembed.b_U', centerRows(bias));
  return { config: { ...config, tiedEmbeddings: false }, weights: out };
}

export function foldValueBiases({ config, weights }: ProcessedModel): ProcessedModel {
  const out = new Map(weights);
  const { nHeads, nKvHeads, dHead, dModel } = config;
  for (let layer = 0; layer < config.nLayers; layer++) {
    const a = `blocks.${layer}.attn`;
    const valueBias = out.get(`${a}.b_V`);
    if (!valueBias) continue;
    const W_O = out.get(`${a}.W_O`)!;
    const outputBias = out.has(`${a}.b_O`) ? copy(out.get(`${a}.b_O`)!) : zeros([dModel]);
    const group = nHeads / nKvHeads;
    for (let head = 0; head < nHeads; head++) {
      const kvHead = Math.floor(head / group);
      for (let j = 0; j < dHead; j++) {
        const bias = valueBias.data[kvHead * dHead + j];
        const row = (head * dHead + j) * dModel;
        for (let d = 0; d < dModel; d++) outputBias.data[d] += bias * W_O.data[row + d];
      }
    }
    out.set(`${a}.b_O`, outputBias);
    out.delete(`${a}.b_V`);
  }
  return { config, weights: out };
}
