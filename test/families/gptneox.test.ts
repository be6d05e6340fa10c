/**
 * GPT-NeoX / Pythia on both engines against the float64 reference written from transformers'
 * modeling_gpt_neox.py, on tiny random checkpoints in GPTNeoXForCausalLM's own layout; and the
 * loader's refusals of inconsistent configs, each naming the config.json key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, loadModel, saveCheckpoint } from '@hooklens/core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyGptNeox } from '../fixtures/gptneoxCheckpoint.ts';
import { gptNeoxReference } from '../reference/gptneox64.ts';
import { erf, geluErf } from '../reference/neoxphiAttention64.ts';
import { ENGINES, familyCase, type FamilyCase } from './neoxphiChecks.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-gptneox-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cases: FamilyCase[] = [
  {
    name: 'gptneox, parallel residual, rotary_pct 0.5, untied embed_out, legacy buffers, sharded',
    vocab: 61,
    make: (dir) => writeTinyGptNeox(dir, { seed: 1401, legacyBuffers: true, sharded: true }),
    reference: gptNeoxReference,
  },
  {
    name: 'gptneox, sequential residual, rotary_pct 0.25 via rope_parameters, BF16, tied, no attention bias',
    vocab: 61,
    make: (dir) => writeTinyGptNeox(dir, {
      seed: 1402, dModel: 32, nHeads: 2, dMlp: 64, parallelResidual: false, rotaryPct: 0.25, rotaryBase: 500,
      ropeParameters: true, dtype: 'BF16', tied: true, attentionBias: false,
    }),
    reference: gptNeoxReference,
  },
];

describe('reference erf', () => {
  it('matches tabulated values on both sides of the series / continued-fraction switch', () => {
    // Abramowitz & Stegun table 7.1 and erfc(5) = 1.5374597944280349e-12.
    const table: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [2.5, 0.9995930479825550], [3, 0.9999779095030014]];
    for (const [x, value] of table) {
      expect(erf(x)).toBeCloseTo(value, 14);
      expect(erf(-x)).toBeCloseTo(-value, 14);
    }
    expect(erf(5)).toBeCloseTo(1 - 1.5374597944280349e-12, 15);
    expect(geluErf(1)).toBeCloseTo(0.8413447460685429, 14);
  });
});

for (const c of cases) {
  describe.each(ENGINES)(`%s: ${c.name}`, (engine) => familyCase(scratch, c, engine));
}

describe('gptneox loader', () => {
  const write = (overrides: Record<string, unknown>, options = {}) =>
    writeTinyGptNeox(mkdtempSync(join(scratch, 'cfg-')), { seed: 1403, nLayers: 1, configOverrides: overrides, ...options }).dir;

  it('maps config.json onto the model config (family, parallel residual, partial rotary, erf GELU, no BOS by default)', async () => {
    const model = await loadModel(write({}), { engine: 'tfjs' });
    try {
      expect(model.config).toMatchObject({
        family: 'gptneox', parallelResidual: true, rotaryDim: 4, dHead: 8, actFn: 'gelu', normType: 'layernorm',
        tiedEmbeddings: false, defaultPrependBos: false, eps: 1e-5,
      });
      expect(model.hookNames()).not.toContain('blocks.0.hook_resid_mid');
    } finally {
      model.dispose();
    }
  });

  it.each([
    [{ rotary_pct: 0.3 }, /"rotary_pct" = 0\.3 gives a rotary dimension of 2\.4/],
    [{ rotary_pct: 0.375 }, /"rotary_pct" = 0\.375 gives a rotary dimension of 3 .*even/],
    [{ rotary_pct: 0 }, /"rotary_pct" = 0/],
    [{ rotary_pct: undefined, rope_parameters: { rope_type: 'default', partial_rotary_factor: 0.3 } }, /"rope_parameters\.partial_rotary_factor" = 0\.3/],
    [{ rope_parameters: { rope_type: 'linear', factor: 2 } }, /rope_parameters\.rope_type "linear" is not supported/],
    [{ rope_scaling: { type: 'linear', factor: 2 } }, /rope_scaling .* is not supported/],
    [{ num_attention_heads: 3 }, /hidden_size \(16\) is not a multiple of num_attention_heads \(3\)/],
    [{ use_parallel_residual: 'yes' }, /"use_parallel_residual" must be true or false/],
    [{ hidden_act: 'swiglu' }, /"hidden_act" is "swiglu"/],
  ])('refuses %j naming the key', async (overrides, message) => {
    await expect(loadModel(write(overrides), { engine: 'tfjs' })).rejects.toThrow(message);
  });

  it('an untied checkpoint without embed_out is an error naming the tensor, not a silent tie', async () => {
    const dir = write({ tie_word_embeddings: false }, { tied: true });
    await expect(loadModel(dir, { engine: 'tfjs' })).rejects.toThrow(/embed_out\.weight/);
  });

  it('a hooklens checkpoint saved from it keeps the family and the parallel residual, with the same logits', async () => {
    const loaded = loadCheckpoint(write({}));
    const saved = join(scratch, 'saved-neox');
    saveCheckpoint(saved, loaded.config, loaded.weights);
    const original = await loadModel(loaded.source, { engine: 'tfjs' });
    const reloaded = await loadModel(saved, { engine: 'tfjs' });
    try {
      expect(reloaded.config).toMatchObject({ family: 'gptneox', parallelResidual: true, rotaryDim: 4 });
      const tokens = [[5, 9, 2, 33, 7]];
      const [a, b] = [original.forward(tokens), reloaded.forward(tokens)];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      a.dispose();
      b.dispose();
    } finally {
      original.dispose();
      reloaded.dispose();
    }
  });

  it('an unknown model_type lists GPT-NeoX and Phi-3 among the supported', async () => {
    await expect(loadModel(write({ model_type: 'gpt_neo', architectures: ['GPTNeoForCausalLM'] }), { engine: 'tfjs' }))
      .rejects.toThrow(/GPT-NeoX \/ Pythia \(model_type "gpt_neox".*Phi-3 \(model_type "phi3"/);
  });
});
