import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom, writeSafetensors } from '@hooklens/core';
import type { HostTensor } from '@hooklens/core';

export interface Gpt2Dims {
  nLayers: number;
  dModel: number;
  nHeads: number;
  dMlp: number;
  dVocab: number;
  nCtx: number;
}

/**
 * Writes a random-weight GPT-2 checkpoint as Hugging Face does (config.json + model.safetensors,
 * Conv1D weights stored [in, out]), so `hooklens demo` exercises the real loader offline.
 * Weights are N(0, 0.02) as in GPT-2's initialisation; norms start at weight 1, bias 0.
 */
export function writeRandomGpt2(dir: string, dims: Gpt2Dims, seed = 0): string {
  const { nLayers, dModel: d, nHeads, dMlp, dVocab, nCtx } = dims;
  const normal = normalSampler(seed);
  const tensors = new Map<string, HostTensor>();
  const random = (name: string, shape: number[], std = 0.02) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = std * normal();
    tensors.set(name, { shape, data });
  };
  const constant = (name: string, shape: number[], value: number) => {
    tensors.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value) });
  };
  const layerNorm = (prefix: string) => {
    constant(`${prefix}.weight`, [d], 1);
    constant(`${prefix}.bias`, [d], 0);
  };
  random('wte.weight', [dVocab, d]);
  random('wpe.weight', [nCtx, d], 0.01);
  for (let layer = 0; layer < nLayers; layer++) {
    const h = `h.${layer}`;
    layerNorm(`${h}.ln_1`);
    random(`${h}.attn.c_attn.weight`, [d, 3 * d]);
    random(`${h}.attn.c_attn.bias`, [3 * d], 0.01);
    random(`${h}.attn.c_proj.weight`, [d, d]);
    constant(`${h}.attn.c_proj.bias`, [d], 0);
    layerNorm(`${h}.ln_2`);
    random(`${h}.mlp.c_fc.weight`, [d, dMlp]);
    random(`${h}.mlp.c_fc.bias`, [dMlp], 0.01);
    random(`${h}.mlp.c_proj.weight`, [dMlp, d]);
    constant(`${h}.mlp.c_proj.bias`, [d], 0);
  }
  layerNorm('ln_f');
  mkdirSync(dir, { recursive: true });
  const config = {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    n_embd: d,
    n_layer: nLayers,
    n_head: nHeads,
    n_inner: dMlp,
    n_positions: nCtx,
    n_ctx: nCtx,
    vocab_size: dVocab,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    tie_word_embeddings: true,
    bos_token_id: dVocab - 1,
    eos_token_id: dVocab - 1,
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
  return dir;
}

/** Standard normal samples (Box-Muller) from core's seeded generator. */
function normalSampler(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
