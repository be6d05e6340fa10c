/**
 * The capacity bench's streaming checkpoint writer, at a tiny size: a Llama-form BF16
 * safetensors file read back by hand, then loaded (BF16 widened to float32) on the onnx engine.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '@hooklens/core';
import { GEMMA2_FORM, LLAMA_FORM, writeRandomCheckpoint } from '../src/bench/randomCheckpoint.ts';
import type { CheckpointDims } from '../src/bench/randomCheckpoint.ts';

const DIMS: CheckpointDims = { vocab: 50, dModel: 8, layers: 2, dMlp: 12, heads: 2, kvHeads: 1, dHead: 4, nCtx: 16 };

interface Stored { dtype: string; shape: number[]; values: Float32Array }

/** The file's tensors, decoded here from the safetensors layout: BF16 words are a float32's top half. */
function readBack(path: string): Map<string, Stored> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, Stored>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    const words = Array.from({ length: (end - begin) / 2 }, (_, i) => bytes.readUInt16LE(8 + headerLength + begin + 2 * i));
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, values: new Float32Array(Uint32Array.from(words, (word) => word * 65536).buffer) });
  }
  return tensors;
}

/** A [rows, cols] matrix transposed to [cols, rows]. */
function transposed(values: Float32Array, rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, i) => values[(i % rows) * cols + Math.floor(i / rows)]!);
}

describe('writeRandomCheckpoint (llama form)', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = mkdtempSync(join(tmpdir(), 'hooklens-random-checkpoint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams a BF16 safetensors file with every Llama tensor, its size as returned', () => {
    const bytes = writeRandomCheckpoint(dir, LLAMA_FORM, DIMS);
    expect(statSync(join(dir, 'model.safetensors')).size).toBe(bytes);
    const tensors = readBack(join(dir, 'model.safetensors'));
    const perLayer = ['input_layernorm', 'self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'post_attention_layernorm', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];
    expect([...tensors.keys()]).toEqual([
      'model.embed_tokens.weight',
      ...[0, 1].flatMap((layer) => perLayer.map((name) => `model.layers.${layer}.${name}.weight`)),
      'model.norm.weight',
    ]);
    expect(tensors.get('model.layers.1.self_attn.k_proj.weight')!.shape).toEqual([4, 8]);
    expect(tensors.get('model.layers.0.mlp.down_proj.weight')!.shape).toEqual([8, 12]);
    for (const stored of tensors.values()) expect(stored.dtype).toBe('BF16');
    // Norm weights are exactly one; matrices vary within ±1/√fan-in.
    expect(Array.from(tensors.get('model.norm.weight')!.values)).toEqual(new Array(8).fill(1));
    const q = tensors.get('model.layers.0.self_attn.q_proj.weight')!.values;
    expect(Math.max(...q.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect(new Set(q).size).toBeGreaterThan(q.length / 2);
  });

  it('loads on the onnx engine with its BF16 values widened exactly to float32', async () => {
    const tensors = tf.memory().numTensors;
    const stored = readBack(join(dir, 'model.safetensors'));
    const model = await loadModel(dir, { engine: 'onnx' });
    // By hand: embedding 50·8; per layer q and o 8·8, k and v 4·8, two norms of 8, three 8·12 mlp matrices; one final norm.
    expect(model.numParams()).toBe(50 * 8 + 2 * (2 * 64 + 2 * 32 + 2 * 8 + 3 * 96) + 8);
    expect(model.config.tiedEmbeddings).toBe(true);
    // nn.Linear stores [out, in]; hooklens' W_in is [d_model, d_mlp], the tied W_U [d_model, vocab].
    expect(Array.from(model.parameter('blocks.1.mlp.W_in').dataSync())).toEqual(transposed(stored.get('model.layers.1.mlp.up_proj.weight')!.values, 12, 8));
    expect(Array.from(model.parameter('unembed.W_U').dataSync())).toEqual(transposed(stored.get('model.embed_tokens.weight')!.values, 50, 8));
    const logits = model.forward([[1, 5, 9, 49, 0]]);
    expect(logits.shape).toEqual([1, 5, 50]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    logits.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('writeRandomCheckpoint (gemma2 form)', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = mkdtempSync(join(tmpdir(), 'hooklens-random-gemma2-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes Gemma 2 tensors that load as Gemma 2 on both engines, with identity (1 + 0) norms and capped logits', async () => {
    const tensors = tf.memory().numTensors;
    writeRandomCheckpoint(dir, GEMMA2_FORM, DIMS);
    const stored = readBack(join(dir, 'model.safetensors'));
    const perLayer = ['input_layernorm', 'self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'post_attention_layernorm',
      'pre_feedforward_layernorm', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj', 'post_feedforward_layernorm'];
    expect([...stored.keys()]).toEqual([
      'model.embed_tokens.weight',
      ...[0, 1].flatMap((layer) => perLayer.map((name) => `model.layers.${layer}.${name}.weight`)),
      'model.norm.weight',
    ]);
    const onnx = await loadModel(dir, { engine: 'onnx' });
    const eager = await loadModel(dir, { engine: 'tfjs' });
    expect(onnx.config).toMatchObject({ family: 'gemma2', sandwichNorms: true, attnScoresSoftCap: 50, outputLogitsSoftCap: 30, tiedEmbeddings: true });
    // Gemma stores w of RMSNorm's (1 + w): the written zeros load as ones.
    expect(Array.from(onnx.parameter('blocks.1.ln2_post.w').dataSync())).toEqual(new Array(8).fill(1));
    const prompt = [[1, 5, 9, 49, 0]];
    const fromOnnx = onnx.forward(prompt);
    const fromTfjs = eager.forward(prompt);
    const values = Array.from(fromOnnx.dataSync());
    // The final soft cap bounds every logit by 30.
    expect(values.every((value) => Number.isFinite(value) && Math.abs(value) < 30)).toBe(true);
    const tfjsValues = fromTfjs.dataSync();
    expect(Math.max(...values.map((value, i) => Math.abs(value - tfjsValues[i]!)))).toBeLessThan(1e-4);
    tf.dispose([fromOnnx, fromTfjs]);
    onnx.dispose();
    eager.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
