import './chainedOps.ts';
import * as tf from '@tensorflow/tfjs-core';
import { ActivationCache } from './cache.ts';
import type { LayerKeyValues } from './components/attention.ts';
import type { TransformerInputs } from './components/transformer.ts';
import { validateConfig } from './config.ts';
import type { ModelConfig } from './config.ts';
import { HookPoint } from './hooks/hookPoint.ts';
import type { ForwardHook, HookFunction } from './hooks/hookPoint.ts';
import { assertHookName, estimateCacheBytes as activationCacheBytes, hookNamesFor, selectHookNames } from './hooks/names.ts';
import type { HookFilter, HookName, HookSelector } from './hooks/names.ts';
import { RunContext } from './hooks/runContext.ts';
import { buildTfjsTransformer } from './engine/tfjsTransformer.ts';
import { fuseHostAttention } from './engine/hostFuse.ts';
import { copyOnHost } from './engine/hostTensors.ts';
import { OnnxTransformer } from './engine/onnxTransformer.ts';
import { cachedStepMaskBias, HostKeyValues } from './engine/onnxKeyValues.ts';
import type { HostFusedAttention, OnnxHookPlan } from './engine/onnxTransformer.ts';
import { silentContext } from './engine/ops.ts';
import { chooseEngine, EngineError } from './engine/select.ts';
import type { EngineChoice, EngineName } from './engine/select.ts';
import type { TfjsTransformer } from './engine/tfjsTransformer.ts';
import { Parameters } from './parameters.ts';
import { seededRandom, sampleToken } from './sampling.ts';
import type { SamplingOptions } from './sampling.ts';
import { attentionMaskBiasData, checkAttentionMask, positionIds, slidingWindowMaskBias, tokenRows, TokensError } from './tokens.ts';
import type { TokensInput } from './tokens.ts';
import type { Tokenizer } from './tokenizers/types.ts';
import { readoutWeightNames, unembedIsEmbedTransposed } from './weights.ts';
import type { WeightMap } from './weights.ts';

export interface ForwardOptions {
  /** [batch, pos] of 1 (real token) and 0 (padding); pads are never attended to nor counted in the loss. */
  attentionMask?: readonly (readonly number[])[];
  /** Run blocks from this layer on, starting from `residual` (the resid_pre of that layer). */
  startAtLayer?: number;
  residual?: tf.Tensor3D;
  /** Stop before this layer and return its resid_pre [batch, pos, d_model] instead of logits. */
  stopAtLayer?: number;
  /**
   * Unembed only these positions: logits become [batch, positions.length, d_vocab]. Sweeps
   * whose metric reads one position skip most of the (vocabulary-sized) unembedding.
   */
  unembedPositions?: readonly number[];
}

export interface LossOptions {
  /** Loss per predicted position [batch, pos - 1] (pads count 0) instead of the mean. */
  perTokenLoss?: boolean;
}

export type ReturnType = 'logits' | 'loss' | 'both';

export interface TokenizeOptions {
  /** Defaults to the model family's convention (`config.defaultPrependBos`). */
  prependBos?: boolean;
}

export interface BatchTokenizeOptions extends TokenizeOptions {
  paddingSide?: 'left' | 'right';
}

export interface GenerateOptions extends SamplingOptions, TokenizeOptions {
  /** At most this many new tokens; fewer when a stop token comes or the sequence reaches n_ctx. */
  maxNewTokens: number;
  seed?: number;
  /**
   * Stop when the model emits a token that ends a text (default true): `config.stopTokenIds`
   * when set (llama2.c: BOS, as its run.c stops), else the end-of-sequence token.
   */
  stopAtEos?: boolean;
  /** Hooks active during generation (they see each step's new positions). */
  fwdHooks?: readonly ForwardHook[];
}

/**
 * Why generation ended: `max-new-tokens` — it made all it was asked for; `stop-token` — the
 * model emitted a stop token (the last of `newTokens`); `context-limit` — the sequence
 * reached n_ctx before that, so fewer tokens came than asked for.
 */
export type GenerateStopReason = 'max-new-tokens' | 'stop-token' | 'context-limit';

export interface GenerateResult {
  /** The prompt's tokens and the new ones; never longer than n_ctx, so it can be run as is. */
  tokens: number[];
  newTokens: number[];
  /** The new text alone (stop tokens left out); '' without a tokenizer. */
  text: string;
  stopReason: GenerateStopReason;
}

/** Bytes of float32 tensors runWithCache hands back, by kind. */
export interface CacheBytesEstimate {
  /** The cached activations of the selected hooks. */
  activations: number;
  /** The logits [batch, pos, d_vocab] returned beside the cache. */
  logits: number;
  total: number;
}

interface RegisteredHook {
  selector: HookName | HookFilter;
  fn: HookFunction;
}

interface ModelOptions {
  tokenizer?: Tokenizer;
  /** Where the weights came from, for messages and `info`. */
  source?: string;
  /** Weights as tf.Variables, for training (see `trainableVariables`, `exportWeights`). */
  trainable?: boolean;
  /** The engine that runs forward passes; default: HOOKLENS_ENGINE, else onnx where onnxruntime-node loads, else tfjs. A trainable model runs on tfjs. */
  engine?: EngineName;
}

/**
 * runWithCache's own hook functions, with the store each one fills: they only read, so the
 * onnx engine makes their points graph outputs and hands the stores its tensors, uncopied.
 */
const cacheStores = new WeakMap<HookFunction, (activation: tf.Tensor) => void>();

/**
 * A decoder-only transformer with a named hook point on every activation, after
 * TransformerLens' HookedTransformer.
 *
 * Ownership: tensors a public method returns (logits, loss, caches) belong to the caller;
 * everything else a call allocates is freed before it returns.
 *
 * @example
 * const model = await loadModel('path/to/gpt2');
 * const { logits, cache } = model.runWithCache(model.toTokens('Hello world'), { names: /hook_pattern/ });
 * cache.get('blocks.0.attn.hook_pattern').print(); // [batch, head, query, key]
 * logits.dispose(); cache.dispose();
 */
export class HookedTransformer {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer | undefined;
  readonly source: string;
  /** The weights as loaded, in canonical names (see weights.ts); read-only by convention. */
  readonly weights: WeightMap;
  readonly hookPoints: ReadonlyMap<HookName, HookPoint>;
  private readonly names: HookName[];
  private readonly parameters: Parameters;
  private tfjsBuilt: TfjsTransformer | undefined;
  private persistentHooks: RegisteredHook[] = [];
  private readonly trainable: boolean;
  private readonly unembedByEmbed: boolean;
  /** The engine that runs forward passes, and how it reads in a status line. */
  readonly engine: EngineChoice;
  private readonly onnx: OnnxTransformer | undefined;

  constructor(config: ModelConfig, weights: WeightMap, options: ModelOptions = {}) {
    this.config = validateConfig({ ...config });
    this.tokenizer = options.tokenizer;
    this.source = options.source ?? 'memory';
    this.weights = weights;
    const trainable = options.trainable ?? false;
    this.trainable = trainable;
    if (trainable && options.engine === 'onnx') throw new EngineError('a trainable model runs on the tfjs engine (the onnx engine has no gradients)');
    this.engine = trainable ? chooseEngine('tfjs') : chooseEngine(options.engine);
    // On the onnx engine the weights tools read as tensors wrap the host copies (no second copy, no wasm heap).
    this.parameters = new Parameters(this.config, weights, this.source, trainable, this.engine.name === 'onnx');
    this.names = hookNamesFor(this.config);
    this.hookPoints = new Map(this.names.map((name) => [name, new HookPoint(name)]));
    // A tied W_U that is only a view of W_E stays one: the unembedding multiplies by W_E (training keeps its own W_U variable).
    this.unembedByEmbed = !trainable && unembedIsEmbedTransposed(weights);
    this.onnx = this.engine.name === 'onnx' ? new OnnxTransformer(this.config, weights, (layer) => this.hostFusedAttention(layer), this.unembedByEmbed) : undefined;
    if (!this.onnx) this.tfjs();
    // Tools read these as tfjs tensors on every call; made now, they are the model's own from load
    // on instead of appearing (and staying) at a tool's first call. Other weights stay host-only.
    else this.parameters.materialize(readoutWeightNames(this.config));
  }

  /** The component tree on tfjs tensors (the tfjs engine's; the onnx engine builds none). */
  private tfjs(): TfjsTransformer {
    this.tfjsBuilt ??= buildTfjsTransformer(this.config, (name) => this.parameters.optional(name), this.trainable, this.unembedByEmbed);
    return this.tfjsBuilt;
  }

  /** A layer's fused Q/K/V weights on the host, for the onnx engine (built without tfjs). */
  private hostFusedAttention(layer: number): HostFusedAttention {
    const b = `blocks.${layer}.attn`;
    const host = (name: string) => this.parameters.hostTensor(`${b}.${name}`);
    return fuseHostAttention(this.config, { W_Q: host('W_Q')!, W_K: host('W_K')!, W_V: host('W_V')!, b_Q: host('b_Q'), b_K: host('b_K'), b_V: host('b_V') });
  }

  /** Every hook point name, in forward order. */
  hookNames(): HookName[] {
    return [...this.names];
  }

  /** A weight by canonical name (`blocks.0.attn.W_O`), owned by the model: do not dispose it. */
  parameter<T extends tf.Tensor = tf.Tensor>(name: string): T {
    return this.parameters.get<T>(name);
  }

  hasParameter(name: string): boolean {
    return this.parameters.has(name);
  }

  parameterNames(): string[] {
    return this.parameters.names();
  }

  /** The weights as tf.Variables by canonical name (a model built with `trainable: true`; else empty). */
  trainableVariables(): Map<string, tf.Variable> {
    return this.parameters.variables();
  }

  /** Host copies of the current weights (e.g. after training), in canonical names. */
  exportWeights(): WeightMap {
    return this.parameters.toWeightMap();
  }

  /** Scalar parameter count; a tied embedding/unembedding counts once. */
  numParams(): number {
    return this.parameters.count(this.config.tiedEmbeddings);
  }

  // ---------------------------------------------------------------- readouts

  /**
   * Logits for residual-stream vectors read the way the model reads its final residual:
   * ln_final (each row's own statistics), W_U (+ b_U), and the logit soft cap where the model
   * has one; the logit lens' readout. [rows, d_model] → [rows, d_vocab], owned by the caller.
   * It runs on the model's engine: on onnx, W_U never enters the WebAssembly heap.
   */
  unembedResidual(residual: tf.Tensor2D): tf.Tensor2D {
    const { dModel, dVocab } = this.config;
    if (residual.rank !== 2 || residual.shape[0] < 1 || residual.shape[1] !== dModel) {
      throw new RangeError(`unembedResidual: residual has shape [${residual.shape.join(', ')}], expected [rows ≥ 1, ${dModel}]`);
    }
    const rows = residual.shape[0];
    if (this.onnx) return this.onnx.unembedResidual((residual.dataSync() as Float32Array).slice(), rows) as tf.Tensor2D;
    const transformer = this.tfjs().transformer;
    return tf.tidy(() => transformer.readout(residual.reshape([1, rows, dModel]), silentContext()).reshape([rows, dVocab]));
  }

  /**
   * W_U[:, id] for each token id, as rows [ids, d_model] (TransformerLens'
   * tokens_to_residual_directions): the direction in the normalised final residual whose dot
   * product is that token's logit, before b_U. Owned by the caller. Read column by column from the
   * host copy (the trained variable for a trainable model), so W_U never enters the WebAssembly heap.
   */
  tokensToResidualDirections(ids: readonly number[]): tf.Tensor2D {
    const { dModel, dVocab } = this.config;
    for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= dVocab) throw new TokensError(`token id ${id} is out of range [0, ${dVocab})`);
    if (this.trainable) return tf.tidy(() => tf.gather(this.parameter<tf.Tensor2D>('unembed.W_U'), [...ids], 1).transpose());
    const directions = new Float32Array(ids.length * dModel);
    if (this.unembedByEmbed) {
      // W_U[:, id] is W_E[id, :].
      const embed = this.parameters.hostTensor('embed.W_E')!.data;
      ids.forEach((id, row) => directions.set(embed.subarray(id * dModel, (id + 1) * dModel), row * dModel));
    } else {
      const unembed = this.parameters.hostTensor('unembed.W_U')!.data;
      ids.forEach((id, row) => {
        for (let d = 0; d < dModel; d++) directions[row * dModel + d] = unembed[d * dVocab + id];
      });
    }
    return tf.tensor2d(directions, [ids.length, dModel]);
  }

  // ---------------------------------------------------------------- tokens

  private requireTokenizer(): Tokenizer {
    if (!this.tokenizer) throw new TokensError(`model ${this.source} has no tokenizer: pass one (--tokenizer PATH) or give token ids`);
    return this.tokenizer;
  }

  private bosTokenId(): number {
    const id = this.tokenizer?.bosTokenId ?? this.config.bosTokenId;
    if (id === undefined) throw new TokensError(`model ${this.source} has no BOS token; use prependBos: false`);
    return id;
  }

  toTokens(text: string, options: TokenizeOptions = {}): number[] {
    const ids = this.requireTokenizer().encode(text);
    return (options.prependBos ?? this.config.defaultPrependBos) ? [this.bosTokenId(), ...ids] : ids;
  }

  /** Tokenises several texts into a padded batch with its attention mask. */
  toTokensBatch(texts: readonly string[], options: BatchTokenizeOptions = {}): { tokens: number[][]; attentionMask: number[][] } {
    const rows = texts.map((text) => this.toTokens(text, options));
    const length = Math.max(...rows.map((row) => row.length));
    const pad = this.tokenizer?.padTokenId ?? this.config.padTokenId ?? this.tokenizer?.eosTokenId ?? this.config.eosTokenId ?? 0;
    const left = options.paddingSide === 'left';
    const tokens = rows.map((row) => {
      const padding = new Array<number>(length - row.length).fill(pad);
      return left ? [...padding, ...row] : [...row, ...padding];
    });
    const attentionMask = rows.map((row) => {
      const ones = new Array<number>(row.length).fill(1);
      const zeros = new Array<number>(length - row.length).fill(0);
      return left ? [...zeros, ...ones] : [...ones, ...zeros];
    });
    return { tokens, attentionMask };
  }

  /** Each token's text as TransformerLens' to_str_tokens shows it. */
  toStrTokens(input: string | readonly number[], options: TokenizeOptions = {}): string[] {
    const tokenizer = this.requireTokenizer();
    const ids = typeof input === 'string' ? this.toTokens(input, options) : input;
    return ids.map((id, index) => tokenizer.tokenToString(id, index > 0 ? ids[index - 1] : undefined));
  }

  /**
   * One token's text as it reads after `previous` (TransformerLens' to_single_str_token). With no
   * `previous`, as it reads inside a text: llama2.c pieces keep the leading space they drop
   * right after BOS, so a predicted " Tim" shows as " Tim", not "Tim".
   */
  toSingleStrToken(id: number, previous?: number): string {
    const tokenizer = this.requireTokenizer();
    // Only BOS (or nothing) before a token triggers the after-BOS rule; EOS stands for any ordinary token.
    return tokenizer.tokenToString(id, previous ?? tokenizer.eosTokenId ?? id);
  }

  toString(ids: readonly number[]): string {
    return this.requireTokenizer().decode([...ids]);
  }

  // ---------------------------------------------------------------- hooks

  /** Attaches a long-lived hook; it stays until removeHook or resetHooks. */
  addHook(selector: HookName | HookFilter, fn: HookFunction): void {
    if (typeof selector === 'string') this.checkHookName(selector);
    this.persistentHooks.push({ selector, fn });
  }

  /** Removes hooks attached at `selector` (only `fn` when given). */
  removeHook(selector: HookName | HookFilter, fn?: HookFunction): void {
    this.persistentHooks = this.persistentHooks.filter((hook) => !(hook.selector === selector && (!fn || hook.fn === fn)));
  }

  resetHooks(): void {
    this.persistentHooks = [];
  }

  /** Runs `body` with `hooks` attached, removing them afterwards even when it throws. */
  withHooks<T>(hooks: readonly ForwardHook[], body: () => T): T {
    const added: RegisteredHook[] = hooks.map(([selector, fn]) => {
      if (typeof selector === 'string') this.checkHookName(selector);
      return { selector, fn };
    });
    this.persistentHooks.push(...added);
    const remove = () => { this.persistentHooks = this.persistentHooks.filter((hook) => !added.includes(hook)); };
    try {
      const result = body();
      if (result instanceof Promise) return result.finally(remove) as T;
      remove();
      return result;
    } catch (error) {
      remove();
      throw error;
    }
  }

  /**
   * What `runWithCache(tokens, { names })` will hand back, in bytes, for tokens of shape
   * [batch, pos], before running it: the activations and, separately, the logits.
   */
  estimateCacheBytes(tokensShape: readonly [number, number], names: HookSelector = () => true): CacheBytesEstimate {
    const [batch, positions] = tokensShape;
    if (![batch, positions].every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`tokensShape must be [batch, pos] of positive integers, got [${tokensShape.join(', ')}]`);
    const activations = activationCacheBytes(this.config, tokensShape, names);
    const logits = 4 * batch * positions * this.config.dVocab;
    return { activations, logits, total: activations + logits };
  }

  private checkHookName(name: string): void {
    assertHookName(this.names, this.hookPoints, name);
  }

  private activeHooks(extra: readonly RegisteredHook[]): Map<HookName, HookFunction[]> {
    const active = new Map<HookName, HookFunction[]>();
    for (const hook of [...this.persistentHooks, ...extra]) {
      const targets = typeof hook.selector === 'string' ? [hook.selector] : this.names.filter(hook.selector);
      for (const name of targets) {
        const list = active.get(name);
        if (list) list.push(hook.fn);
        else active.set(name, [hook.fn]);
      }
    }
    return active;
  }

  // ---------------------------------------------------------------- forward

  forward(tokens: TokensInput, options?: ForwardOptions & { returnType?: 'logits' }): tf.Tensor3D;
  forward(tokens: TokensInput, options: ForwardOptions & LossOptions & { returnType: 'loss' }): tf.Tensor;
  forward(tokens: TokensInput, options: ForwardOptions & LossOptions & { returnType: 'both' }): { logits: tf.Tensor3D; loss: tf.Tensor };
  forward(tokens: TokensInput, options: ForwardOptions & LossOptions & { returnType?: ReturnType } = {}): tf.Tensor | { logits: tf.Tensor3D; loss: tf.Tensor } {
    return this.run(tokens, options, []);
  }

  /** Runs with the selected activations saved; the caller owns `logits` and `cache`. */
  runWithCache(tokens: TokensInput, options: ForwardOptions & { names?: HookSelector } = {}): { logits: tf.Tensor3D; cache: ActivationCache } {
    const selected = selectHookNames(this.names, options.names ?? (() => true));
    const store = new Map<HookName, tf.Tensor>();
    const cacheHooks: RegisteredHook[] = selected.map((name) => {
      const fn: HookFunction = (activation) => { store.set(name, tf.keep(activation.clone())); };
      cacheStores.set(fn, (activation) => { store.set(name, tf.keep(activation)); });
      return { selector: name, fn };
    });
    try {
      const logits = this.run(tokens, options, cacheHooks) as tf.Tensor3D;
      // In forward order: the onnx engine hands over read points after edited ones.
      return { logits, cache: new ActivationCache(new Map(selected.filter((name) => store.has(name)).map((name) => [name, store.get(name)!]))) };
    } catch (error) {
      tf.dispose([...store.values()]);
      throw error;
    }
  }

  /** Runs with `fwdHooks` attached for this call only; returns the logits (caller owns). */
  runWithHooks(tokens: TokensInput, options: ForwardOptions & { fwdHooks: readonly ForwardHook[] }): tf.Tensor3D {
    return this.withHooks(options.fwdHooks, () => this.run(tokens, options, []) as tf.Tensor3D);
  }

  private run(
    tokens: TokensInput,
    options: ForwardOptions & LossOptions & { returnType?: ReturnType },
    extraHooks: readonly RegisteredHook[],
    keyValues?: LayerKeyValues<tf.Tensor>[],
    positionOffset = 0,
  ): tf.Tensor | { logits: tf.Tensor3D; loss: tf.Tensor } {
    const cfg = this.config;
    const rows = tokenRows(tokens, cfg, positionOffset);
    const mask = options.attentionMask ? checkAttentionMask(options.attentionMask, rows) : undefined;
    const batch = rows.length;
    const length = rows[0].length;
    const startAtLayer = options.startAtLayer ?? 0;
    const stopAtLayer = options.stopAtLayer ?? cfg.nLayers;
    if (!Number.isInteger(startAtLayer) || startAtLayer < 0 || startAtLayer > cfg.nLayers) throw new RangeError(`startAtLayer ${startAtLayer} is outside [0, ${cfg.nLayers}]`);
    if (!Number.isInteger(stopAtLayer) || stopAtLayer < startAtLayer || stopAtLayer > cfg.nLayers) throw new RangeError(`stopAtLayer ${stopAtLayer} is outside [${startAtLayer}, ${cfg.nLayers}]`);
    if (startAtLayer > 0) {
      const expected = [batch, length, cfg.dModel];
      if (!options.residual) throw new Error(`startAtLayer ${startAtLayer} needs the residual stream to start from (options.residual)`);
      if (!tf.util.arraysEqual(options.residual.shape, expected)) throw new Error(`residual has shape [${options.residual.shape.join(', ')}], expected [${expected.join(', ')}]`);
    }
    const returnType = options.returnType ?? 'logits';
    if (options.stopAtLayer !== undefined && returnType !== 'logits') throw new Error('stopAtLayer returns the residual stream; it cannot return a loss');
    if (returnType !== 'logits' && length < 2) throw new TokensError('a loss needs at least 2 tokens per row');
    if (options.unembedPositions) {
      if (returnType !== 'logits') throw new Error('unembedPositions returns logits only; a loss needs every position');
      const bad = options.unembedPositions.find((position) => !Number.isInteger(position) || position < 0 || position >= length);
      if (bad !== undefined) throw new RangeError(`unembedPositions: position ${bad} is outside [0, ${length})`);
    }
    const active = this.activeHooks(extraHooks);
    const ctx = new RunContext(this.hookPoints, active);
    const pastLength = positionOffset;
    const hasPadding = mask !== undefined && mask.some((row) => row.includes(0));
    const learnedPadding = mask && cfg.positional === 'learned' ? mask : undefined;

    const tfjs = this.onnx ? undefined : this.tfjs();
    return tf.tidy(() => {
      const keyMask = mask && pastLength > 0 ? mask.map((row) => [...new Array<number>(pastLength).fill(1), ...row]) : mask;
      const maskBias = attentionMaskBiasData(keyMask, batch, length, pastLength + length);
      const localMaskBias = this.slidingWindow(maskBias, batch, length, pastLength);
      let output: tf.Tensor;
      if (this.onnx) {
        output = this.onnx.forward({
          rows,
          positions: positionIds(mask, batch, length, positionOffset),
          maskBias,
          localMaskBias,
          hasPadding,
          realTokens: learnedPadding,
          startAtLayer,
          stopAtLayer,
          residual: startAtLayer > 0 ? (options.residual!.dataSync() as Float32Array).slice() : undefined,
          unembedPositions: options.unembedPositions,
        }, onnxHookPlan(active, ctx));
      } else {
        const inputs: TransformerInputs<tf.Tensor> = {
          tokens: tf.tensor2d(rows, [batch, length], 'int32'),
          positions: tf.tensor2d(positionIds(mask, batch, length, positionOffset), [batch, length], 'int32'),
          maskBias: tf.tensor4d(maskBias, [batch, 1, length, pastLength + length]),
          localMaskBias: localMaskBias && tf.tensor4d(localMaskBias, [batch, 1, length, pastLength + length]),
          hasPadding,
          realTokens: learnedPadding ? tf.tensor3d(learnedPadding.map((row) => row.map((real) => [real])), [batch, length, 1]) : undefined,
          residual: startAtLayer > 0 ? options.residual : undefined,
          unembedPositions: options.unembedPositions ? tf.tensor1d([...options.unembedPositions], 'int32') : undefined,
        };
        output = tfjs!.transformer.forward(ctx, inputs, startAtLayer, stopAtLayer, keyValues);
      }
      if (stopAtLayer < cfg.nLayers) return output as tf.Tensor3D;
      const logits = output as tf.Tensor3D;
      if (returnType === 'logits') return logits;
      const loss = nextTokenLoss(logits, rows, mask, options.perTokenLoss ?? false, this.trainable);
      return returnType === 'loss' ? loss : { logits, loss };
    });
  }

  /** The local layers' mask (`maskBias` with the sliding window), when the model has local layers; queries start at `firstQuery`. */
  private slidingWindow(maskBias: Float32Array, batch: number, queries: number, firstQuery: number, keyIndex?: (slot: number) => number): Float32Array | undefined {
    const { attnTypes, windowSize } = this.config;
    if (!attnTypes?.includes('local') || windowSize === undefined) return undefined;
    return slidingWindowMaskBias(maskBias, batch, queries, windowSize, firstQuery, keyIndex);
  }

  // ---------------------------------------------------------------- generation

  /**
   * Continues a prompt with a key/value cache (one position per step after the prompt).
   * Returns the prompt's and the new tokens, the new text alone, and why it stopped. A
   * prompt longer than n_ctx is an error; the sequence never grows past n_ctx.
   */
  async generate(prompt: string | readonly number[], options: GenerateOptions): Promise<GenerateResult> {
    const { maxNewTokens } = options;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
    let promptIds: number[];
    if (typeof prompt === 'string') {
      promptIds = prompt === '' ? [this.bosTokenId()] : this.toTokens(prompt, options);
    } else {
      promptIds = [...prompt];
    }
    if (promptIds.length === 0) throw new TokensError('generate needs at least one prompt token');
    const nCtx = this.config.nCtx;
    if (promptIds.length > nCtx) throw new TokensError(`prompt of ${promptIds.length} tokens is longer than the model's context n_ctx = ${nCtx}`);
    const random = seededRandom(options.seed ?? 0);
    const stopTokens = this.stopTokenIds();
    const stopAtEos = options.stopAtEos ?? true;
    const keyValues: LayerKeyValues<tf.Tensor>[] = Array.from({ length: this.config.nLayers }, () => ({}));
    const extra: RegisteredHook[] = (options.fwdHooks ?? []).map(([selector, fn]) => {
      if (typeof selector === 'string') this.checkHookName(selector);
      return { selector, fn };
    });
    const newTokens: number[] = [];
    let stopReason: GenerateStopReason = 'max-new-tokens';
    // The onnx engine keeps the key/value cache on the host.
    const onnxCache = this.onnx ? new HostKeyValues(this.config.nLayers, this.config.nKvHeads * this.config.dHead, nCtx) : undefined;
    const nextLogits = async (input: number[], offset: number): Promise<Float32Array> => {
      if (onnxCache) {
        // ONNX Runtime runs synchronously: let the event loop (a server's other requests) in between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
        return this.onnxStep(onnxCache, input, extra);
      }
      const logits = this.run([input], {}, extra, keyValues, offset) as tf.Tensor3D;
      const last = tf.tidy(() => logits.slice([0, input.length - 1, 0], [1, 1, this.config.dVocab]).reshape([-1]));
      const values = (await last.data()) as Float32Array;
      tf.dispose([logits, last]);
      return values;
    };
    try {
      let input = promptIds;
      let offset = 0;
      for (let step = 0; step < maxNewTokens; step++) {
        // Each new token lengthens the sequence by one; it may not pass n_ctx.
        if (offset + input.length >= nCtx) {
          stopReason = 'context-limit';
          break;
        }
        const values = await nextLogits(input, offset);
        const next = sampleToken(values, options, random);
        newTokens.push(next);
        if (stopAtEos && stopTokens.includes(next)) {
          stopReason = 'stop-token';
          break;
        }
        offset += input.length;
        input = [next];
      }
    } finally {
      for (const entry of keyValues) tf.dispose([entry.keys, entry.values].filter((t): t is tf.Tensor => t !== undefined));
    }
    const visible = newTokens.filter((id) => !stopTokens.includes(id));
    return { tokens: [...promptIds, ...newTokens], newTokens, text: this.tokenizer ? this.continuationText(promptIds, visible) : '', stopReason };
  }

  /**
   * One generation step on the onnx engine, with the hooks active now: the last position's
   * logits; the step's keys and values join `cache` (not when a hook throws).
   */
  private onnxStep(cache: HostKeyValues, input: number[], extra: readonly RegisteredHook[]): Float32Array {
    const past = cache.length;
    const capacity = cache.capacity;
    const active = this.activeHooks(extra);
    // Hooks get tfjs tensors: freed when the step ends, as a tfjs forward frees its own.
    return tf.tidy(() => {
      const maskBias = cachedStepMaskBias(past, capacity, input.length);
      const { logits, keyValues } = this.onnx!.step({
        rows: [input],
        positions: positionIds(undefined, 1, input.length, past),
        maskBias,
        // Slots past the cache's capacity hold this step's keys, at sequence index past + (slot - capacity).
        localMaskBias: this.slidingWindow(maskBias, 1, input.length, past, (slot) => (slot < capacity ? slot : past + slot - capacity)),
        hasPadding: false,
        startAtLayer: 0,
        stopAtLayer: this.config.nLayers,
        unembedPositions: [input.length - 1],
        keyValues: { capacity, length: past, keys: cache.keys, values: cache.values },
      }, onnxHookPlan(active, new RunContext(this.hookPoints, active)));
      cache.append(keyValues.keys, keyValues.values);
      return logits;
    });
  }

  /** Tokens that end a generated text: the config's stop tokens, else the end-of-sequence token. */
  private stopTokenIds(): readonly number[] {
    if (this.config.stopTokenIds) return this.config.stopTokenIds;
    const eos = this.tokenizer?.eosTokenId ?? this.config.eosTokenId;
    return eos === undefined ? [] : [eos];
  }

  /**
   * The text the new tokens add, decoded together with the prompt so word-boundary rules
   * and characters split over byte tokens come out right.
   */
  private continuationText(promptIds: number[], newTokens: number[]): string {
    const tokenizer = this.tokenizer!;
    const prompt = tokenizer.decode(promptIds);
    const whole = tokenizer.decode([...promptIds, ...newTokens]);
    return whole.startsWith(prompt) ? whole.slice(prompt.length) : tokenizer.decode(newTokens);
  }

  dispose(): void {
    this.parameters.dispose();
    this.tfjsBuilt?.dispose();
    this.onnx?.dispose();
  }
}

/**
 * The active hooks as the onnx engine runs them: points whose functions are all runWithCache's
 * stores are read (graph outputs, no cut); any other function may edit, so its point is cut.
 */
function onnxHookPlan(active: ReadonlyMap<HookName, HookFunction[]>, ctx: RunContext): OnnxHookPlan {
  const reads: string[] = [];
  const edits: string[] = [];
  for (const [name, functions] of active) (functions.every((fn) => cacheStores.has(fn)) ? reads : edits).push(name);
  return {
    reads,
    edits,
    edit: (name, value) => ctx.hook(name, value),
    read: (name, value) => {
      const stores = active.get(name as HookName)!.map((fn) => cacheStores.get(fn)!);
      // Copies stay on the host: clone() would run on the active backend and move the value into its heap.
      stores.forEach((store, index) => store(index === stores.length - 1 ? value : copyOnHost(value)));
    },
  };
}

/** Mean next-token cross-entropy over positions whose token and next token are both real. */
function nextTokenLoss(logits: tf.Tensor3D, rows: number[][], mask: number[][] | undefined, perToken: boolean, differentiable: boolean): tf.Tensor {
  const [batch, length, vocab] = logits.shape;
  const predicted = length - 1;
  const indices: number[] = [];
  const weights: number[] = [];
  for (let row = 0; row < batch; row++) {
    for (let position = 0; position < predicted; position++) {
      indices.push((row * length + position) * vocab + rows[row][position + 1]);
      weights.push(!mask || (mask[row][position] && mask[row][position + 1]) ? 1 : 0);
    }
  }
  const weight = tf.tensor1d(weights);
  let picked: tf.Tensor;
  if (differentiable) {
    // One-hot selection: gather's gradient needs a kernel the WASM backend lacks.
    const targets = rows.flatMap((row) => row.slice(1));
    const logProbs = tf.logSoftmax(logits.slice([0, 0, 0], [batch, predicted, vocab])).reshape([batch * predicted, vocab]);
    picked = logProbs.mul(tf.oneHot(tf.tensor1d(targets, 'int32'), vocab)).sum(1);
  } else {
    picked = tf.gather(tf.logSoftmax(logits).reshape([-1]), tf.tensor1d(indices, 'int32'));
  }
  const losses = picked.neg().mul(weight);
  if (perToken) return losses.reshape([batch, predicted]);
  return losses.sum().div(tf.maximum(weight.sum(), 1));
}
