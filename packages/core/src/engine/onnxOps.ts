import { ElemType } from './onnxProto.ts';
import type { AttributeValue, NodeProto, TensorProto } from './onnxProto.ts';
import type { Ops } from './ops.ts';

/** A symbolic tensor: a named value of an ONNX graph being traced, with its concrete shape. */
export interface Sym {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: ElemType;
}

/** The nodes one trace records, in execution order, and the small constants they use. */
export class GraphRecorder {
  readonly nodes: NodeProto[] = [];
  readonly constants = new Map<string, TensorProto>();
  private readonly values = new Map<string, Sym>();
  private counter = 0;

  /** A value the graph does not compute: a run input, a weight, a cut's replacement. */
  declare(name: string, shape: readonly number[], type: ElemType = ElemType.Float): Sym {
    const sym = { name, shape: [...shape], type };
    this.values.set(name, sym);
    return sym;
  }

  info(name: string): Sym {
    const sym = this.values.get(name);
    if (!sym) throw new Error(`onnx trace: unknown value ${name}`);
    return sym;
  }

  emit(opType: string, inputs: readonly string[], outputs: readonly { shape: readonly number[]; type?: ElemType }[], attributes?: Record<string, AttributeValue>): Sym[] {
    const syms = outputs.map((output) => this.declare(`v${this.counter++}`, output.shape, output.type ?? ElemType.Float));
    this.nodes.push({ opType, inputs, outputs: syms.map((sym) => sym.name), attributes });
    return syms;
  }

  floatScalar(value: number): string {
    const name = `const_f_${value}`;
    if (!this.constants.has(name)) {
      this.constants.set(name, { name, dims: [], type: ElemType.Float, raw: new Uint8Array(Float32Array.of(value).buffer) });
      this.declare(name, []);
    }
    return name;
  }

  int64s(values: readonly number[]): string {
    const name = `const_i_${values.join('_')}`;
    if (!this.constants.has(name)) {
      const data = BigInt64Array.from(values.map((v) => BigInt(v)));
      this.constants.set(name, { name, dims: [values.length], type: ElemType.Int64, raw: new Uint8Array(data.buffer) });
      this.declare(name, [values.length], ElemType.Int64);
    }
    return name;
  }
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`onnx trace: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

const positive = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** The component ops traced into ONNX nodes (opset 17) on the recorder of the current trace. */
export class OnnxOps implements Ops<Sym> {
  private current: GraphRecorder | undefined;

  /** Traces `body` into a fresh recorder. */
  trace<R>(recorder: GraphRecorder, body: () => R): R {
    this.current = recorder;
    try {
      return body();
    } finally {
      this.current = undefined;
    }
  }

  private get g(): GraphRecorder {
    if (!this.current) throw new Error('onnx ops used outside a trace');
    return this.current;
  }

  private one(opType: string, inputs: readonly string[], shape: readonly number[], attributes?: Record<string, AttributeValue>, type?: ElemType): Sym {
    return this.g.emit(opType, inputs, [{ shape, type }], attributes)[0]!;
  }

  private operand(x: Sym | number): Sym {
    return typeof x === 'number' ? this.g.info(this.g.floatScalar(x)) : x;
  }

  private binary(opType: string, a: Sym, b: Sym | number): Sym {
    const right = this.operand(b);
    return this.one(opType, [a.name, right.name], broadcast(a.shape, right.shape));
  }

  shape(x: Sym): readonly number[] { return x.shape; }

  matMul(a: Sym, b: Sym, transposeA = false, transposeB = false): Sym {
    if (a.shape.length === 2 && b.shape.length === 2 && (transposeA || transposeB)) {
      // Gemm reads a transposed operand in place; a Transpose node would copy it in every run (a tied W_E: the whole embedding).
      const [m, k] = transposeA ? [a.shape[1]!, a.shape[0]!] : a.shape;
      const [k2, n] = transposeB ? [b.shape[1]!, b.shape[0]!] : b.shape;
      if (k !== k2) throw new Error(`onnx trace: matMul of [${a.shape.join(', ')}]${transposeA ? 'ᵀ' : ''} and [${b.shape.join(', ')}]${transposeB ? 'ᵀ' : ''}`);
      return this.one('Gemm', [a.name, b.name], [m!, n!], { transA: transposeA ? 1 : 0, transB: transposeB ? 1 : 0 });
    }
    const left = transposeA ? this.swapLast(a) : a;
    const right = transposeB ? this.swapLast(b) : b;
    const [m, k] = left.shape.slice(-2);
    const [k2, n] = right.shape.slice(-2);
    if (k !== k2) throw new Error(`onnx trace: matMul of [${left.shape.join(', ')}] and [${right.shape.join(', ')}]`);
    const batch = broadcast(left.shape.slice(0, -2), right.shape.slice(0, -2));
    return this.one('MatMul', [left.name, right.name], [...batch, m!, n!]);
  }

  private swapLast(x: Sym): Sym {
    const rank = x.shape.length;
    const perm = Array.from({ length: rank }, (_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
    return this.transpose(x, perm);
  }

  add(a: Sym, b: Sym | number): Sym { return this.binary('Add', a, b); }
  sub(a: Sym, b: Sym): Sym { return this.binary('Sub', a, b); }
  mul(a: Sym, b: Sym | number): Sym { return this.binary('Mul', a, b); }
  div(a: Sym, b: Sym): Sym { return this.binary('Div', a, b); }
  pow(x: Sym, exponent: number): Sym { return this.binary('Pow', x, exponent); }
  square(x: Sym): Sym { return this.one('Mul', [x.name, x.name], x.shape); }
  sqrt(x: Sym): Sym { return this.one('Sqrt', [x.name], x.shape); }
  tanh(x: Sym): Sym { return this.one('Tanh', [x.name], x.shape); }
  erf(x: Sym): Sym { return this.one('Erf', [x.name], x.shape); }
  sigmoid(x: Sym): Sym { return this.one('Sigmoid', [x.name], x.shape); }
  relu(x: Sym): Sym { return this.one('Relu', [x.name], x.shape); }

  mean(x: Sym, axis: number, keepDims: boolean): Sym {
    const a = positive(axis, x.shape.length);
    const shape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
    return this.one('ReduceMean', [x.name], shape, { axes: [a], keepdims: keepDims ? 1 : 0 });
  }

  sum(x: Sym, axis: number): Sym {
    const a = positive(axis, x.shape.length);
    return this.one('ReduceSum', [x.name, this.g.int64s([a])], x.shape.filter((_, i) => i !== a), { keepdims: 0 });
  }

  softmax(x: Sym): Sym { return this.one('Softmax', [x.name], x.shape, { axis: -1 }); }

  nanToZero(x: Sym): Sym {
    const isNaN = this.one('IsNaN', [x.name], x.shape, undefined, ElemType.Bool);
    return this.one('Where', [isNaN.name, this.g.floatScalar(0), x.name], x.shape);
  }

  reshape(x: Sym, shape: readonly number[]): Sym {
    const size = x.shape.reduce((a, b) => a * b, 1);
    const known = shape.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const resolved = shape.map((d) => (d === -1 ? size / known : d));
    if (resolved.reduce((a, b) => a * b, 1) !== size) throw new Error(`onnx trace: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
    return this.one('Reshape', [x.name, this.g.int64s(resolved)], resolved);
  }

  transpose(x: Sym, perm: readonly number[]): Sym {
    return this.one('Transpose', [x.name], perm.map((p) => x.shape[p]!), { perm: [...perm] });
  }

  concat(xs: readonly Sym[], axis: number): Sym {
    const first = xs[0]!;
    const a = positive(axis, first.shape.length);
    const shape = first.shape.map((d, i) => (i === a ? xs.reduce((total, x) => total + x.shape[a]!, 0) : d));
    return this.one('Concat', xs.map((x) => x.name), shape, { axis: a });
  }

  split(x: Sym, sizes: readonly number[] | number, axis: number): Sym[] {
    const a = positive(axis, x.shape.length);
    const parts = typeof sizes === 'number' ? new Array<number>(sizes).fill(x.shape[a]! / sizes) : [...sizes];
    return this.g.emit('Split', [x.name, this.g.int64s(parts)], parts.map((size) => ({ shape: x.shape.map((d, i) => (i === a ? size : d)) })), { axis: a });
  }

  stack(xs: readonly Sym[], axis: number): Sym {
    return this.concat(xs.map((x) => this.expandDims(x, axis)), axis);
  }

  squeeze(x: Sym, axis: number): Sym {
    const a = positive(axis, x.shape.length);
    return this.one('Squeeze', [x.name, this.g.int64s([a])], x.shape.filter((_, i) => i !== a));
  }

  expandDims(x: Sym, axis: number): Sym {
    const a = positive(axis, x.shape.length + 1);
    const shape = [...x.shape];
    shape.splice(a, 0, 1);
    return this.one('Unsqueeze', [x.name, this.g.int64s([a])], shape);
  }

  lookupRows(table: Sym, ids: Sym): Sym {
    return this.gather(table, ids, 0);
  }

  gather(x: Sym, indices: Sym, axis: number): Sym {
    const a = positive(axis, x.shape.length);
    return this.one('Gather', [x.name, indices.name], [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)], { axis: a });
  }
}
