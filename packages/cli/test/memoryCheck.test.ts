import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '@hooklens/core';
import { GPT2_SMALL } from '../src/bench/gpt2Small.ts';
import { checkCacheFits } from '../src/memoryCheck.ts';

/** Only what checkCacheFits reads: the engine, the config, the parameter count (GPT-2 small: ~124M floats) and the model's own cache estimate. */
const gpt2Small = {
  engine: { name: 'tfjs' },
  config: GPT2_SMALL,
  numParams: () => 124_439_808,
  estimateCacheBytes: HookedTransformer.prototype.estimateCacheBytes,
} as unknown as HookedTransformer;

const allHooks = ['blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_result', 'blocks.0.attn.hook_attn_scores'];
const rows = (batch: number, positions: number) => Array.from({ length: batch }, () => new Array<number>(positions).fill(0));

describe('checkCacheFits (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('lets a cache that fits in 4 GiB through', () => {
    expect(() => checkCacheFits(gpt2Small, rows(1, 64), allHooks)).not.toThrow();
  });

  it('refuses one that cannot fit, saying how to shrink it', () => {
    // Logits alone: 16 × 1024 × 50257 floats ≈ 3.1 GiB.
    expect(() => checkCacheFits(gpt2Small, rows(16, 1024), allHooks)).toThrow(
      /caching 3 activations of 16×1024 tokens needs about \d+\.\d\d GiB on top of 0\.46 GiB of weights, more than the wasm backend's 4 GiB; select fewer hooks with --names/,
    );
  });

  it('lets any cache through on the onnx engine, whose tensors live outside the wasm heap', () => {
    const onOnnx = Object.assign(Object.create(gpt2Small) as HookedTransformer, { engine: { name: 'onnx' } });
    expect(() => checkCacheFits(onOnnx, rows(16, 1024), allHooks)).not.toThrow();
  });

  it('leaves too-long rows to the model, whose n_ctx error says more', () => {
    expect(() => checkCacheFits(gpt2Small, rows(16, 5000), allHooks)).not.toThrow();
  });
});
