/** OLMo 2's float64 reference (modeling_olmo2.py): norms on the sublayer outputs, q/k RMSNorm over the whole projection. */
import type { FamilyFixture } from '../fixtures/qwen3Checkpoint.ts';
import type { ReferenceOptions, ReferenceResult } from './forward64.ts';
import { qkNormForward } from './qkNormForward64.ts';

export function olmo2Forward(fixture: FamilyFixture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  return qkNormForward(fixture, { qkNorm: 'full', placement: 'post', ln1: 'post_attention_layernorm', ln2: 'post_feedforward_layernorm' }, tokens, options);
}
