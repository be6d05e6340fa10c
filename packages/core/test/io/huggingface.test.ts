import { rmSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightSpecs as canonicalShapes } from '../../src/weights.ts';
import { loadHuggingFace } from '../../src/io/huggingface.ts';
import type { HostTensor, WeightMap } from '../../src/weights.ts';
import { at, expectLoadError, tempDir } from './helpers.ts';
import { GPT2, gpt2Config, gpt2Tensors, LLAMA, llamaConfig, llamaTensors, writeHfDir } from './fixtures.ts';

/** Every canonical weight the config implies has the right shape; nothing else is there. */
function expectCanonical(weights: WeightMap, config: Parameters<typeof canonicalShapes>[0]): void {
  const shapes = canonicalShapes(config);
  for (const [name, tensor] of weights) {
    expect(shapes.has(name), `unexpected weight ${name}`).toBe(true);
    expect(tensor.shape, name).toEqual(shapes.get(name)!.shape);
    expect(tensor.data.length).toBe(tensor.shape.reduce((a, b) => a * b, 1));
  }
  for (const [name, { optional }] of shapes) if (!optional) expect(weights.has(name), `missing ${name}`).toBe(true);
}

function expectGpt2Mapping(weights: WeightMap, raw: Map<string, HostTensor>, p: string, tied: boolean): void {
  const { d, heads, dHead, layers, vocab, dMlp } = GPT2;
  const get = (name: string) => raw.get(p + name) ?? raw.get(name)!;
  const w = (name: string) => weights.get(name)!;
  expect(w('embed.W_E').data).toEqual(get('wte.weight').data);
  expect(w('pos_embed.W_pos').data).toEqual(get('wpe.weight').data);
  for (let l = 0; l < layers; l++) {
    const cAttn = get(`h.${l}.attn.c_attn.weight`);
    const cAttnBias = get(`h.${l}.attn.c_attn.bias`);
    const cProj = get(`h.${l}.attn.c_proj.weight`);
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < dHead; j++) {
        for (let i = 0; i < d; i++) {
          expect(at(w(`blocks.${l}.attn.W_Q`), h, i, j)).toBe(at(cAttn, i, h * dHead + j));
          expect(at(w(`blocks.${l}.attn.W_K`), h, i, j)).toBe(at(cAttn, i, d + h * dHead + j));
          expect(at(w(`blocks.${l}.attn.W_V`), h, i, j)).toBe(at(cAttn, i, 2 * d + h * dHead + j));
          expect(at(w(`blocks.${l}.attn.W_O`), h, j, i)).toBe(at(cProj, h * dHead + j, i));
        }
        expect(at(w(`blocks.${l}.attn.b_Q`), h, j)).toBe(cAttnBias.data[h * dHead + j]);
        expect(at(w(`blocks.${l}.attn.b_K`), h, j)).toBe(cAttnBias.data[d + h * dHead + j]);
        expect(at(w(`blocks.${l}.attn.b_V`), h, j)).toBe(cAttnBias.data[2 * d + h * dHead + j]);
      }
    }
    expect(w(`blocks.${l}.attn.b_O`).data).toEqual(get(`h.${l}.attn.c_proj.bias`).data);
    expect(w(`blocks.${l}.ln1.w`).data).toEqual(get(`h.${l}.ln_1.weight`).data);
    expect(w(`blocks.${l}.ln1.b`).data).toEqual(get(`h.${l}.ln_1.bias`).data);
    expect(w(`blocks.${l}.ln2.w`).data).toEqual(get(`h.${l}.ln_2.weight`).data);
    expect(w(`blocks.${l}.ln2.b`).data).toEqual(get(`h.${l}.ln_2.bias`).data);
    expect(w(`blocks.${l}.mlp.W_in`)).toEqual({ shape: [d, dMlp], data: get(`h.${l}.mlp.c_fc.weight`).data });
    expect(w(`blocks.${l}.mlp.b_in`).data).toEqual(get(`h.${l}.mlp.c_fc.bias`).data);
    expect(w(`blocks.${l}.mlp.W_out`)).toEqual({ shape: [dMlp, d], data: get(`h.${l}.mlp.c_proj.weight`).data });
    expect(w(`blocks.${l}.mlp.b_out`).data).toEqual(get(`h.${l}.mlp.c_proj.bias`).data);
  }
  expect(w('ln_final.w').data).toEqual(get('ln_f.weight').data);
  expect(w('ln_final.b').data).toEqual(get('ln_f.bias').data);
  const unembedSource = tied ? get('wte.weight') : raw.get('lm_head.weight')!;
  for (let t = 0; t < vocab; t++) for (let i = 0; i < d; i++) expect(at(w('unembed.W_U'), i, t)).toBe(at(unembedSource, t, i));
}

describe('Hugging Face GPT-2', () => {
  for (const prefix of ['transformer.', '']) {
    it(`maps weights ${prefix ? 'with' : 'without'} the transformer. prefix`, () => {
      const raw = gpt2Tensors({ prefix });
      const dir = writeHfDir(tempDir(), gpt2Config(), raw, { tokenizer: true });
      const loaded = loadHuggingFace(dir);
      expect(loaded.format).toBe('huggingface-gpt2');
      expect(loaded.tokenizerPath).toBe(join(dir, 'tokenizer.json'));
      expect(loaded.config).toMatchObject({
        family: 'gpt2', dModel: 8, nLayers: 2, nHeads: 2, nKvHeads: 2, dHead: 4, dMlp: 12, dVocab: 11, nCtx: 5,
        actFn: 'gelu_new', gatedMlp: false, normType: 'layernorm', eps: 1e-5, positional: 'learned', tiedEmbeddings: true,
        attnOnly: false, defaultPrependBos: true, bosTokenId: 10, eosTokenId: 10,
      });
      expectCanonical(loaded.weights, loaded.config);
      expectGpt2Mapping(loaded.weights, raw, prefix, true);
    });
  }

  it('defaults n_inner to 4 * n_embd and activation to gelu_new', () => {
    const config = gpt2Config({ n_inner: null });
    delete config.activation_function;
    const raw = gpt2Tensors();
    for (const name of raw.keys()) {
      if (name.endsWith('c_fc.weight')) raw.set(name, { shape: [8, 32], data: new Float32Array(256) });
      if (name.endsWith('c_fc.bias')) raw.set(name, { shape: [32], data: new Float32Array(32) });
      if (name.endsWith('mlp.c_proj.weight')) raw.set(name, { shape: [32, 8], data: new Float32Array(256) });
    }
    const loaded = loadHuggingFace(writeHfDir(tempDir(), config, raw));
    expect(loaded.config.dMlp).toBe(32);
    expect(loaded.config.actFn).toBe('gelu_new');
  });

  it('uses lm_head when embeddings are untied', () => {
    const raw = gpt2Tensors({ lmHead: true });
    const loaded = loadHuggingFace(writeHfDir(tempDir(), gpt2Config({ tie_word_embeddings: false }), raw));
    expect(loaded.config.tiedEmbeddings).toBe(false);
    expectGpt2Mapping(loaded.weights, raw, 'transformer.', false);
  });

  it('ties W_U to W_E when lm_head is absent, even if the config says untied', () => {
    const raw = gpt2Tensors();
    const loaded = loadHuggingFace(writeHfDir(tempDir(), gpt2Config({ tie_word_embeddings: false }), raw));
    expect(loaded.config.tiedEmbeddings).toBe(true);
    expectGpt2Mapping(loaded.weights, raw, 'transformer.', true);
  });

  it('accepts a config with only architectures, and n_ctx without n_positions', () => {
    const config = gpt2Config();
    delete config.model_type;
    delete config.n_positions;
    const loaded = loadHuggingFace(writeHfDir(tempDir(), config, gpt2Tensors()));
    expect(loaded.config.nCtx).toBe(5);
  });

  it('loads BF16 storage to the same float32 values', () => {
    const raw = gpt2Tensors({ bf16Exact: true });
    const f32 = loadHuggingFace(writeHfDir(tempDir(), gpt2Config(), raw));
    const bf16 = loadHuggingFace(writeHfDir(tempDir(), gpt2Config(), raw, { dtype: 'BF16' }));
    expect(statSync(join(bf16.source, 'model.safetensors')).size).toBeLessThan(statSync(join(f32.source, 'model.safetensors')).size);
    expect(bf16.weights).toEqual(f32.weights);
    expectGpt2Mapping(bf16.weights, raw, 'transformer.', true);
  });
});

describe('Hugging Face Llama', () => {
  function expectLlamaMapping(weights: WeightMap, raw: Map<string, HostTensor>, tied: boolean, bias = false): void {
    const { d, heads, kvHeads, dHead, layers, vocab, dMlp } = LLAMA;
    const w = (name: string) => weights.get(name)!;
    const r = (name: string) => raw.get(name)!;
    expect(w('embed.W_E').data).toEqual(r('model.embed_tokens.weight').data);
    for (let l = 0; l < layers; l++) {
      const m = `model.layers.${l}`;
      const b = `blocks.${l}`;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < dHead; j++) {
          for (let h = 0; h < heads; h++) {
            expect(at(w(`${b}.attn.W_Q`), h, i, j)).toBe(at(r(`${m}.self_attn.q_proj.weight`), h * dHead + j, i));
            expect(at(w(`${b}.attn.W_O`), h, j, i)).toBe(at(r(`${m}.self_attn.o_proj.weight`), i, h * dHead + j));
          }
          for (let h = 0; h < kvHeads; h++) {
            expect(at(w(`${b}.attn.W_K`), h, i, j)).toBe(at(r(`${m}.self_attn.k_proj.weight`), h * dHead + j, i));
            expect(at(w(`${b}.attn.W_V`), h, i, j)).toBe(at(r(`${m}.self_attn.v_proj.weight`), h * dHead + j, i));
          }
        }
        for (let k = 0; k < dMlp; k++) {
          expect(at(w(`${b}.mlp.W_gate`), i, k)).toBe(at(r(`${m}.mlp.gate_proj.weight`), k, i));
          expect(at(w(`${b}.mlp.W_in`), i, k)).toBe(at(r(`${m}.mlp.up_proj.weight`), k, i));
          expect(at(w(`${b}.mlp.W_out`), k, i)).toBe(at(r(`${m}.mlp.down_proj.weight`), i, k));
        }
      }
      expect(w(`${b}.ln1.w`).data).toEqual(r(`${m}.input_layernorm.weight`).data);
      expect(w(`${b}.ln2.w`).data).toEqual(r(`${m}.post_attention_layernorm.weight`).data);
      if (bias) {
        expect(w(`${b}.attn.b_Q`)).toEqual({ shape: [heads, dHead], data: r(`${m}.self_attn.q_proj.bias`).data });
        expect(w(`${b}.attn.b_K`)).toEqual({ shape: [kvHeads, dHead], data: r(`${m}.self_attn.k_proj.bias`).data });
        expect(w(`${b}.attn.b_V`)).toEqual({ shape: [kvHeads, dHead], data: r(`${m}.self_attn.v_proj.bias`).data });
      } else {
        expect(weights.has(`${b}.attn.b_Q`)).toBe(false);
      }
      expect(weights.has(`${b}.attn.b_O`)).toBe(false);
    }
    expect(w('ln_final.w').data).toEqual(r('model.norm.weight').data);
    const unembedSource = tied ? r('model.embed_tokens.weight') : r('lm_head.weight');
    for (let t = 0; t < vocab; t++) for (let i = 0; i < d; i++) expect(at(w('unembed.W_U'), i, t)).toBe(at(unembedSource, t, i));
  }

  it('maps grouped-query attention, explicit head_dim and an untied lm_head', () => {
    const raw = llamaTensors({ lmHead: true });
    const dir = writeHfDir(tempDir(), llamaConfig(), raw);
    const loaded = loadHuggingFace(dir);
    expect(loaded.format).toBe('huggingface-llama');
    expect(loaded.tokenizerPath).toBeUndefined();
    expect(loaded.config).toMatchObject({
      family: 'llama', dModel: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, dHead: 4, dMlp: 6, dVocab: 10, nCtx: 16,
      actFn: 'silu', gatedMlp: true, normType: 'rmsnorm', eps: 1e-6, positional: 'rotary', rotaryBase: 500000,
      rotaryDim: 4, rotaryPairing: 'half', tiedEmbeddings: false, defaultPrependBos: true, bosTokenId: 1, eosTokenId: 2,
      // eos_token_id: [2, 3] (Llama 3 style): generation stops at either.
      stopTokenIds: [2, 3],
    });
    expectCanonical(loaded.weights, loaded.config);
    expectLlamaMapping(loaded.weights, raw, false);
  });

  it('a single eos_token_id needs no stop list; a malformed one is an error naming the field', () => {
    expect(loadHuggingFace(writeHfDir(tempDir(), llamaConfig({ eos_token_id: 2 }), llamaTensors())).config.stopTokenIds).toBeUndefined();
    expect(() => loadHuggingFace(writeHfDir(tempDir(), llamaConfig({ eos_token_id: [2, 'x'] }), llamaTensors()))).toThrow(/eos_token_id/);
  });

  it('ties W_U to W_E when tie_word_embeddings, and takes q/k/v biases when present (Qwen2-style)', () => {
    const raw = llamaTensors({ bias: true });
    const loaded = loadHuggingFace(writeHfDir(tempDir(), llamaConfig({ tie_word_embeddings: true, model_type: 'qwen2' }), raw));
    expect(loaded.config.tiedEmbeddings).toBe(true);
    expectCanonical(loaded.weights, loaded.config);
    expectLlamaMapping(loaded.weights, raw, true, true);
  });

  it('defaults num_key_value_heads, head_dim and rope_theta', () => {
    const config = llamaConfig({ hidden_size: 16, num_attention_heads: 4, num_key_value_heads: undefined, head_dim: undefined, rope_theta: undefined });
    const { d, heads, dHead, vocab, dMlp } = { ...LLAMA, d: 16, dHead: 4 };
    const zeros = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const raw = new Map<string, HostTensor>([['model.embed_tokens.weight', zeros([vocab, d])], ['model.norm.weight', zeros([d])]]);
    for (let l = 0; l < 2; l++) {
      const m = `model.layers.${l}`;
      for (const x of ['input_layernorm', 'post_attention_layernorm']) raw.set(`${m}.${x}.weight`, zeros([d]));
      for (const x of ['q', 'k', 'v']) raw.set(`${m}.self_attn.${x}_proj.weight`, zeros([heads * dHead, d]));
      raw.set(`${m}.self_attn.o_proj.weight`, zeros([d, heads * dHead]));
      raw.set(`${m}.mlp.gate_proj.weight`, zeros([dMlp, d]));
      raw.set(`${m}.mlp.up_proj.weight`, zeros([dMlp, d]));
      raw.set(`${m}.mlp.down_proj.weight`, zeros([d, dMlp]));
    }
    const loaded = loadHuggingFace(writeHfDir(tempDir(), config, raw));
    expect(loaded.config).toMatchObject({ nHeads: 4, nKvHeads: 4, dHead: 4, rotaryDim: 4, rotaryBase: 10000, tiedEmbeddings: true });
  });

  it('reads a sharded checkpoint to the same weights as a single file', () => {
    const raw = llamaTensors({ lmHead: true, bias: true });
    const single = loadHuggingFace(writeHfDir(tempDir(), llamaConfig(), raw));
    const sharded = loadHuggingFace(writeHfDir(tempDir(), llamaConfig(), raw, { shards: 3 }));
    expect(sharded.weights).toEqual(single.weights);
    expect(sharded.config).toEqual(single.config);
  });

  it('loads BF16 and sharded BF16 storage', () => {
    const raw = llamaTensors({ bf16Exact: true });
    const f32 = loadHuggingFace(writeHfDir(tempDir(), llamaConfig(), raw));
    const bf16 = loadHuggingFace(writeHfDir(tempDir(), llamaConfig(), raw, { dtype: 'BF16', shards: 2 }));
    expect(bf16.weights).toEqual(f32.weights);
  });
});

describe('Hugging Face errors', () => {
  it('names a missing tensor and the file', () => {
    const raw = gpt2Tensors();
    raw.delete('transformer.h.1.mlp.c_fc.bias');
    const dir = writeHfDir(tempDir(), gpt2Config(), raw);
    expectLoadError(() => loadHuggingFace(dir), 'transformer.h.1.mlp.c_fc.bias', join(dir, 'model.safetensors'));
  });

  it('names a tensor of the wrong shape with expected and actual shapes', () => {
    const raw = llamaTensors();
    raw.set('model.layers.1.self_attn.k_proj.weight', { shape: [12, 8], data: new Float32Array(96) });
    const dir = writeHfDir(tempDir(), llamaConfig(), raw);
    expectLoadError(() => loadHuggingFace(dir), 'model.layers.1.self_attn.k_proj.weight', '[12, 8]', '[8, 8]');
  });

  it('names a missing config field and the config file', () => {
    const config = gpt2Config();
    delete config.n_head;
    const dir = writeHfDir(tempDir(), config, gpt2Tensors());
    expectLoadError(() => loadHuggingFace(dir), '"n_head"', join(dir, 'config.json'));
    const llama = llamaConfig();
    delete llama.intermediate_size;
    const dir2 = writeHfDir(tempDir(), llama, llamaTensors());
    expectLoadError(() => loadHuggingFace(dir2), '"intermediate_size"', join(dir2, 'config.json'));
  });

  it('names a config field of the wrong type', () => {
    const dir = writeHfDir(tempDir(), gpt2Config({ n_layer: '2' }), gpt2Tensors());
    expectLoadError(() => loadHuggingFace(dir), '"n_layer"', 'positive integer');
  });

  it('names an unknown architecture', () => {
    const dir = writeHfDir(tempDir(), { model_type: 'bert', architectures: ['BertModel'] }, gpt2Tensors());
    expectLoadError(() => loadHuggingFace(dir), 'bert', 'BertModel', 'supported');
  });

  it('names a truncated weights file', () => {
    const dir = writeHfDir(tempDir(), gpt2Config(), gpt2Tensors());
    const file = join(dir, 'model.safetensors');
    truncateSync(file, statSync(file).size - 100);
    expectLoadError(() => loadHuggingFace(dir), file, 'truncated');
  });

  it('names a missing shard file', () => {
    const dir = writeHfDir(tempDir(), llamaConfig(), llamaTensors({ lmHead: true }), { shards: 2 });
    const shard = join(dir, 'model-00002-of-00002.safetensors');
    rmSync(shard);
    expectLoadError(() => loadHuggingFace(dir), shard);
  });

  it('names a missing config.json', () => {
    const dir = writeHfDir(tempDir(), gpt2Config(), gpt2Tensors());
    rmSync(join(dir, 'config.json'));
    expectLoadError(() => loadHuggingFace(dir), join(dir, 'config.json'));
  });

  it('rejects unsupported rope_scaling', () => {
    const dir = writeHfDir(tempDir(), llamaConfig({ rope_scaling: { rope_type: 'llama3', factor: 8 } }), llamaTensors());
    expectLoadError(() => loadHuggingFace(dir), 'rope_scaling');
  });
});
