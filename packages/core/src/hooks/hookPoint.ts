import type * as tf from '@tensorflow/tfjs-core';
import type { HookFilter, HookName } from './names.ts';

/**
 * An identity point in the forward pass, named by the root model
 * (`blocks.3.attn.hook_z`). Hooks attached to it see the activation and may replace it.
 */
export class HookPoint {
  constructor(readonly name: HookName) {}
}

/**
 * A forward hook: gets the activation (owned by the forward pass; do not dispose it) and
 * the hook point. Return a tensor of the same shape to replace the activation, or nothing
 * to leave it as is. Tensors created inside a hook are cleaned up with the forward pass.
 */
export type HookFunction = (activation: tf.Tensor, hook: HookPoint) => tf.Tensor | void;

/**
 * A hook name (or a predicate over names) and the function to attach there. A misspelt
 * literal name is a compile error; pass a name built at run time through `hookName()`.
 */
export type ForwardHook = readonly [HookName | HookFilter, HookFunction];
