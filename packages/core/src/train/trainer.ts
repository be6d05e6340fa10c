/**
 * Trains a HookedTransformer from scratch on a task: seeded init, AdamW, warm-up + cosine
 * learning rate, gradient clipping by global norm, periodic held-out evaluation. Every tensor
 * a step allocates is freed inside it (tf.tidy), so memory stays flat however long it runs.
 *
 * @example
 * import { inductionTask, trainModel } from '@hooklens/core';
 * const { model, finalEval } = await trainModel({
 *   task: inductionTask(), shape: { nLayers: 2, dModel: 64, nHeads: 4, attnOnly: true },
 *   steps: 300, batchSize: 16, lr: 1e-3, seed: 1,
 * });
 * console.log(finalEval.loss); model.dispose();
 */
import './gradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config.ts';
import { HookedTransformer } from '../model.ts';
import { seededRandom } from '../sampling.ts';
import { HuggingFaceTokenizer } from '../tokenizers/huggingface.ts';
import type { Tokenizer } from '../tokenizers/types.ts';
import { AdamW, decaysByDefault } from './adamw.ts';
import { clipByGlobalNorm } from './clip.ts';
import { initWeights } from './init.ts';
import { learningRate } from './schedule.ts';
import type { Batch, TrainingTask } from './tasks/task.ts';
import { BOS_ID, EOS_ID, PAD_ID } from './vocabulary.ts';

export interface ModelShape {
  nLayers: number;
  dModel: number;
  nHeads: number;
  /** MLP width (default 4·dModel); ignored when attnOnly. */
  dMlp?: number;
  attnOnly?: boolean;
  /** Learned absolute positions (GPT-2, the default) or rotary (relative; previous-token heads form faster). */
  positional?: 'learned' | 'rotary';
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  elapsedMs: number;
}

export interface EvalResult {
  step: number;
  /** Mean next-token loss on the held-out set. */
  loss: number;
  /** Task figures (accuracy, repeated-half loss, …). */
  metrics: Record<string, number>;
}

export interface TrainOptions {
  task: TrainingTask;
  shape: ModelShape;
  steps: number;
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  seed: number;
  /** Default: 5% of the steps (at least 1). */
  warmupSteps?: number;
  weightDecay?: number;
  /** Default 1. */
  maxGradNorm?: number;
  /** Evaluate every this many steps (default steps / 10); always at the end. */
  evalEvery?: number;
  onProgress?: (progress: TrainProgress) => void;
  onEval?: (result: EvalResult) => void;
  signal?: AbortSignal;
}

export interface TrainResult {
  model: HookedTransformer;
  evals: EvalResult[];
  finalEval: EvalResult;
  /** Mean training loss of the last 10% of the steps. */
  finalTrainLoss: number;
  seconds: number;
}

/** The model configuration a task and a shape give (LayerNorm, GELU, learned or rotary positions). */
export function trainingConfig(task: TrainingTask, shape: ModelShape): ModelConfig {
  const { nLayers, dModel, nHeads } = shape;
  if (!(Number.isInteger(dModel / nHeads))) throw new Error(`d_model ${dModel} is not a multiple of heads ${nHeads}`);
  const attnOnly = shape.attnOnly ?? false;
  return {
    family: 'hooklens', dModel, nLayers, nHeads, nKvHeads: nHeads, dHead: dModel / nHeads,
    dMlp: attnOnly ? 0 : shape.dMlp ?? 4 * dModel, dVocab: task.vocabulary.size, nCtx: task.contextLength,
    actFn: 'gelu_new', gatedMlp: false, normType: 'layernorm', eps: 1e-5, positional: shape.positional ?? 'learned',
    rotaryBase: 10000, rotaryDim: dModel / nHeads, rotaryPairing: 'half', tiedEmbeddings: false, attnOnly,
    defaultPrependBos: true, bosTokenId: BOS_ID, eosTokenId: EOS_ID, padTokenId: PAD_ID,
  };
}

/** The task's tokenizer, built by the class loadTokenizer uses for tokenizer.json, so training and loading agree. */
export function taskTokenizer(task: TrainingTask): Tokenizer {
  return new HuggingFaceTokenizer(task.vocabulary.tokenizerJson, task.vocabulary.tokenizerConfig, `${task.name} vocabulary`);
}

function batchLoss(model: HookedTransformer, batch: Batch): tf.Scalar {
  return model.forward(batch.tokens, { returnType: 'loss', ...(batch.attentionMask && { attentionMask: batch.attentionMask }) }) as tf.Scalar;
}

/** Mean held-out loss (weighted by batch) and the task's own figures. */
export function evaluateModel(model: HookedTransformer, task: TrainingTask, step: number, batchSize = 64): EvalResult {
  const batches = task.heldOutBatches(batchSize);
  let total = 0;
  let rows = 0;
  for (const batch of batches) {
    total += tf.tidy(() => batchLoss(model, batch).dataSync()[0]) * batch.tokens.length;
    rows += batch.tokens.length;
  }
  return { step, loss: total / Math.max(rows, 1), metrics: task.evaluate?.(model) ?? {} };
}

function abortError(): Error {
  const error = new Error('training cancelled');
  error.name = 'AbortError';
  return error;
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { task, steps, batchSize, seed } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (!(options.lr > 0)) throw new Error(`learning rate must be positive, got ${options.lr}`);
  const config = trainingConfig(task, options.shape);
  const model = new HookedTransformer(config, initWeights(config, seed), { trainable: true, tokenizer: taskTokenizer(task), source: `training:${task.name}` });
  const variables = model.trainableVariables();
  const names = [...variables.keys()];
  const list = names.map((name) => variables.get(name)!);
  const optimizer = new AdamW(variables, { weightDecay: options.weightDecay ?? 0.01, decays: decaysByDefault });
  const schedule = { peak: options.lr, warmupSteps: options.warmupSteps ?? Math.max(1, Math.round(steps * 0.05)), totalSteps: steps };
  const maxGradNorm = options.maxGradNorm ?? 1;
  const evalEvery = options.evalEvery ?? Math.max(1, Math.round(steps / 10));
  // The data stream has its own seed, derived from the init seed, so runs are reproducible.
  const random = seededRandom((seed * 7919 + 17) >>> 0);
  const evals: EvalResult[] = [];
  const recent: number[] = [];
  const started = performance.now();
  try {
    for (let step = 0; step < steps; step++) {
      if (options.signal?.aborted) throw abortError();
      const batch = task.trainBatch(random, batchSize);
      const lr = learningRate(step, schedule);
      const [loss, gradNorm] = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => batchLoss(model, batch), list);
        const { clipped, norm } = clipByGlobalNorm(list.map((v) => grads[v.name]), maxGradNorm);
        optimizer.apply(new Map(names.map((name, i) => [name, clipped[i]])), lr);
        return [value.dataSync()[0], norm.dataSync()[0]];
      });
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step + 1}: loss is ${loss} (try a lower --lr)`);
      recent.push(loss);
      if (recent.length > Math.max(1, Math.round(steps / 10))) recent.shift();
      options.onProgress?.({ step: step + 1, steps, loss, lr, gradNorm, elapsedMs: performance.now() - started });
      if ((step + 1) % evalEvery === 0 && step + 1 < steps) {
        const result = evaluateModel(model, task, step + 1);
        evals.push(result);
        options.onEval?.(result);
      }
      // Let progress output, signals and timers run between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const finalEval = evaluateModel(model, task, steps);
    evals.push(finalEval);
    options.onEval?.(finalEval);
    const finalTrainLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
    return { model, evals, finalEval, finalTrainLoss, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
}
