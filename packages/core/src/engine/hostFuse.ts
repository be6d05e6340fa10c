import type { ModelConfig } from '../config.ts';
import type { HostTensor } from '../weights.ts';
import type { HostFusedAttention } from './onnxTransformer.ts';

/**
 * fuseAttention (tfjsTransformer.ts) on host arrays: W_Q, W_K, W_V [heads, d_model, d_head]
 * side by side as [d_model, (head + 2 kv_head) d_head], biases concatenated (zeros where a
 * checkpoint has none), so the onnx engine never routes weights through the tfjs heap.
 */
export function fuseHostAttention(
  config: ModelConfig,
  w: { W_Q: HostTensor; W_K: HostTensor; W_V: HostTensor; b_Q?: HostTensor; b_K?: HostTensor; b_V?: HostTensor },
): HostFusedAttention {
  const { dModel, nHeads, nKvHeads, dHead } = config;
  const width = (nHeads + 2 * nKvHeads) * dHead;
  const qkv = new Float32Array(dModel * width);
  let column = 0;
  for (const [weight, heads] of [[w.W_Q, nHeads], [w.W_K, nKvHeads], [w.W_V, nKvHeads]] as const) {
    for (let head = 0; head < heads; head++) {
      for (let row = 0; row < dModel; row++) {
        const from = (head * dModel + row) * dHead;
        qkv.set(weight.data.subarray(from, from + dHead), row * width + column + head * dHead);
      }
    }
    column += heads * dHead;
  }
  let qkvBias: HostTensor | undefined;
  if (w.b_Q || w.b_K || w.b_V) {
    const bias = new Float32Array(width);
    if (w.b_Q) bias.set(w.b_Q.data, 0);
    if (w.b_K) bias.set(w.b_K.data, nHeads * dHead);
    if (w.b_V) bias.set(w.b_V.data, (nHeads + nKvHeads) * dHead);
    qkvBias = { shape: [width], data: bias };
  }
  return { qkv: { shape: [dModel, width], data: qkv }, qkvBias };
}
