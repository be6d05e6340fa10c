/**
 * The research tools on a parallel-residual (GPT-NeoX) model: the residual decomposition
 * still adds up to resid_post (each block adds attn_out and mlp_out to resid_pre), and the
 * tools that would read resid_mid say it does not exist instead of failing on a hook name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { accumulatedResid, activationPatching, decomposeResid } from '@hooklens/hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchingWork } from '../../packages/ui/src/server/handlers/patching.ts';
import { writeTinyGptNeox } from '../fixtures/gptneoxCheckpoint.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-neox-tools-'));

describe('tools on a parallel-residual model', () => {
  let model: HookedTransformer;
  const tokens = [[3, 14, 15, 9, 26, 5]];
  beforeAll(async () => {
    await initBackend();
    model = await loadModel(writeTinyGptNeox(join(scratch, 'neox'), { seed: 1701 }).dir, { engine: 'tfjs' });
  });
  afterAll(() => {
    model?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('decomposeResid: embed + every attn_out + every mlp_out = the last resid_post', () => {
    const { logits, cache } = model.runWithCache(tokens);
    const { labels, stack } = decomposeResid(model, cache);
    expect(labels).toEqual(['embed', '0_attn_out', '0_mlp_out', '1_attn_out', '1_mlp_out']);
    const sum = stack.sum(0);
    const last = cache.get('blocks.1.hook_resid_post');
    const gap = sum.sub(last).abs().max();
    expect(gap.dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([logits, stack, sum, gap]);
    cache.dispose();
  });

  it('resid_mid is refused by name: accumulatedResid includeMid and patching kind resid_mid', async () => {
    const { logits, cache } = model.runWithCache(tokens);
    expect(() => accumulatedResid(model, cache, { includeMid: true })).toThrow(/parallel residual .* no resid_mid/);
    const plain = accumulatedResid(model, cache);
    expect(plain.labels).toEqual(['0_pre', '1_pre', 'final_post']);
    tf.dispose([logits, plain.stack]);
    cache.dispose();
    await expect(activationPatching(model, tokens[0], [4, 14, 15, 9, 26, 5], { kind: 'resid_mid', answer: 1, wrong: 2 }))
      .rejects.toThrow(/'resid_mid' does not exist in a parallel-residual model/);
  });

  it('the patching API answers 400 naming kinds for resid_mid', () => {
    const request = { model: 'neox', clean: tokens[0], corrupted: [4, 14, 15, 9, 26, 5], answer: 1, wrong: 2, kinds: ['resid_pre' as const, 'resid_mid' as const] };
    expect(() => patchingWork(model, request)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/kinds: 'resid_mid' does not exist in a parallel-residual model/) }));
  });
});
