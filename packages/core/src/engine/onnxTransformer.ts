import * as tf from '@tensorflow/tfjs-core';
import { rotaryTables } from '../components/rotary.ts';
import { Transformer } from '../components/transformer.ts';
import type { TransformerInputs } from '../components/transformer.ts';
import type { ModelConfig } from '../config.ts';
import type { HostTensor, WeightMap } from '../weights.ts';
import { GraphRecorder, OnnxOps } from './onnxOps.ts';
import type { Sym } from './onnxOps.ts';
import { ElemType, encodeModel } from './onnxProto.ts';
import type { NodeProto, TensorProto } from './onnxProto.ts';
import { tensorOnHost } from './hostTensors.ts';
import type { HookContext } from './ops.ts';
import { OrtSession, ortTensor } from './ort.ts';
import type { OrtTensor } from './ort.ts';
import { realKeysView } from './stepKeyView.ts';

/** One forward pass' inputs as host arrays (the onnx engine's feeds). */
export interface OnnxForwardRequest {
  rows: number[][];
  positions: number[][];
  maskBias: Float32Array; // [batch, 1, query, key]
  /** maskBias with the sliding window applied, for models with local layers. */
  localMaskBias?: Float32Array; // [batch, 1, query, key]
  hasPadding: boolean;
  /** [batch, pos] of 1 / 0 when the batch is padded and positions are learned. */
  realTokens?: number[][];
  startAtLayer: number;
  stopAtLayer: number;
  /** resid_pre of startAtLayer, [batch, pos, d_model]. */
  residual?: Float32Array;
  unembedPositions?: readonly number[];
  /**
   * A generation step: the past keys and values (after rotary, [batch, capacity, kv_head,
   * d_head] per layer; none when capacity is 0; the first `length` real) are graph inputs,
   * masked by maskBias, and the step's own keys and values come back.
   */
  keyValues?: { capacity: number; length: number; keys: readonly Float32Array[]; values: readonly Float32Array[] };
}

/** A generation step's keys and values, [batch, pos, kv_head, d_head] per layer. */
export interface StepKeyValues {
  keys: Float32Array[];
  values: Float32Array[];
}

/**
 * How the run treats each hook point: `read` points become graph outputs handed to their
 * functions after the run; `edit` points cut the graph there, so their functions see the
 * activation and may replace it before the rest runs.
 */
export interface OnnxHookPlan {
  reads: readonly string[];
  edits: readonly string[];
  /** Calls an edited point's hook functions on `value`; returns what the forward continues with. */
  edit(name: string, value: tf.Tensor): tf.Tensor;
  /** Hands a read point's value to its readers, which keep it. */
  read(name: string, value: tf.Tensor): void;
}

/** A layer's fused attention weights on the host. */
export interface HostFusedAttention {
  qkv: HostTensor;
  qkvBias: HostTensor | undefined;
}

interface Cut {
  name: string;
  pre: string;
  post: string;
}

interface Segment {
  session: OrtSession | undefined;
  inputs: string[];
  outputs: string[];
  /** Edited hook points run after this segment, in order. */
  cuts: Cut[];
}

/** A segment's part of the trace, before its session exists. */
interface SegmentPart {
  index: number;
  nodes: NodeProto[];
  cuts: Cut[];
  outputs: string[];
  consumed: string[];
  /** Weights the segment may bake as initializers. */
  bakeable: ReadonlySet<string>;
}

interface Plan {
  segments: Segment[];
  /** Bytes of weights its sessions hold as initializers (see `reserveBaked`). */
  bakedBytes: number;
  /** Runs so far. */
  uses: number;
  /** Rebuilds the sessions with their MatMul weights baked (`bytes` of them), until it has. */
  bake: { bytes: number; build: () => Segment[] } | undefined;
  reads: Map<string, string>;
  result: string;
  /** Per layer, the values holding a generation step's keys and values. */
  presents: [string, string][];
}

/** Hook points during a trace: reads become graph outputs, edits become cuts. */
class TraceContext implements HookContext<Sym> {
  readonly reads = new Map<string, string>();
  readonly cuts: (Cut & { at: number })[] = [];

  constructor(private readonly recorder: GraphRecorder, private readonly readNames: ReadonlySet<string>, private readonly editNames: ReadonlySet<string>) {}

  wants(name: string): boolean {
    return this.readNames.has(name) || this.editNames.has(name);
  }

  hook(name: string, value: Sym): Sym {
    if (this.editNames.has(name)) {
      const post = this.recorder.declare(`cut.${name}`, value.shape, value.type);
      this.cuts.push({ name, pre: value.name, post: post.name, at: this.recorder.nodes.length });
      return post;
    }
    if (this.readNames.has(name)) this.reads.set(name, value.name);
    return value;
  }
}

const PLAN_CACHE_SIZE = 32;

const noHooks: OnnxHookPlan = { reads: [], edits: [], edit: (_name, value) => value, read: () => undefined };

/**
 * Bytes of weights the cached plans may hold inside their sessions at once. A weight that is a
 * MatMul's right operand runs up to twice as fast baked into the session as an initializer
 * (ONNX Runtime packs it once, at load, instead of in every run), but each session holds its
 * own packed copy; plans past this budget feed weights as inputs from the one host copy.
 * HOOKLENS_ONNX_BAKE_BYTES sets it; one segment stays under protobuf's 2 GB. The default is 0
 * (never bake): a baked matmul rounds differently in the last bits, so the same request would
 * give slightly different numbers before and after its plan is baked, and each baked plan is a
 * second copy of its weights.
 */
/**
 * Runs of a plan before it is rebuilt with baked weights: building a baked session costs a few
 * unbaked runs (the weights are copied into the model and packed), so plans run once or twice
 * (a tool's clean run, a sweep's last partial batch) never pay it.
 */
const BAKE_AFTER_USES = 3;

function bakeBudget(): number {
  const fromEnv = Number(typeof process === 'undefined' ? undefined : process.env.HOOKLENS_ONNX_BAKE_BYTES);
  return Math.min(Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : 0, 1.75 * 2 ** 30);
}

/**
 * The transformer on ONNX Runtime: the component tree traced into graphs per plan (shapes,
 * points read, points edited), cut into segments at edited points, with sessions cached
 * per plan. Weights are graph inputs fed from one host copy, shared by every plan, except
 * the MatMul weights of plans in repeated use, baked into their sessions within a byte budget.
 */
export class OnnxTransformer {
  private readonly ops = new OnnxOps();
  private readonly transformer: Transformer<Sym>;
  private readonly weightSyms = new Map<string, Sym>();
  private readonly weightData = new Map<string, Float32Array>();
  private readonly weightTensors = new Map<string, OrtTensor>();
  private readonly plans = new Map<string, Plan>();
  /** Plans now running, with how deeply (a hook may run the model again): never evicted. */
  private readonly running = new Map<Plan, number>();
  private readonly bakeBudget = bakeBudget();
  private bakedBytes = 0;
  /** Filled while tracing a generation step: each layer's new keys and values. */
  private presents: [string, string][] = [];

  /** @param unembedByEmbed the unembedding multiplies by W_E (a tied W_U that is only a view; its values are never read). */
  constructor(private readonly config: ModelConfig, weights: WeightMap, fused: (layer: number) => HostFusedAttention, unembedByEmbed: boolean) {
    const weight = (name: string, data: Float32Array, shape: readonly number[]): Sym => {
      const sym: Sym = { name, shape: [...shape], type: ElemType.Float };
      this.weightSyms.set(name, sym);
      this.weightData.set(name, data);
      return sym;
    };
    const { nHeads, dHead, dModel } = config;
    const tablesAt = (base: number, name: string) => {
      const tables = rotaryTables(config.nCtx, config.rotaryDim, base);
      return { cos: weight(`${name}.cos`, tables.cos, tables.shape), sin: weight(`${name}.sin`, tables.sin, tables.shape) };
    };
    const rotary = config.positional === 'rotary' ? tablesAt(config.rotaryBase, 'rotary') : undefined;
    const rotaryLocal = config.positional === 'rotary' && config.rotaryBaseLocal !== undefined ? tablesAt(config.rotaryBaseLocal, 'rotaryLocal') : undefined;
    this.transformer = new Transformer(this.ops, config, {
      parameter: (name) => {
        const host = weights.get(name);
        return host ? weight(`w.${name}`, host.data, host.shape) : undefined;
      },
      rotary,
      rotaryLocal,
      fused: (layer, w) => {
        const host = fused(layer);
        const output = this.weightData.get(w.W_O.name)!;
        return {
          qkv: weight(`f.${layer}.qkv`, host.qkv.data, host.qkv.shape),
          qkvBias: host.qkvBias && weight(`f.${layer}.qkvBias`, host.qkvBias.data, host.qkvBias.shape),
          output: weight(`f.${layer}.output`, output, [nHeads * dHead, dModel]),
        };
      },
      fuse: () => { throw new Error('the onnx engine has no trainable weights'); },
      keyValueStore: {
        extend: (cached, keys, values) => {
          this.presents.push([keys.name, values.name]);
          if (!cached.keys || !cached.values) return { keys, values };
          return { keys: this.ops.concat([cached.keys, keys], 1), values: this.ops.concat([cached.values, values], 1) };
        },
      },
      unembedByEmbed,
    });
  }

  /** Logits [batch, pos(or unembedPositions), d_vocab], or resid_pre of stopAtLayer; a tensor inside the caller's tidy. */
  forward(request: OnnxForwardRequest, hooks: OnnxHookPlan): tf.Tensor {
    const { plan, values } = this.execute(request, hooks);
    return toTf(values.get(plan.result)!);
  }

  /**
   * A generation step: the logits ([batch, pos(or unembedPositions), d_vocab], on the host) and
   * the step's keys and values. Hooks see scores and patterns over the real keys only, as on
   * tfjs; tensors they get are made inside the caller's tidy.
   */
  step(request: OnnxForwardRequest & { keyValues: NonNullable<OnnxForwardRequest['keyValues']> }, hooks: OnnxHookPlan = noHooks): { logits: Float32Array; keyValues: StepKeyValues } {
    const { plan, values } = this.execute(request, realKeysView(hooks, request.keyValues.length, request.keyValues.capacity));
    const host = (name: string) => values.get(name)!.data as Float32Array;
    return {
      logits: host(plan.result),
      keyValues: { keys: plan.presents.map(([keys]) => host(keys)), values: plan.presents.map(([, present]) => host(present)) },
    };
  }

  /**
   * The model's readout (Transformer.readout: ln_final, unembedding, soft cap; no hooks) of
   * residual rows [rows, d_model]: logits [rows, d_vocab] in JavaScript memory, a tensor inside
   * the caller's tidy. W_U (or a tied model's W_E) stays an input fed from its host copy.
   */
  unembedResidual(residual: Float32Array, rows: number): tf.Tensor {
    const { dModel, dVocab } = this.config;
    const plan = this.cachedPlan(JSON.stringify(['readout', rows]), () => {
      const recorder = new GraphRecorder();
      const input = recorder.declare('in.residual', [1, rows, dModel]);
      const ctx = new TraceContext(recorder, new Set(), new Set());
      const result = this.ops.trace(recorder, () => this.transformer.readout(input, ctx));
      return this.partition(recorder, ctx, result.name, []);
    });
    const values = this.runTracked(plan, new Map([['in.residual', ortTensor('float32', residual, [1, rows, dModel])]]), noHooks);
    return tensorOnHost(values.get(plan.result)!.data as Float32Array, [rows, dVocab]);
  }

  private execute(request: OnnxForwardRequest, hooks: OnnxHookPlan): { plan: Plan; values: Map<string, OrtTensor> } {
    const plan = this.plan(request, hooks);
    return { plan, values: this.runTracked(plan, this.feeds(request), hooks) };
  }

  /** Runs a plan from its feeds (bakes it first when due); plans running are never evicted. */
  private runTracked(plan: Plan, feeds: Map<string, OrtTensor>, hooks: OnnxHookPlan): Map<string, OrtTensor> {
    plan.uses++;
    if (plan.bake && plan.uses >= BAKE_AFTER_USES && !this.running.has(plan)) this.bakePlan(plan, plan.bake);
    this.running.set(plan, (this.running.get(plan) ?? 0) + 1);
    try {
      return this.runPlan(plan, feeds, hooks);
    } finally {
      const depth = this.running.get(plan)! - 1;
      if (depth === 0) this.running.delete(plan);
      else this.running.set(plan, depth);
    }
  }

  private runPlan(plan: Plan, values: Map<string, OrtTensor>, hooks: OnnxHookPlan): Map<string, OrtTensor> {
    for (const segment of plan.segments) {
      if (segment.session) {
        const feeds: Record<string, OrtTensor> = {};
        for (const name of segment.inputs) feeds[name] = values.get(name) ?? this.weightTensor(name);
        const outputs = segment.session.run(feeds, segment.outputs);
        for (const name of segment.outputs) values.set(name, outputs[name]!);
      }
      for (const cut of segment.cuts) {
        const pre = values.get(cut.pre)!;
        const activation = toTf(pre);
        const replaced = hooks.edit(cut.name, activation);
        values.set(cut.post, replaced === activation ? pre : ortTensor('float32', (replaced.dataSync() as Float32Array).slice(), replaced.shape));
      }
    }
    for (const [name, value] of plan.reads) hooks.read(name, toTf(values.get(value)!));
    return values;
  }

  private feeds(request: OnnxForwardRequest): Map<string, OrtTensor> {
    const batch = request.rows.length;
    const length = request.rows[0]!.length;
    const keys = request.maskBias.length / (batch * length);
    const values = new Map<string, OrtTensor>([
      ['in.tokens', ortTensor('int32', Int32Array.from(request.rows.flat()), [batch, length])],
      ['in.positions', ortTensor('int32', Int32Array.from(request.positions.flat()), [batch, length])],
      ['in.maskBias', ortTensor('float32', request.maskBias, [batch, 1, length, keys])],
    ]);
    if (request.localMaskBias) values.set('in.localMaskBias', ortTensor('float32', request.localMaskBias, [batch, 1, length, keys]));
    if (request.realTokens) values.set('in.realTokens', ortTensor('float32', Float32Array.from(request.realTokens.flat()), [batch, length, 1]));
    if (request.residual) values.set('in.residual', ortTensor('float32', request.residual, [batch, length, this.config.dModel]));
    if (request.unembedPositions) values.set('in.unembedPositions', ortTensor('int32', Int32Array.from(request.unembedPositions), [request.unembedPositions.length]));
    const past = request.keyValues;
    if (past && past.capacity > 0) {
      const shape = [batch, past.capacity, this.config.nKvHeads, this.config.dHead];
      past.keys.forEach((keys, layer) => values.set(`kv.${layer}.keys`, ortTensor('float32', keys, shape)));
      past.values.forEach((data, layer) => values.set(`kv.${layer}.values`, ortTensor('float32', data, shape)));
    }
    return values;
  }

  private weightTensor(name: string): OrtTensor {
    let tensor = this.weightTensors.get(name);
    if (!tensor) {
      const sym = this.weightSyms.get(name);
      if (!sym) throw new Error(`onnx engine: no input "${name}"`);
      tensor = ortTensor('float32', this.weightData.get(name)!, sym.shape);
      this.weightTensors.set(name, tensor);
    }
    return tensor;
  }

  private plan(request: OnnxForwardRequest, hooks: OnnxHookPlan): Plan {
    const batch = request.rows.length;
    const length = request.rows[0]!.length;
    const keys = request.maskBias.length / (batch * length);
    const key = JSON.stringify([batch, length, keys, request.hasPadding, !!request.realTokens, !!request.localMaskBias, request.startAtLayer, request.stopAtLayer,
      request.unembedPositions?.length ?? -1, request.keyValues?.capacity ?? -1, [...hooks.reads].sort(), [...hooks.edits].sort()]);
    return this.cachedPlan(key, () => this.build(request, hooks));
  }

  /** The plan cached under `key`, built on first use; least recently used plans (not running) go first. */
  private cachedPlan(key: string, build: () => Plan): Plan {
    let plan = this.plans.get(key);
    if (plan) {
      // Most recently used last, so the oldest is evicted first.
      this.plans.delete(key);
      this.plans.set(key, plan);
      return plan;
    }
    plan = build();
    this.plans.set(key, plan);
    if (this.plans.size > PLAN_CACHE_SIZE) {
      const oldest = [...this.plans].find(([, cached]) => !this.running.has(cached));
      if (oldest) this.evict(...oldest);
    }
    return plan;
  }

  private bakePlan(plan: Plan, bake: NonNullable<Plan['bake']>): void {
    if (!this.reserveBaked(bake.bytes)) return;
    let segments: Segment[];
    try {
      segments = bake.build();
    } catch (error) {
      this.bakedBytes -= bake.bytes;
      throw error;
    }
    disposePlan(plan);
    Object.assign(plan, { segments, bakedBytes: bake.bytes, bake: undefined });
  }

  private evict(key: string, plan: Plan): void {
    this.plans.delete(key);
    this.bakedBytes -= plan.bakedBytes;
    disposePlan(plan);
  }

  /**
   * Whether a new plan may bake `bytes` of weights into its sessions: least recently used
   * baked plans (not running ones) make room within the budget first.
   */
  private reserveBaked(bytes: number): boolean {
    if (bytes === 0 || bytes > this.bakeBudget) return false;
    for (const [key, plan] of this.plans) {
      if (this.bakedBytes + bytes <= this.bakeBudget) break;
      if (plan.bakedBytes > 0 && !this.running.has(plan)) this.evict(key, plan);
    }
    if (this.bakedBytes + bytes > this.bakeBudget) return false;
    this.bakedBytes += bytes;
    return true;
  }

  private build(request: OnnxForwardRequest, hooks: OnnxHookPlan): Plan {
    const batch = request.rows.length;
    const length = request.rows[0]!.length;
    const keys = request.maskBias.length / (batch * length);
    const recorder = new GraphRecorder();
    const inputs: TransformerInputs<Sym> = {
      tokens: recorder.declare('in.tokens', [batch, length], ElemType.Int32),
      positions: recorder.declare('in.positions', [batch, length], ElemType.Int32),
      maskBias: recorder.declare('in.maskBias', [batch, 1, length, keys]),
      localMaskBias: request.localMaskBias ? recorder.declare('in.localMaskBias', [batch, 1, length, keys]) : undefined,
      hasPadding: request.hasPadding,
      realTokens: request.realTokens ? recorder.declare('in.realTokens', [batch, length, 1]) : undefined,
      residual: request.startAtLayer > 0 ? recorder.declare('in.residual', [batch, length, this.config.dModel]) : undefined,
      unembedPositions: request.unembedPositions ? recorder.declare('in.unembedPositions', [request.unembedPositions.length], ElemType.Int32) : undefined,
    };
    const ctx = new TraceContext(recorder, new Set(hooks.reads), new Set(hooks.edits));
    const capacity = request.keyValues?.capacity;
    const kvShape = [batch, capacity ?? 0, this.config.nKvHeads, this.config.dHead];
    const keyValues = capacity === undefined ? undefined : Array.from({ length: this.config.nLayers }, (_, layer) => capacity === 0 ? {} : {
      keys: recorder.declare(`kv.${layer}.keys`, kvShape),
      values: recorder.declare(`kv.${layer}.values`, kvShape),
    });
    this.presents = [];
    const result = this.ops.trace(recorder, () => this.transformer.forward(ctx, inputs, request.startAtLayer, request.stopAtLayer, keyValues));
    return this.partition(recorder, ctx, result.name, this.presents);
  }

  /** Splits the traced nodes at each cut; each segment's outputs are what later segments, reads, cuts or the result need. */
  private partition(recorder: GraphRecorder, ctx: TraceContext, result: string, presents: [string, string][]): Plan {
    const bounds = [...new Set(ctx.cuts.map((cut) => cut.at))].sort((a, b) => a - b);
    const ranges: [number, number][] = [];
    let from = 0;
    for (const at of bounds) {
      ranges.push([from, at]);
      from = at;
    }
    ranges.push([from, recorder.nodes.length]);
    const lastUse = new Map<string, number>(); // value -> last segment consuming it
    ranges.forEach(([start, end], index) => {
      for (const node of recorder.nodes.slice(start, end)) {
        for (const input of node.inputs) lastUse.set(input, index);
      }
    });
    const wanted = new Set<string>([result, ...ctx.reads.values(), ...ctx.cuts.map((cut) => cut.pre), ...presents.flat()]);
    const parts = ranges.map(([start, end], index) => {
      const nodes = recorder.nodes.slice(start, end);
      const cuts = index < bounds.length ? ctx.cuts.filter((cut) => cut.at === bounds[index]) : [];
      const produced = new Set(nodes.flatMap((node) => node.outputs));
      const outputs = [...produced].filter((name) => wanted.has(name) || (lastUse.get(name) ?? -1) > index);
      const consumed = [...new Set(nodes.flatMap((node) => node.inputs))].filter((name) => !produced.has(name));
      // 2-D weights on a MatMul's right: the ones ONNX Runtime packs at load when they are initializers.
      const bakeable = new Set(nodes.filter((node) => node.opType === 'MatMul' && this.weightSyms.get(node.inputs[1]!)?.shape.length === 2).map((node) => node.inputs[1]!));
      return { index, nodes, cuts, outputs, consumed, bakeable: nodes.length === 0 || outputs.length === 0 ? new Set<string>() : bakeable };
    });
    const bakeBytes = parts.reduce((total, part) => [...part.bakeable].reduce((sum, name) => sum + this.weightData.get(name)!.byteLength, total), 0);
    const build = (bake: boolean) => {
      const segments: Segment[] = [];
      try {
        for (const part of parts) segments.push(this.segment(recorder, part, bake));
      } catch (error) {
        for (const segment of segments) segment.session?.dispose();
        throw error;
      }
      return segments;
    };
    const bake = bakeBytes > 0 && bakeBytes <= this.bakeBudget ? { bytes: bakeBytes, build: () => build(true) } : undefined;
    return { segments: build(false), bakedBytes: 0, uses: 0, bake, reads: ctx.reads, result, presents };
  }

  /** One segment's session: its nodes, with the weights it bakes as initializers and the rest as inputs. */
  private segment(recorder: GraphRecorder, { index, nodes, cuts, outputs, consumed, bakeable }: SegmentPart, bake: boolean): Segment {
    if (nodes.length === 0 || outputs.length === 0) return { session: undefined, inputs: [], outputs: [], cuts };
    const baked = bake ? consumed.filter((name) => bakeable.has(name)) : [];
    const initializers: TensorProto[] = [
      ...consumed.filter((name) => recorder.constants.has(name)).map((name) => recorder.constants.get(name)!),
      ...baked.map((name): TensorProto => {
        const data = this.weightData.get(name)!;
        return { name, dims: this.weightSyms.get(name)!.shape, type: ElemType.Float, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
      }),
    ];
    const inputs = consumed.filter((name) => !recorder.constants.has(name) && !baked.includes(name));
    const describe = (name: string) => {
      const sym = this.weightSyms.get(name) ?? recorder.info(name);
      return { name, type: sym.type, dims: sym.shape };
    };
    const model = encodeModel({ name: `segment${index}`, nodes, initializers, inputs: inputs.map(describe), outputs: outputs.map(describe) });
    return { session: new OrtSession(model), inputs, outputs, cuts };
  }

  dispose(): void {
    for (const plan of this.plans.values()) disposePlan(plan);
    this.plans.clear();
    this.bakedBytes = 0;
    this.weightTensors.clear();
  }
}

function disposePlan(plan: Plan): void {
  for (const segment of plan.segments) segment.session?.dispose();
}

/** ONNX Runtime's output as a tfjs tensor over the same array, off the WebAssembly heap (see hostTensors.ts). */
function toTf(value: OrtTensor): tf.Tensor {
  return tensorOnHost(value.data as Float32Array, value.dims);
}
