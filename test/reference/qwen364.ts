/** Qwen3's float64 reference (modeling_qwen3.py): pre-norm, q/k RMSNorm over each head's head_dim. */
import type { FamilyFixture } from '../fixtures/qwen3Checkpoint.ts';
import type { ReferenceOptions, ReferenceResult } from './forward64.ts';
import { qkNormForward } from './qkNormForward64.ts';

export function qwen3Forward(fixture: FamilyFixture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  return qkNormForward(fixture, { qkNorm: 'head', placement: 'pre', ln1: 'input_layernorm', ln2: 'post_attention_layernorm' }, tokens, options);
}
