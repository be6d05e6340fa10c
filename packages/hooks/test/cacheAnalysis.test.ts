import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hooklens/core';
import type { ModelConfig } from '@hooklens/core';
import { randomModel } from '@hooklens/core/testing';
import { accumulatedResid, applyLnToStack, decomposeResid, logitAttrs, stackHeadResults } from '../src/index.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [[3, 7, 2, 9, 4, 11], [5, 5, 6, 8, 12, 2]];

/** Plain nested-array copy of a tensor, to compare against sums done here in JS. */
function values(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tolerance);
}

/** Σ over the first axis of [components, …] host data. */
function sumComponents(data: ArrayLike<number>, components: number): number[] {
  const size = data.length / components;
  const out = new Array<number>(size).fill(0);
  for (let c = 0; c < components; c++) for (let i = 0; i < size; i++) out[i] += data[c * size + i];
  return out;
}

describe.each([
  ['gpt2-like (LayerNorm)', {}],
  ['llama-like (RMSNorm, rotary, GQA)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
  ['attention-only', { attnOnly: true }],
] as [string, Partial<ModelConfig>][])('cache analysis on a %s model', (_label, overrides) => {
  it('accumulatedResid stacks resid_pre (and resid_mid) up to the final residual, with TL labels', () => {
    const model = randomModel(overrides);
    const n = model.config.nLayers;
    const { logits, cache } = model.runWithCache(tokens);
    const before = tf.memory().numTensors;
    const all = accumulatedResid(model, cache);
    expect(all.labels).toEqual(['0_pre', '1_pre', 'final_post']);
    expect(all.stack.shape).toEqual([n + 1, 2, 6, model.config.dModel]);
    const host = cache.toArrays();
    const size = host['blocks.0.hook_resid_pre'].data.length;
    expectClose(all.stack.dataSync().subarray(size, 2 * size), host['blocks.1.hook_resid_pre'].data, 1e-7);
    expectClose(all.stack.dataSync().subarray(2 * size), host[`blocks.${n - 1}.hook_resid_post`].data, 1e-7);

    const withMid = accumulatedResid(model, cache, { layer: 1, includeMid: true, position: -1 });
    expect(withMid.labels).toEqual(model.config.attnOnly ? ['0_pre', '1_pre'] : ['0_pre', '0_mid', '1_pre']);
    expect(withMid.stack.shape).toEqual([withMid.labels.length, 2, 1, model.config.dModel]);
    tf.dispose([all.stack, withMid.stack]);
    expect(tf.memory().numTensors).toBe(before);
    logits.dispose(); cache.dispose(); model.dispose();
  });

  it('decomposeResid components sum to the residual they write to; head results + b_O = attn_out', () => {
    const model = randomModel(overrides);
    const { nLayers, nHeads, dModel, attnOnly, positional } = model.config;
    const { logits, cache } = model.runWithCache(tokens);
    const host = cache.toArrays();
    const before = tf.memory().numTensors;

    const full = decomposeResid(model, cache);
    const expectedLabels = ['embed', ...(positional === 'learned' ? ['pos_embed'] : []), '0_attn_out', ...(attnOnly ? [] : ['0_mlp_out']), '1_attn_out', ...(attnOnly ? [] : ['1_mlp_out'])];
    expect(full.labels).toEqual(expectedLabels);
    expectClose(sumComponents(full.stack.dataSync(), full.labels.length), host[`blocks.${nLayers - 1}.hook_resid_post`].data);
    const toLayer1 = decomposeResid(model, cache, { layer: 1 });
    expectClose(sumComponents(toLayer1.stack.dataSync(), toLayer1.labels.length), host['blocks.1.hook_resid_pre'].data);
    const attnOnlyStack = decomposeResid(model, cache, { mode: 'attn' });
    expect(attnOnlyStack.labels.filter((l) => /mlp/.test(l))).toEqual([]);
    attnOnlyStack.stack.dispose();

    const heads = stackHeadResults(model, cache);
    expect(heads.labels).toEqual(['L0H0', 'L0H1', 'L0H2', 'L0H3', 'L1H0', 'L1H1', 'L1H2', 'L1H3']);
    expect(heads.stack.shape).toEqual([nLayers * nHeads, 2, 6, dModel]);
    const perLayer = heads.stack.dataSync().length / nLayers;
    for (let layer = 0; layer < nLayers; layer++) {
      const summed = sumComponents(heads.stack.dataSync().subarray(layer * perLayer, (layer + 1) * perLayer), nHeads);
      const bO = model.weights.get(`blocks.${layer}.attn.b_O`)?.data;
      expectClose(summed.map((v, i) => v + (bO ? bO[i % dModel] : 0)), host[`blocks.${layer}.hook_attn_out`].data);
    }
    tf.dispose([full.stack, toLayer1.stack, heads.stack]);
    expect(tf.memory().numTensors).toBe(before);
    logits.dispose(); cache.dispose(); model.dispose();
  });

  it('applyLnToStack: normalised components sum to the final norm\'s output (before its weight and bias)', () => {
    const model = randomModel(overrides);
    const { dModel } = model.config;
    const { logits, cache } = model.runWithCache(tokens);
    const host = cache.toArrays();
    const before = tf.memory().numTensors;
    const { labels, stack } = decomposeResid(model, cache, { applyLn: true });
    const summed = sumComponents(stack.dataSync(), labels.length);
    // hook_normalized is before the weight and bias for both norm kinds (TransformerLens 3).
    const normalized = Array.from(host['ln_final.hook_normalized'].data);
    expectClose(summed, normalized);
    // Recomputed here from the residual: centred (LayerNorm) and divided by the scale, and
    // the logits are that times w, plus b, through W_U (+ b_U).
    const { eps, normType, dVocab } = model.config;
    const resid = host[`blocks.${model.config.nLayers - 1}.hook_resid_post`].data;
    const w = model.weights.get('ln_final.w')!.data;
    const b = model.weights.get('ln_final.b')?.data;
    const W_U = model.weights.get('unembed.W_U')!.data;
    const bU = model.weights.get('unembed.b_U')?.data;
    const logitData = logits.dataSync();
    for (let row = 0; row < resid.length / dModel; row++) {
      const x = Array.from(resid.subarray(row * dModel, (row + 1) * dModel));
      const mean = normType === 'layernorm' ? x.reduce((a, v) => a + v, 0) / dModel : 0;
      const scale = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / dModel + eps);
      const n = normalized.slice(row * dModel, (row + 1) * dModel);
      expectClose(n, x.map((v) => (v - mean) / scale));
      const y = n.map((v, d) => v * w[d] + (b ? b[d] : 0));
      const expectedLogits = Array.from({ length: dVocab }, (_, v) => y.reduce((a, yd, d) => a + yd * W_U[d * dVocab + v], bU ? bU[v] : 0));
      expectClose(logitData.subarray(row * dVocab, (row + 1) * dVocab), expectedLogits);
    }

    // The same at one position, with the stack cut first.
    const last = decomposeResid(model, cache, { position: 5 });
    const lastLn = applyLnToStack(model, cache, last.stack, { position: 5 });
    const lastSum = sumComponents(lastLn.dataSync(), labels.length);
    const expectedLast: number[] = [];
    for (const row of [0, 1]) expectedLast.push(...normalized.slice((row * 6 + 5) * dModel, (row * 6 + 6) * dModel));
    expectClose(lastSum, expectedLast);
    expect(() => applyLnToStack(model, cache, last.stack)).toThrow(/stack has shape \[\d+, 2, 1, 16\], expected \[\.\.\., 2, 6, 16\] to match ln_final\.hook_scale/);
    tf.dispose([stack, last.stack, lastLn]);
    expect(tf.memory().numTensors).toBe(before);
    logits.dispose(); cache.dispose(); model.dispose();
  });

  it('logitAttrs: attributions + norm bias + b_U sum to the model\'s logit and logit difference', () => {
    const model = randomModel(overrides);
    const { dModel, dVocab } = model.config;
    const { logits, cache } = model.runWithCache(tokens);
    const before = tf.memory().numTensors;
    const { labels, stack } = decomposeResid(model, cache, { applyLn: true, position: -1 });
    const [answer, wrong] = [4, 17];
    const single = logitAttrs(model, stack, { answer });
    const diff = logitAttrs(model, stack, { answer, wrong });
    const perRow = logitAttrs(model, stack, { answer: [answer, wrong], wrong: [wrong, answer] });
    expect(single.shape).toEqual([labels.length, 2, 1]);
    const W_U = model.weights.get('unembed.W_U')!.data;
    const lnB = model.weights.get('ln_final.b')?.data;
    const bU = model.weights.get('unembed.b_U')?.data;
    const constant = (token: number) => {
      let total = bU ? bU[token] : 0;
      if (lnB) for (let d = 0; d < dModel; d++) total += lnB[d] * W_U[d * dVocab + token];
      return total;
    };
    const modelLogits = logits.arraySync() as number[][][];
    const attrSingle = sumComponents(single.dataSync(), labels.length);
    const attrDiff = sumComponents(diff.dataSync(), labels.length);
    const attrRows = sumComponents(perRow.dataSync(), labels.length);
    for (const row of [0, 1]) {
      const at = modelLogits[row][5];
      expect(Math.abs(attrSingle[row] + constant(answer) - at[answer])).toBeLessThan(1e-4);
      expect(Math.abs(attrDiff[row] + constant(answer) - constant(wrong) - (at[answer] - at[wrong]))).toBeLessThan(1e-4);
    }
    expect(attrRows[0]).toBeCloseTo(attrDiff[0], 5);
    expect(attrRows[1]).toBeCloseTo(-attrDiff[1], 5);
    expect(() => logitAttrs(model, stack, { answer: dVocab })).toThrow(`answer token id ${dVocab} is out of range [0, ${dVocab})`);
    expect(() => logitAttrs(model, stack, { answer: [1, 2, 3] })).toThrow('answer: 3 token ids for a batch of 2 rows');
    tf.dispose([stack, single, diff, perRow]);
    expect(tf.memory().numTensors).toBe(before);
    logits.dispose(); cache.dispose(); model.dispose();
  });
});

describe('cache analysis errors', () => {
  it('names the missing activation, a bad layer and a bad position', () => {
    const model = randomModel();
    const { logits, cache } = model.runWithCache(tokens, { names: /resid_pre/ });
    expect(() => stackHeadResults(model, cache)).toThrow(/activation "blocks\.0\.attn\.hook_result" is not in the cache/);
    expect(() => accumulatedResid(model, cache, { layer: 5 })).toThrow('layer 5 is outside [0, 2]');
    expect(() => accumulatedResid(model, cache, { layer: 1, position: 6 })).toThrow("position 6 is outside the prompt's 6 tokens");
    expect(() => decomposeResid(model, cache, { mode: 'heads' as 'all' })).toThrow("mode must be 'all', 'attn' or 'mlp'");
    logits.dispose(); cache.dispose(); model.dispose();
  });
});
