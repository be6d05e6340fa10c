import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The dimensions a checkpoint family's config and tensors are built from. */
export interface CheckpointDims {
  vocab: number;
  dModel: number;
  layers: number;
  dMlp: number;
  heads: number;
  kvHeads: number;
  dHead: number;
  nCtx: number;
}

/** One stored tensor: its checkpoint name, shape, and how its random values are scaled. */
export interface TensorPlan {
  name: string;
  shape: number[];
  /** Values are uniform in [-scale, scale] around `offset` (norm weights: offset 1, scale 0). */
  scale: number;
  offset?: number;
}

/** How a model family lays out a Hugging Face checkpoint: its config.json and its tensors, in file order. */
export interface CheckpointFamily {
  name: string;
  config(dims: CheckpointDims): Record<string, unknown>;
  tensors(dims: CheckpointDims): TensorPlan[];
}

/** Values uniform within ±1/√fan-in, as a randomly initialised linear layer's. */
const fan = (inputs: number) => 1 / Math.sqrt(inputs);

/** A layer's q, k, v and o projections in nn.Linear's [out, in] layout (Llama and Gemma name them alike). */
function attentionPlans(d: CheckpointDims, layer: string): TensorPlan[] {
  return [
    { name: `${layer}.self_attn.q_proj.weight`, shape: [d.heads * d.dHead, d.dModel], scale: fan(d.dModel) },
    { name: `${layer}.self_attn.k_proj.weight`, shape: [d.kvHeads * d.dHead, d.dModel], scale: fan(d.dModel) },
    { name: `${layer}.self_attn.v_proj.weight`, shape: [d.kvHeads * d.dHead, d.dModel], scale: fan(d.dModel) },
    { name: `${layer}.self_attn.o_proj.weight`, shape: [d.dModel, d.heads * d.dHead], scale: fan(d.heads * d.dHead) },
  ];
}

/** A layer's gated MLP: gate, up and down projections. */
function gatedMlpPlans(d: CheckpointDims, layer: string): TensorPlan[] {
  return [
    { name: `${layer}.mlp.gate_proj.weight`, shape: [d.dMlp, d.dModel], scale: fan(d.dModel) },
    { name: `${layer}.mlp.up_proj.weight`, shape: [d.dMlp, d.dModel], scale: fan(d.dModel) },
    { name: `${layer}.mlp.down_proj.weight`, shape: [d.dModel, d.dMlp], scale: fan(d.dMlp) },
  ];
}

/** The config.json keys both forms share: the dimensions, and the norm epsilon and rotary base of Gemma-2-2B. */
function decoderSizes(d: CheckpointDims): Record<string, number> {
  return {
    vocab_size: d.vocab,
    hidden_size: d.dModel,
    intermediate_size: d.dMlp,
    num_hidden_layers: d.layers,
    num_attention_heads: d.heads,
    num_key_value_heads: d.kvHeads,
    head_dim: d.dHead,
    max_position_embeddings: d.nCtx,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
  };
}

/** Llama's Hugging Face form (LlamaForCausalLM), tied embeddings. */
export const LLAMA_FORM: CheckpointFamily = {
  name: 'llama',
  config: (d) => ({
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    ...decoderSizes(d),
    hidden_act: 'silu',
    tie_word_embeddings: true,
    bos_token_id: 2,
    eos_token_id: 1,
    torch_dtype: 'bfloat16',
  }),
  tensors: (d) => {
    const plans: TensorPlan[] = [{ name: 'model.embed_tokens.weight', shape: [d.vocab, d.dModel], scale: 1 }];
    for (let layer = 0; layer < d.layers; layer++) {
      const p = `model.layers.${layer}`;
      plans.push(
        { name: `${p}.input_layernorm.weight`, shape: [d.dModel], scale: 0, offset: 1 },
        ...attentionPlans(d, p),
        { name: `${p}.post_attention_layernorm.weight`, shape: [d.dModel], scale: 0, offset: 1 },
        ...gatedMlpPlans(d, p),
      );
    }
    plans.push({ name: 'model.norm.weight', shape: [d.dModel], scale: 0, offset: 1 });
    return plans;
  },
};

/**
 * Gemma 2's Hugging Face form (Gemma2ForCausalLM): tied embeddings, four norms per layer (stored
 * as w for RMSNorm's 1 + w, so 0 is an identity norm), GeGLU, soft-capping, query_pre_attn_scalar,
 * alternating sliding-window layers; the config keys and values of google/gemma-2-2b.
 */
export const GEMMA2_FORM: CheckpointFamily = {
  name: 'gemma2',
  config: (d) => ({
    model_type: 'gemma2',
    architectures: ['Gemma2ForCausalLM'],
    ...decoderSizes(d),
    hidden_activation: 'gelu_pytorch_tanh',
    query_pre_attn_scalar: d.dHead,
    sliding_window: Math.min(4096, d.nCtx),
    attn_logit_softcapping: 50,
    final_logit_softcapping: 30,
    attention_bias: false,
    tie_word_embeddings: true,
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
    torch_dtype: 'bfloat16',
  }),
  tensors: (d) => {
    const norm = (name: string): TensorPlan => ({ name, shape: [d.dModel], scale: 0 });
    const plans: TensorPlan[] = [{ name: 'model.embed_tokens.weight', shape: [d.vocab, d.dModel], scale: fan(d.dModel) }];
    for (let layer = 0; layer < d.layers; layer++) {
      const p = `model.layers.${layer}`;
      plans.push(
        norm(`${p}.input_layernorm.weight`),
        ...attentionPlans(d, p),
        norm(`${p}.post_attention_layernorm.weight`),
        norm(`${p}.pre_feedforward_layernorm.weight`),
        ...gatedMlpPlans(d, p),
        norm(`${p}.post_feedforward_layernorm.weight`),
      );
    }
    plans.push(norm('model.norm.weight'));
    return plans;
  },
};

/** The forms `pnpm bench --capacity` writes, by name. */
export const CHECKPOINT_FORMS: Readonly<Record<string, CheckpointFamily>> = { llama: LLAMA_FORM, gemma2: GEMMA2_FORM };

/** Values generated and written per step: the writer never holds more than this many. */
const CHUNK_VALUES = 4 * 2 ** 20;

/**
 * Writes a checkpoint of `family` with random BF16 weights into `dir` (config.json +
 * model.safetensors), streaming: the header first (its offsets follow from the shapes),
 * then each tensor in chunks, so a 5 GB file costs a few MB of memory. Returns the file's bytes.
 */
export function writeRandomCheckpoint(dir: string, family: CheckpointFamily, dims: CheckpointDims, seed = 1): number {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(family.config(dims), null, 2)}\n`);
  const plans = family.tensors(dims);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', written_by: 'hooklens bench --capacity' } };
  let offset = 0;
  for (const plan of plans) {
    const bytes = 2 * plan.shape.reduce((a, b) => a * b, 1);
    header[plan.name] = { dtype: 'BF16', shape: plan.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.byteLength + ((8 - (json.byteLength % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    writeAll(fd, prefix);
    writeAll(fd, headerBytes);
    let state = (seed * 0x9e3779b9) >>> 0 || 1;
    const words = new Uint16Array(CHUNK_VALUES);
    const float = new Float32Array(1);
    const bits = new Uint32Array(float.buffer);
    for (const plan of plans) {
      const count = plan.shape.reduce((a, b) => a * b, 1);
      for (let done = 0; done < count; done += CHUNK_VALUES) {
        const n = Math.min(CHUNK_VALUES, count - done);
        for (let i = 0; i < n; i++) {
          // xorshift32: fast, and the values only need to be varied, not good.
          state ^= state << 13; state >>>= 0;
          state ^= state >>> 17;
          state ^= state << 5; state >>>= 0;
          float[0] = (plan.offset ?? 0) + plan.scale * (state / 2 ** 31 - 1);
          words[i] = bits[0]! >>> 16;
        }
        writeAll(fd, new Uint8Array(words.buffer, 0, 2 * n));
      }
    }
  } finally {
    closeSync(fd);
  }
  return 8 + headerBytes.byteLength + offset;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}
