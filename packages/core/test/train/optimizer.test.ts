import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/index.ts';
import { AdamW, clipByGlobalNorm, decaysByDefault, learningRate } from '../../src/train/index.ts';

beforeAll(async () => {
  await initBackend();
});

describe('AdamW', () => {
  it('matches a hand-computed torch.optim.AdamW update over two steps', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const variables = new Map([['blocks.0.attn.W_Q', w], ['blocks.0.attn.b_Q', b]]);
    const opt = new AdamW(variables, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decays: decaysByDefault });
    const before = tf.memory().numTensors;
    const lr = 0.01;
    // Expected by hand: m = (1-β1)g, v = (1-β2)g², m̂ = g, v̂ = g² on step 1.
    const p = { w: [1, -2], b: [0.5] };
    const m = { w: [0, 0], b: [0] };
    const v = { w: [0, 0], b: [0] };
    const gradsPerStep = [{ w: [0.5, -1], b: [2] }, { w: [-0.25, 3], b: [-1] }];
    gradsPerStep.forEach((g, index) => {
      const t = index + 1;
      for (const key of ['w', 'b'] as const) {
        p[key] = p[key].map((value, i) => {
          m[key][i] = 0.9 * m[key][i] + 0.1 * g[key][i];
          v[key][i] = 0.999 * v[key][i] + 0.001 * g[key][i] ** 2;
          const mHat = m[key][i] / (1 - 0.9 ** t);
          const vHat = v[key][i] / (1 - 0.999 ** t);
          const decayed = key === 'w' ? value * (1 - lr * 0.1) : value; // biases do not decay
          return decayed - lr * mHat / (Math.sqrt(vHat) + 1e-8);
        });
      }
      const grads = new Map([['blocks.0.attn.W_Q', tf.tensor1d(g.w)], ['blocks.0.attn.b_Q', tf.tensor1d(g.b)]]);
      opt.apply(grads, lr);
      tf.dispose([...grads.values()]);
    });
    expect(tf.memory().numTensors).toBe(before);
    const gotW = Array.from(w.dataSync());
    const gotB = Array.from(b.dataSync());
    p.w.forEach((value, i) => expect(gotW[i]).toBeCloseTo(value, 6));
    expect(gotB[0]).toBeCloseTo(p.b[0], 6);
    // First step moves each weight by about lr (Adam's normalised step), sign against the gradient.
    expect(gotW[1]).toBeLessThan(-2 + 0.03);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('decays weight matrices, not norms, biases or embeddings', () => {
    expect(decaysByDefault('blocks.3.mlp.W_out')).toBe(true);
    expect(decaysByDefault('unembed.W_U')).toBe(true);
    for (const name of ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.ln1.w', 'blocks.0.ln1.b', 'blocks.0.attn.b_O', 'unembed.b_U']) expect(decaysByDefault(name), name).toBe(false);
  });
});

describe('learning-rate schedule', () => {
  const options = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
  it('warms up linearly, peaks, then follows a cosine down to the floor', () => {
    expect(learningRate(0, options)).toBeCloseTo(1e-4, 12);
    expect(learningRate(4, options)).toBeCloseTo(5e-4, 12);
    expect(learningRate(9, options)).toBeCloseTo(1e-3, 12);
    expect(learningRate(10, options)).toBeCloseTo(1e-3, 12);
    // Halfway through the decay: floor + (peak - floor) / 2.
    expect(learningRate(60, options)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12);
    expect(learningRate(110, options)).toBeCloseTo(1e-4, 12);
    expect(learningRate(500, options)).toBeCloseTo(1e-4, 12);
    for (let s = 10; s < 110; s++) expect(learningRate(s + 1, options)).toBeLessThanOrEqual(learningRate(s, options));
  });
});

describe('clipByGlobalNorm', () => {
  it('scales gradients above the bound to the bound and leaves smaller ones alone', () => {
    const before = tf.memory().numTensors;
    const [norm, clipped] = tf.tidy(() => {
      const result = clipByGlobalNorm([tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])], 1); // global norm 5
      return [result.norm.dataSync()[0], result.clipped.map((g) => Array.from(g.dataSync()))];
    });
    expect(norm).toBeCloseTo(5, 5);
    expect(clipped[0][0]).toBeCloseTo(0.6, 5);
    expect(clipped[1][1]).toBeCloseTo(0.8, 5);
    const small = tf.tidy(() => Array.from(clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 1).clipped[0].dataSync()));
    expect(small[0]).toBeCloseTo(0.3, 6);
    expect(small[1]).toBeCloseTo(0.4, 6);
    expect(tf.memory().numTensors).toBe(before);
  });
});
