/** Tiny checkpoints in each supported format, built in a temp directory. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../../src/weights.ts';
import { writeSafetensors, type WriteSafetensorsOptions } from '../../src/io/safetensors.ts';
import { tensorFactory, writeJson } from './helpers.ts';

export const GPT2 = { d: 8, heads: 2, dHead: 4, layers: 2, nCtx: 5, vocab: 11, dMlp: 12 };

export function gpt2Config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: GPT2.d, n_head: GPT2.heads, n_layer: GPT2.layers,
    n_positions: GPT2.nCtx, n_ctx: GPT2.nCtx, n_inner: GPT2.dMlp, vocab_size: GPT2.vocab, layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new', bos_token_id: 10, eos_token_id: 10, ...extra,
  };
}

export function gpt2Tensors(options: { prefix?: string; lmHead?: boolean; bf16Exact?: boolean } = {}): Map<string, HostTensor> {
  const { d, layers, nCtx, vocab, dMlp } = GPT2;
  const p = options.prefix ?? 'transformer.';
  const make = tensorFactory(options.bf16Exact);
  const t = new Map<string, HostTensor>();
  t.set(`${p}wte.weight`, make([vocab, d]));
  t.set(`${p}wpe.weight`, make([nCtx, d]));
  for (let l = 0; l < layers; l++) {
    const h = `${p}h.${l}`;
    t.set(`${h}.ln_1.weight`, make([d]));
    t.set(`${h}.ln_1.bias`, make([d]));
    t.set(`${h}.attn.bias`, make([1, 1, nCtx, nCtx])); // causal-mask buffer: ignored
    t.set(`${h}.attn.masked_bias`, make([]));
    t.set(`${h}.attn.c_attn.weight`, make([d, 3 * d]));
    t.set(`${h}.attn.c_attn.bias`, make([3 * d]));
    t.set(`${h}.attn.c_proj.weight`, make([d, d]));
    t.set(`${h}.attn.c_proj.bias`, make([d]));
    t.set(`${h}.ln_2.weight`, make([d]));
    t.set(`${h}.ln_2.bias`, make([d]));
    t.set(`${h}.mlp.c_fc.weight`, make([d, dMlp]));
    t.set(`${h}.mlp.c_fc.bias`, make([dMlp]));
    t.set(`${h}.mlp.c_proj.weight`, make([dMlp, d]));
    t.set(`${h}.mlp.c_proj.bias`, make([d]));
  }
  t.set(`${p}ln_f.weight`, make([d]));
  t.set(`${p}ln_f.bias`, make([d]));
  if (options.lmHead) t.set('lm_head.weight', make([vocab, d]));
  return t;
}

/** d 8, 4 query heads of size 4 (head_dim ≠ d/heads), 2 key/value heads, dMlp 6. */
export const LLAMA = { d: 8, heads: 4, kvHeads: 2, dHead: 4, layers: 2, nCtx: 16, vocab: 10, dMlp: 6 };

export function llamaConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: LLAMA.d, num_attention_heads: LLAMA.heads,
    num_key_value_heads: LLAMA.kvHeads, head_dim: LLAMA.dHead, num_hidden_layers: LLAMA.layers, intermediate_size: LLAMA.dMlp,
    max_position_embeddings: LLAMA.nCtx, vocab_size: LLAMA.vocab, rms_norm_eps: 1e-6, rope_theta: 500000, hidden_act: 'silu',
    tie_word_embeddings: false, bos_token_id: 1, eos_token_id: [2, 3], ...extra,
  };
}

export function llamaTensors(options: { lmHead?: boolean; bias?: boolean; bf16Exact?: boolean } = {}): Map<string, HostTensor> {
  const { d, heads, kvHeads, dHead, layers, vocab, dMlp } = LLAMA;
  const make = tensorFactory(options.bf16Exact);
  const t = new Map<string, HostTensor>();
  t.set('model.embed_tokens.weight', make([vocab, d]));
  for (let l = 0; l < layers; l++) {
    const h = `model.layers.${l}`;
    t.set(`${h}.input_layernorm.weight`, make([d]));
    t.set(`${h}.self_attn.q_proj.weight`, make([heads * dHead, d]));
    t.set(`${h}.self_attn.k_proj.weight`, make([kvHeads * dHead, d]));
    t.set(`${h}.self_attn.v_proj.weight`, make([kvHeads * dHead, d]));
    t.set(`${h}.self_attn.o_proj.weight`, make([d, heads * dHead]));
    if (options.bias) {
      t.set(`${h}.self_attn.q_proj.bias`, make([heads * dHead]));
      t.set(`${h}.self_attn.k_proj.bias`, make([kvHeads * dHead]));
      t.set(`${h}.self_attn.v_proj.bias`, make([kvHeads * dHead]));
    }
    t.set(`${h}.self_attn.rotary_emb.inv_freq`, make([dHead / 2])); // old-checkpoint buffer: ignored
    t.set(`${h}.post_attention_layernorm.weight`, make([d]));
    t.set(`${h}.mlp.gate_proj.weight`, make([dMlp, d]));
    t.set(`${h}.mlp.up_proj.weight`, make([dMlp, d]));
    t.set(`${h}.mlp.down_proj.weight`, make([d, dMlp]));
  }
  t.set('model.norm.weight', make([d]));
  if (options.lmHead) t.set('lm_head.weight', make([vocab, d]));
  return t;
}

/** Writes config.json + model.safetensors (or shards + index when `shards` > 1). */
export function writeHfDir(
  dir: string, config: Record<string, unknown>, tensors: Map<string, HostTensor>,
  options: WriteSafetensorsOptions & { shards?: number; tokenizer?: boolean } = {},
): string {
  writeJson(join(dir, 'config.json'), config);
  const shards = options.shards ?? 1;
  if (shards === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors, options);
  } else {
    const names = [...tensors.keys()];
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < shards; s++) {
      const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = new Map(names.filter((_, i) => i % shards === s).map((n) => [n, tensors.get(n)!]));
      for (const name of part.keys()) weightMap[name] = file;
      writeSafetensors(join(dir, file), part, options);
    }
    writeJson(join(dir, 'model.safetensors.index.json'), { metadata: { total_size: 0 }, weight_map: weightMap });
  }
  if (options.tokenizer) writeFileSync(join(dir, 'tokenizer.json'), '{}');
  return dir;
}

export interface Llama2cSpec { dim: number; hidden: number; layers: number; heads: number; kvHeads: number; vocab: number; seqLen: number; shared: boolean }

export const LLAMA2C_SPEC: Llama2cSpec = { dim: 8, hidden: 6, layers: 2, heads: 4, kvHeads: 2, vocab: 10, seqLen: 3, shared: true };

/**
 * Writes a llama2.c file whose float at position k (after the header) is k, so every value
 * says where it was read from; returns the raw sections (per layer, as stored).
 */
export function writeLlama2c(path: string, spec: Llama2cSpec = LLAMA2C_SPEC): Record<string, HostTensor[]> {
  const { dim, hidden, layers, heads, kvHeads, vocab, seqLen, shared } = spec;
  const headSize = dim / heads;
  const kvDim = (dim * kvHeads) / heads;
  const layout: [string, number, number[]][] = [
    ['embed', 1, [vocab, dim]], ['rms_att', layers, [dim]], ['wq', layers, [dim, dim]], ['wk', layers, [kvDim, dim]],
    ['wv', layers, [kvDim, dim]], ['wo', layers, [dim, dim]], ['rms_ffn', layers, [dim]], ['w1', layers, [hidden, dim]],
    ['w2', layers, [dim, hidden]], ['w3', layers, [hidden, dim]], ['rms_final', 1, [dim]],
    ['freq_real', 1, [seqLen, headSize / 2]], ['freq_imag', 1, [seqLen, headSize / 2]],
    ...(shared ? [] : [['wcls', 1, [vocab, dim]] as [string, number, number[]]]),
  ];
  const sections: Record<string, HostTensor[]> = {};
  let k = 0;
  for (const [name, count, shape] of layout) {
    sections[name] = [];
    for (let c = 0; c < count; c++) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => k++);
      sections[name].push({ shape, data });
    }
  }
  const header = new Int32Array([dim, hidden, layers, heads, kvHeads, shared ? vocab : -vocab, seqLen]);
  const body = new Float32Array(k).map((_, i) => i);
  writeFileSync(path, Buffer.concat([Buffer.from(header.buffer), Buffer.from(body.buffer)]));
  return sections;
}

export interface BrokenCheckpoint {
  problem: string;
  dir: string;
  /** What the one-line error must name. */
  fragments: string[];
}

/**
 * Hugging Face checkpoint directories a loader must refuse — unknown architecture, a missing
 * tensor, a tensor of the wrong shape — written under `root` (which must exist).
 */
export function writeBrokenCheckpoints(root: string): BrokenCheckpoint[] {
  const write = (name: string, config: Record<string, unknown>, tensors: Map<string, HostTensor>) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return writeHfDir(dir, config, tensors);
  };
  const missing = gpt2Tensors();
  missing.delete('transformer.h.1.mlp.c_fc.bias');
  const misshapen = llamaTensors();
  misshapen.set('model.layers.1.self_attn.k_proj.weight', { shape: [12, 8], data: new Float32Array(96) });
  const unknown = write('unknown-architecture', { model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 8 }, gpt2Tensors());
  const missingDir = write('missing-tensor', gpt2Config(), missing);
  const misshapenDir = write('wrong-shape', llamaConfig(), misshapen);
  return [
    { problem: 'unknown architecture', dir: unknown, fragments: [join(unknown, 'config.json'), '"bert"', 'BertForMaskedLM'] },
    { problem: 'missing tensor', dir: missingDir, fragments: [join(missingDir, 'model.safetensors'), 'transformer.h.1.mlp.c_fc.bias'] },
    { problem: 'wrong tensor shape', dir: misshapenDir, fragments: ['model.layers.1.self_attn.k_proj.weight', '[12, 8]', '[8, 8]'] },
  ];
}
