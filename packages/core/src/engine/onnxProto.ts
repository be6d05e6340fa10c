/**
 * The few ONNX protobuf messages hooklens builds (ModelProto, GraphProto, NodeProto, ...),
 * encoded by hand: a dozen field numbers from onnx.proto3 and a varint writer are all it
 * takes, and weights go into the buffer straight from their Float32Array, with no
 * protobuf library's object copy in between.
 */

export const enum ElemType {
  Float = 1,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
}

export interface TensorProto {
  name: string;
  dims: readonly number[];
  type: ElemType;
  /** Little-endian bytes of the values. */
  raw: Uint8Array;
}

export type AttributeValue = number | readonly number[] | string;

export interface NodeProto {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer attributes are written as INT / INTS; non-integers as FLOAT. */
  attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface ValueInfo {
  name: string;
  type: ElemType;
  dims: readonly number[];
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export const OPSET = 17;

class Writer {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  length = 0;

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.scratch.push(byte);
      this.length++;
    } while (v !== 0n);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.flush();
    this.chunks.push(data);
    this.length += data.length;
  }

  string(field: number, text: string): void {
    this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.tag(field, 2);
    this.varint(inner.length);
    this.flush();
    for (const chunk of inner.finish()) this.chunks.push(chunk);
    this.length += inner.length;
  }

  int(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    for (const b of bytes) this.scratch.push(b);
    this.length += 4;
  }

  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.finish()) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function writeTensor(w: Writer, tensor: TensorProto): void {
  for (const dim of tensor.dims) w.int(1, dim);
  w.int(2, tensor.type);
  w.string(8, tensor.name);
  w.bytes(9, tensor.raw);
}

function writeValueInfo(w: Writer, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, info.type);
    tensor.message(2, (shape) => { for (const dim of info.dims) shape.message(1, (d) => d.int(1, dim)); });
  }));
}

function writeAttribute(w: Writer, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'string') {
    w.string(4, value);
    w.int(20, 3); // STRING
  } else if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      w.int(3, value);
      w.int(20, 2); // INT
    } else {
      w.float(2, value);
      w.int(20, 1); // FLOAT
    }
  } else {
    for (const v of value) w.int(8, v);
    w.int(20, 7); // INTS
  }
}

function writeNode(w: Writer, node: NodeProto, index: number): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, `${node.opType}_${index}`);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value));
}

/** The serialised ModelProto (IR version 8, default-domain opset 17). */
/**
 * Protobuf's limit on one message. hooklens' graphs stay far below it because weights are
 * graph inputs fed from host arrays (ONNX Runtime takes inputs of any size, uncopied), never
 * initializers; only small constants are embedded. A graph past it is a bug: fail clearly.
 */
export const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;

export function encodeModel(graph: GraphProto, maxBytes = MAX_PROTOBUF_BYTES): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'hooklens');
  w.message(7, (g) => {
    graph.nodes.forEach((node, index) => g.message(1, (n) => writeNode(n, node, index)));
    g.string(2, graph.name);
    for (const tensor of graph.initializers) g.message(5, (t) => writeTensor(t, tensor));
    for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  w.message(8, (o) => { o.string(1, ''); o.int(2, OPSET); });
  if (w.length > maxBytes) {
    const largest = [...graph.initializers].sort((a, b) => b.raw.byteLength - a.raw.byteLength)[0];
    throw new Error(`onnx graph ${graph.name} would be ${w.length} bytes, over protobuf's ${maxBytes}`
      + (largest ? `; its largest constant is ${largest.name} [${largest.dims.join(', ')}] (${largest.raw.byteLength} bytes): feed it as an input` : ''));
  }
  return w.concat();
}
