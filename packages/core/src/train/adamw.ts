/**
 * AdamW (Loshchilov & Hutter 2019) over named tf.Variables, written out so each step is
 * exactly torch.optim.AdamW's: decoupled weight decay p ← p·(1 − lr·wd) before the Adam
 * update p ← p − lr·m̂/(√v̂ + ε), with bias-corrected moments m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Which weights decay (default: all). Norms, biases and embeddings usually do not. */
  decays?: (name: string) => boolean;
}

/** Weight matrices decay; norm weights, biases and (positional) embeddings do not. */
export function decaysByDefault(name: string): boolean {
  return /\.(W_Q|W_K|W_V|W_O|W_in|W_gate|W_out)$/.test(name) || name === 'unembed.W_U';
}

export class AdamW {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly decays: (name: string) => boolean;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  /** Number of updates applied so far. */
  step = 0;

  constructor(private readonly variables: ReadonlyMap<string, tf.Variable>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.decays = options.decays ?? (() => true);
    // tf.variable keeps its initial tensor's handle alive; dispose that handle, not the data.
    const zeroVariable = (like: tf.Tensor) => {
      const zeros = tf.zerosLike(like);
      const variable = tf.variable(zeros, false);
      zeros.dispose();
      return variable;
    };
    for (const [name, variable] of variables) this.moments.set(name, { m: zeroVariable(variable), v: zeroVariable(variable) });
  }

  /** One update with `grads` (by the same names as the variables) at learning rate `lr`. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step++;
    const t = this.step;
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const grad = grads.get(name);
        if (!grad) continue;
        const { m, v } = this.moments.get(name)!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2)));
        const decayed = this.weightDecay > 0 && this.decays(name) ? tf.mul(variable, 1 - lr * this.weightDecay) : variable;
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), this.eps));
        variable.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
