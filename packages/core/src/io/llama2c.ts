/**
 * llama2.c checkpoints (Karpathy's legacy `.bin` export): a header of 7 little-endian int32
 * — dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative: separate
 * classifier), seq_len — then float32 weights in a fixed order.
 */
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelConfig } from '../config.ts';
import { transpose2d, type HostTensor, type WeightMap } from '../weights.ts';
import { LoadError } from './errors.ts';
import { readExactly } from './safetensors.ts';
import { checkedConfig, checkWeights, linearToHeads, linearToHeadsOut, tiedUnembed, type LoadCheckpointOptions, type LoadedCheckpoint } from './checkpoint.ts';

export const LLAMA2C_HEADER_BYTES = 28;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** Always positive (the absolute value of the stored field). */
  vocabSize: number;
  /** True when the stored vocab_size is positive: the classifier is the token embedding. */
  sharedClassifier: boolean;
  seqLen: number;
}

const LIMITS = { dim: 1 << 16, hiddenDim: 1 << 20, nLayers: 1 << 10, nHeads: 1 << 12, vocabSize: 1 << 24, seqLen: 1 << 24 };

/**
 * Parses the 28-byte header and checks it is plausible (positive, in range, consistent);
 * returns the header, or why these bytes are not one.
 */
export function parseLlama2cHeader(bytes: Uint8Array): { header: Llama2cHeader } | { reason: string } {
  if (bytes.byteLength < LLAMA2C_HEADER_BYTES) return { reason: `only ${bytes.byteLength} bytes, a llama2.c header needs ${LLAMA2C_HEADER_BYTES}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, LLAMA2C_HEADER_BYTES);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => view.getInt32(i * 4, true));
  const fields = `dim=${dim} hidden_dim=${hiddenDim} n_layers=${nLayers} n_heads=${nHeads} n_kv_heads=${nKvHeads} vocab_size=${vocab} seq_len=${seqLen}`;
  const header: Llama2cHeader = { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), sharedClassifier: vocab > 0, seqLen };
  const problem = (() => {
    for (const key of ['dim', 'hiddenDim', 'nLayers', 'nHeads', 'vocabSize', 'seqLen'] as const) {
      if (!(header[key] > 0 && header[key] <= LIMITS[key])) return `${key} out of range`;
    }
    if (!(nKvHeads > 0 && nKvHeads <= nHeads && nHeads % nKvHeads === 0)) return 'n_heads is not a multiple of n_kv_heads';
    if (dim % nHeads !== 0) return 'dim is not a multiple of n_heads';
    if ((dim / nHeads) % 2 !== 0) return 'head size is odd';
    return undefined;
  })();
  if (problem) return { reason: `header (${fields}) is not a llama2.c header: ${problem}` };
  return { header };
}

/** Sizes (in float32s) of each section of the file, in file order. */
function sections(h: Llama2cHeader) {
  const headSize = h.dim / h.nHeads;
  const kvDim = (h.dim * h.nKvHeads) / h.nHeads;
  return {
    headSize,
    kvDim,
    floats:
      h.vocabSize * h.dim // token_embedding_table
      + h.nLayers * h.dim * 2 // rms_att_weight, rms_ffn_weight
      + h.nLayers * h.dim * h.dim * 2 // wq, wo
      + h.nLayers * kvDim * h.dim * 2 // wk, wv
      + h.nLayers * h.hiddenDim * h.dim * 3 // w1, w2, w3
      + h.dim // rms_final_weight
      + h.seqLen * headSize // freq_cis_real + freq_cis_imag, each [seq_len, head_size/2]
      + (h.sharedClassifier ? 0 : h.vocabSize * h.dim), // wcls
  };
}

/** The exact file size a header implies. */
export function llama2cExpectedBytes(header: Llama2cHeader): number {
  return LLAMA2C_HEADER_BYTES + 4 * sections(header).floats;
}

export function llama2cConfig(h: Llama2cHeader): ModelConfig {
  const headSize = h.dim / h.nHeads;
  return {
    family: 'llama2c',
    dModel: h.dim,
    nLayers: h.nLayers,
    nHeads: h.nHeads,
    nKvHeads: h.nKvHeads,
    dHead: headSize,
    dMlp: h.hiddenDim,
    dVocab: h.vocabSize,
    nCtx: h.seqLen,
    actFn: 'silu',
    gatedMlp: true,
    normType: 'rmsnorm',
    eps: 1e-5,
    positional: 'rotary',
    rotaryBase: 10000,
    rotaryDim: headSize,
    rotaryPairing: 'adjacent',
    tiedEmbeddings: h.sharedClassifier,
    attnOnly: false,
    defaultPrependBos: true,
    bosTokenId: 1,
    eosTokenId: 2,
    // run.c: "the BOS (1) token delimits sequences" — generation stops when BOS comes.
    stopTokenIds: [1],
  };
}

/** Reads the header of a file, or says why it has none. */
export function readLlama2cHeader(path: string): { header: Llama2cHeader } | { reason: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new LoadError(`${path}: cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    const size = fstatSync(fd).size;
    return parseLlama2cHeader(readExactly(fd, 0, Math.min(size, LLAMA2C_HEADER_BYTES), path));
  } finally {
    closeSync(fd);
  }
}

/**
 * The tokenizer beside a llama2.c checkpoint: tokenizer.bin, else tok<vocab>.bin, else the
 * first other tok*.bin.
 */
export function findLlama2cTokenizer(binPath: string, vocabSize?: number): string | undefined {
  const dir = dirname(binPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const self = basename(binPath);
  const candidates = names.filter((name) => name !== self && /^tok.*\.bin$/.test(name)).sort();
  const pick = candidates.find((n) => n === 'tokenizer.bin')
    ?? (vocabSize !== undefined ? candidates.find((n) => n === `tok${vocabSize}.bin`) : undefined)
    ?? candidates[0];
  return pick === undefined ? undefined : join(dir, pick);
}

export function loadLlama2c(path: string, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new LoadError(`${path}: cannot read llama2.c checkpoint (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < LLAMA2C_HEADER_BYTES) throw new LoadError(`${path}: truncated llama2.c checkpoint (${size} bytes, the header alone needs ${LLAMA2C_HEADER_BYTES})`);
    const parsed = parseLlama2cHeader(readExactly(fd, 0, LLAMA2C_HEADER_BYTES, path));
    if ('reason' in parsed) throw new LoadError(`${path}: ${parsed.reason}`);
    const h = parsed.header;
    const expected = llama2cExpectedBytes(h);
    if (size !== expected) {
      throw new LoadError(`${path}: ${size < expected ? 'truncated' : 'unexpected trailing data in'} llama2.c checkpoint: header (dim=${h.dim}, hidden_dim=${h.hiddenDim}, n_layers=${h.nLayers}, n_heads=${h.nHeads}, n_kv_heads=${h.nKvHeads}, vocab_size=${h.sharedClassifier ? '' : '-'}${h.vocabSize}, seq_len=${h.seqLen}) implies ${expected} bytes, file has ${size}`);
    }
    const config = checkedConfig(llama2cConfig(h), path);
    options.checkConfig?.(config);
    const weights = readWeights(fd, path, h);
    checkWeights(config, weights, path);
    return { config, weights, format: 'llama2c', source: path, tokenizerPath: findLlama2cTokenizer(path, h.vocabSize) };
  } finally {
    closeSync(fd);
  }
}

function readWeights(fd: number, path: string, h: Llama2cHeader): WeightMap {
  const { headSize, kvDim } = sections(h);
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize } = h;
  let offset = LLAMA2C_HEADER_BYTES;
  const next = (shape: number[]): HostTensor => {
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = readExactly(fd, offset, count * 4, path);
    offset += count * 4;
    return { shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, count) };
  };
  /** One [rows, cols] matrix per layer. */
  const perLayer = (rows: number, cols: number): HostTensor[] => Array.from({ length: nLayers }, () => next(rows === 1 ? [cols] : [rows, cols]));

  const embed = next([vocabSize, dim]);
  const rmsAtt = perLayer(1, dim);
  const wq = perLayer(dim, dim);
  const wk = perLayer(kvDim, dim);
  const wv = perLayer(kvDim, dim);
  const wo = perLayer(dim, dim);
  const rmsFfn = perLayer(1, dim);
  const w1 = perLayer(hiddenDim, dim);
  const w2 = perLayer(dim, hiddenDim);
  const w3 = perLayer(hiddenDim, dim);
  const rmsFinal = next([dim]);
  offset += 4 * h.seqLen * headSize; // freq_cis_real, freq_cis_imag: recomputed by the model
  const wcls = h.sharedClassifier ? undefined : next([vocabSize, dim]);

  const w: WeightMap = new Map();
  w.set('embed.W_E', embed);
  for (let l = 0; l < nLayers; l++) {
    const b = `blocks.${l}`;
    w.set(`${b}.ln1.w`, rmsAtt[l]);
    // All matrices are stored [out, in]; attention outputs are head-major (h*headSize + j).
    w.set(`${b}.attn.W_Q`, linearToHeads(wq[l], nHeads, headSize));
    w.set(`${b}.attn.W_K`, linearToHeads(wk[l], nKvHeads, headSize));
    w.set(`${b}.attn.W_V`, linearToHeads(wv[l], nKvHeads, headSize));
    w.set(`${b}.attn.W_O`, linearToHeadsOut(wo[l], nHeads, headSize));
    w.set(`${b}.ln2.w`, rmsFfn[l]);
    w.set(`${b}.mlp.W_gate`, transpose2d(w1[l]));
    w.set(`${b}.mlp.W_out`, transpose2d(w2[l]));
    w.set(`${b}.mlp.W_in`, transpose2d(w3[l]));
  }
  w.set('ln_final.w', rmsFinal);
  w.set('unembed.W_U', wcls ? transpose2d(wcls) : tiedUnembed(embed));
  return w;
}
