import type { ModelConfig } from '../config.ts';
import type { HookContext, Ops } from '../engine/ops.ts';
import { Attention } from './attention.ts';
import type { AttentionInputs, AttentionWeights, FusedAttentionWeights, KeyValueStore, LayerKeyValues } from './attention.ts';
import { Block } from './block.ts';
import { Embed, PosEmbed } from './embed.ts';
import { Mlp } from './mlp.ts';
import { Norm } from './norm.ts';
import { Rotary } from './rotary.ts';
import { Unembed } from './unembed.ts';

/** What an engine gives the component tree: its weights as the engine's tensors. */
export interface TransformerSources<T> {
  /** A weight by canonical name (weights.ts), or undefined when the checkpoint has none. */
  parameter(name: string): T | undefined;
  /** rotaryTables' cos and sin (rotary models only). */
  rotary?: { cos: T; sin: T };
  /** The local layers' tables, at config.rotaryBaseLocal (when set). */
  rotaryLocal?: { cos: T; sin: T };
  /** A layer's fused attention weights when prebuilt; else `fuse` runs in every forward. */
  fused(layer: number, weights: AttentionWeights<T>): FusedAttentionWeights<T> | undefined;
  fuse(layer: number, weights: AttentionWeights<T>): FusedAttentionWeights<T>;
  keyValueStore?: KeyValueStore<T>;
  /** W_U is W_E transposed and not held apart (weights.ts, TransposedView): the unembedding multiplies by W_E. */
  unembedByEmbed?: boolean;
}

/** One forward pass' inputs, built by the engine as its own tensors. */
export interface TransformerInputs<T> extends AttentionInputs<T> {
  tokens: T; // [batch, pos] int32
  /** [batch, pos, 1], 1 real token / 0 pad, when the batch is padded (learned positions zero pads). */
  realTokens?: T;
  /** resid_pre of `startAtLayer` when it is above 0. */
  residual?: T;
  /** Unembed only these positions (int32 [n]). */
  unembedPositions?: T;
}

/**
 * The whole decoder-only transformer, written once over `Ops<T>`: the tfjs engine runs it
 * eagerly, the onnx engine traces it into a graph.
 */
export class Transformer<T> {
  readonly embed: Embed<T>;
  readonly posEmbed: PosEmbed<T> | undefined;
  readonly blocks: readonly Block<T>[];
  readonly lnFinal: Norm<T>;
  readonly unembed: Unembed<T>;

  constructor(private readonly ops: Ops<T>, private readonly config: ModelConfig, sources: TransformerSources<T>) {
    const cfg = config;
    const get = (name: string): T => {
      const value = sources.parameter(name);
      if (value === undefined) throw new Error(`no parameter "${name}"`);
      return value;
    };
    const optional = (name: string) => sources.parameter(name);
    const norm = (prefix: string) => new Norm(ops, cfg.normType, cfg.eps, get(`${prefix}.w`), optional(`${prefix}.b`), `${prefix}.`);
    this.embed = new Embed(ops, get('embed.W_E'), cfg.embedScale);
    this.posEmbed = cfg.positional === 'learned' ? new PosEmbed(ops, get('pos_embed.W_pos')) : undefined;
    const rotary = cfg.positional === 'rotary' && sources.rotary ? new Rotary(ops, sources.rotary.cos, sources.rotary.sin, cfg.rotaryDim, cfg.rotaryPairing) : undefined;
    if (cfg.positional === 'rotary' && !rotary) throw new Error('a rotary model needs its rotary tables');
    const rotaryLocal = rotary && cfg.rotaryBaseLocal !== undefined && sources.rotaryLocal
      ? new Rotary(ops, sources.rotaryLocal.cos, sources.rotaryLocal.sin, cfg.rotaryDim, cfg.rotaryPairing) : rotary;
    if (rotary && cfg.rotaryBaseLocal !== undefined && !sources.rotaryLocal) throw new Error('config.rotaryBaseLocal needs the local rotary tables');
    this.blocks = Array.from({ length: cfg.nLayers }, (_, layer) => {
      const b = `blocks.${layer}`;
      const weights: AttentionWeights<T> = {
        W_Q: get(`${b}.attn.W_Q`), W_K: get(`${b}.attn.W_K`), W_V: get(`${b}.attn.W_V`), W_O: get(`${b}.attn.W_O`),
        b_Q: optional(`${b}.attn.b_Q`), b_K: optional(`${b}.attn.b_K`), b_V: optional(`${b}.attn.b_V`), b_O: optional(`${b}.attn.b_O`),
      };
      const layerRotary = cfg.attnTypes?.[layer] === 'local' ? rotaryLocal : rotary;
      const qkNorms = cfg.qkNorm ? { q: norm(`${b}.attn.q_norm`), k: norm(`${b}.attn.k_norm`) } : undefined;
      const attention = new Attention(ops, cfg, layer, weights, layerRotary, sources.fused(layer, weights), () => sources.fuse(layer, weights), sources.keyValueStore, qkNorms);
      const mlp = cfg.attnOnly ? undefined : new Mlp(ops, cfg, layer, {
        W_in: get(`${b}.mlp.W_in`), W_gate: optional(`${b}.mlp.W_gate`), W_out: get(`${b}.mlp.W_out`),
        b_in: optional(`${b}.mlp.b_in`), b_out: optional(`${b}.mlp.b_out`),
      });
      const post = cfg.sandwichNorms ? { ln1: norm(`${b}.ln1_post`), ln2: cfg.attnOnly ? undefined : norm(`${b}.ln2_post`) } : undefined;
      return new Block(ops, layer, norm(`${b}.ln1`), attention, cfg.attnOnly ? undefined : norm(`${b}.ln2`), mlp, { normPlacement: cfg.normPlacement, parallelResidual: cfg.parallelResidual === true, post });
    });
    this.lnFinal = norm('ln_final');
    this.unembed = sources.unembedByEmbed
      ? new Unembed(ops, get('embed.W_E'), optional('unembed.b_U'), true)
      : new Unembed(ops, get('unembed.W_U'), optional('unembed.b_U'), false);
  }

  /** Logits [batch, pos, d_vocab], or the resid_pre of `stopAtLayer` when it is below n_layers. */
  forward(ctx: HookContext<T>, inputs: TransformerInputs<T>, startAtLayer: number, stopAtLayer: number, keyValues?: readonly LayerKeyValues<T>[]): T {
    const ops = this.ops;
    let residual: T;
    if (startAtLayer > 0) {
      if (inputs.residual === undefined) throw new Error(`startAtLayer ${startAtLayer} needs the residual stream to start from`);
      residual = inputs.residual;
    } else {
      residual = this.embed.forward(inputs.tokens, ctx);
      if (this.posEmbed) residual = ops.add(residual, this.posEmbed.forward(inputs.positions, ctx, inputs.realTokens));
    }
    for (let layer = startAtLayer; layer < stopAtLayer; layer++) {
      residual = this.blocks[layer].forward(residual, ctx, inputs, keyValues?.[layer]);
    }
    if (stopAtLayer < this.config.nLayers) return residual;
    return this.readout(residual, ctx, inputs.unembedPositions);
  }

  /**
   * How the model reads its final residual [batch, pos, d_model]: ln_final (each position's own
   * statistics), the unembedding, the logit soft cap; logits [batch, pos(or positions), d_vocab].
   */
  readout(residual: T, ctx: HookContext<T>, positions?: T): T {
    const ops = this.ops;
    const normalized = this.lnFinal.forward(residual, ctx);
    const logits = this.unembed.forward(positions ? ops.gather(normalized, positions, 1) : normalized);
    const cap = this.config.outputLogitsSoftCap;
    return cap === undefined ? logits : ops.mul(ops.tanh(ops.mul(logits, 1 / cap)), cap);
  }
}
