/**
 * Phi-3 on both engines against the float64 reference written from transformers'
 * modeling_phi3.py, on tiny random checkpoints in Phi3ForCausalLM's own layout (fused qkv_proj
 * and gate_up_proj); the context capped at sliding_window; refusals naming the config key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@hooklens/core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyPhi3 } from '../fixtures/phi3Checkpoint.ts';
import { phi3Reference } from '../reference/phi3_64.ts';
import { ENGINES, familyCase, type FamilyCase } from './neoxphiChecks.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-phi3-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cases: FamilyCase[] = [
  {
    name: 'phi3, GQA (4 q / 2 kv heads), untied lm_head, sharded',
    vocab: 61,
    make: (dir) => writeTinyPhi3(dir, { seed: 1501, dModel: 32, nHeads: 4, nKvHeads: 2, sharded: true }),
    reference: phi3Reference,
  },
  {
    name: 'phi3, partial_rotary_factor 0.5, BF16, tied',
    vocab: 61,
    make: (dir) => writeTinyPhi3(dir, { seed: 1502, partialRotaryFactor: 0.5, dtype: 'BF16', tied: true, slidingWindow: null }),
    reference: phi3Reference,
  },
];

for (const c of cases) {
  describe.each(ENGINES)(`%s: ${c.name}`, (engine) => familyCase(scratch, c, engine));
}

describe('phi3 loader', () => {
  const write = (overrides: Record<string, unknown>, options = {}) =>
    writeTinyPhi3(mkdtempSync(join(scratch, 'cfg-')), { seed: 1503, nLayers: 1, configOverrides: overrides, ...options }).dir;

  it('maps config.json onto the model config; the context stops at sliding_window with a clear error beyond it', async () => {
    const model = await loadModel(write({ max_position_embeddings: 48, sliding_window: 20 }), { engine: 'tfjs' });
    try {
      expect(model.config).toMatchObject({
        family: 'phi3', nCtx: 20, gatedMlp: true, actFn: 'silu', normType: 'rmsnorm', rotaryDim: 8, dHead: 8, nKvHeads: 2, tiedEmbeddings: false,
      });
      expect(model.config.parallelResidual).toBeUndefined();
      expect(() => model.forward([Array.from({ length: 21 }, (_, i) => i)])).toThrow(/n_ctx/);
      await expect(model.generate(Array.from({ length: 21 }, (_, i) => i), { maxNewTokens: 1 })).rejects.toThrow(/longer than the model's context n_ctx = 20/);
    } finally {
      model.dispose();
    }
  });

  it.each([
    [{ rope_scaling: { type: 'longrope', short_factor: [1, 1], long_factor: [2, 2] } }, /rope_scaling .*longrope.* is not supported/],
    [{ rope_theta: undefined, rope_parameters: { rope_type: 'longrope', rope_theta: 10000, short_factor: [1], long_factor: [2] } }, /rope_parameters\.rope_type "longrope" is not supported/],
    [{ partial_rotary_factor: 0.3 }, /"partial_rotary_factor" = 0\.3 gives a rotary dimension of 2\.4/],
    [{ partial_rotary_factor: 0.125 }, /"partial_rotary_factor" = 0\.125 gives a rotary dimension of 1 .*even/],
    [{ num_key_value_heads: 3, num_attention_heads: 4, hidden_size: 32 }, /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    [{ num_attention_heads: 3 }, /hidden_size \(16\) is not a multiple of num_attention_heads \(3\)/],
    [{ sliding_window: 0 }, /"sliding_window" must be a positive integer/],
  ])('refuses %j naming the key', async (overrides, message) => {
    await expect(loadModel(write(overrides), { engine: 'tfjs' })).rejects.toThrow(message);
  });

  it('a fused projection of the wrong size is an error naming the tensor', async () => {
    const dir = write({ intermediate_size: 41 });
    await expect(loadModel(dir, { engine: 'tfjs' })).rejects.toThrow(/gate_up_proj\.weight/);
  });
});
