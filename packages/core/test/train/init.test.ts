import { describe, expect, it } from 'vitest';
import { validateWeights } from '../../src/index.ts';
import { initWeights, INIT_STD } from '../../src/train/index.ts';
import { tinyConfig } from '../randomModel.ts';

function std(data: Float32Array): number {
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  return Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length);
}

describe('initWeights', () => {
  const config = tinyConfig({ dModel: 64, nHeads: 4, dHead: 16, dMlp: 256, nLayers: 8, dVocab: 100, nCtx: 32 });
  const weights = initWeights(config, 7);

  it('gives every weight of the config, valid, and is reproducible by seed', () => {
    expect(() => validateWeights(config, weights)).not.toThrow();
    expect(Array.from(initWeights(config, 7).get('embed.W_E')!.data)).toEqual(Array.from(weights.get('embed.W_E')!.data));
    expect(Array.from(initWeights(config, 8).get('embed.W_E')!.data)).not.toEqual(Array.from(weights.get('embed.W_E')!.data));
  });

  it('is GPT-2 style: std 0.02, residual writers scaled by 1/sqrt(2·nLayers), norms 1/0, biases 0', () => {
    expect(std(weights.get('embed.W_E')!.data)).toBeCloseTo(INIT_STD, 3);
    expect(std(weights.get('blocks.0.mlp.W_in')!.data)).toBeCloseTo(INIT_STD, 3);
    expect(std(weights.get('blocks.0.mlp.W_out')!.data)).toBeCloseTo(INIT_STD / 4, 3);
    expect(std(weights.get('blocks.5.attn.W_O')!.data)).toBeCloseTo(INIT_STD / 4, 3);
    expect(weights.get('blocks.2.ln1.w')!.data.every((x) => x === 1)).toBe(true);
    expect(weights.get('blocks.2.ln1.b')!.data.every((x) => x === 0)).toBe(true);
    expect(weights.get('blocks.2.attn.b_Q')!.data.every((x) => x === 0)).toBe(true);
    expect(weights.get('unembed.b_U')!.data.every((x) => x === 0)).toBe(true);
  });
});
