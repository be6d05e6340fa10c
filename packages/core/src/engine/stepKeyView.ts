import * as tf from '@tensorflow/tfjs-core';
import type { OnnxHookPlan } from './onnxTransformer.ts';

/** Hook points whose last axis runs over the keys ([batch, head, query, key]), and what an empty cache slot holds there. */
const KEY_AXIS_FILL: ReadonlyArray<[suffix: string, fill: number]> = [
  ['attn.hook_attn_scores', -Infinity], // masked before the hook: softmax gives an empty slot 0
  ['attn.hook_pattern', 0],
];

function keyAxisFill(name: string): number | undefined {
  return KEY_AXIS_FILL.find(([suffix]) => name.endsWith(suffix))?.[1];
}

/**
 * A generation step on the onnx engine attends over `capacity` cache slots (the first `past`
 * real) and then the step's own keys; on tfjs over exactly past + step keys. So that hooks see
 * tfjs' shapes and values, scores and patterns reach them without the empty slots, and an
 * edited one goes back into the graph with the slots refilled as the graph had them.
 */
export function realKeysView(hooks: OnnxHookPlan, past: number, capacity: number): OnnxHookPlan {
  if (past === capacity) return hooks;
  const empty = capacity - past;
  const compact = (x: tf.Tensor) => {
    const keys = x.shape[x.rank - 1]!;
    return tf.concat([sliceLast(x, 0, past), sliceLast(x, capacity, keys - capacity)], -1);
  };
  const expand = (x: tf.Tensor, fill: number) => {
    const shape = [...x.shape];
    shape[shape.length - 1] = empty;
    return tf.concat([sliceLast(x, 0, past), tf.fill(shape, fill), sliceLast(x, past, x.shape[x.rank - 1]! - past)], -1);
  };
  return {
    reads: hooks.reads,
    edits: hooks.edits,
    edit: (name, value) => {
      const fill = keyAxisFill(name);
      if (fill === undefined) return hooks.edit(name, value);
      const seen = compact(value);
      const replaced = hooks.edit(name, seen);
      return replaced === seen ? value : expand(replaced, fill);
    },
    read: (name, value) => hooks.read(name, keyAxisFill(name) === undefined ? value : compact(value)),
  };
}

/** `size` entries of the last axis from `begin`. */
function sliceLast(x: tf.Tensor, begin: number, size: number): tf.Tensor {
  const begins = x.shape.map(() => 0);
  const sizes = x.shape.map(() => -1);
  begins[begins.length - 1] = begin;
  sizes[sizes.length - 1] = size;
  return tf.slice(x, begins, sizes);
}
