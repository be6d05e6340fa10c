/** The ONNX encoder refuses a graph past protobuf's 2 GiB limit, naming what made it large. */
import { describe, expect, it } from 'vitest';
import { ElemType, encodeModel, MAX_PROTOBUF_BYTES } from '../../src/engine/onnxProto.ts';
import type { GraphProto } from '../../src/engine/onnxProto.ts';

function graphWithConstant(bytes: number): GraphProto {
  return {
    name: 'probe',
    nodes: [{ opType: 'Add', inputs: ['x', 'table'], outputs: ['y'] }],
    initializers: [{ name: 'table', dims: [bytes / 4], type: ElemType.Float, raw: new Uint8Array(bytes) }],
    inputs: [{ name: 'x', type: ElemType.Float, dims: [bytes / 4] }],
    outputs: [{ name: 'y', type: ElemType.Float, dims: [bytes / 4] }],
  };
}

describe('encodeModel size limit', () => {
  it('is protobuf\'s 2 GiB', () => {
    expect(MAX_PROTOBUF_BYTES).toBe(2147483647);
  });

  it('encodes a graph under the limit, whose bytes hold the constant', () => {
    expect(encodeModel(graphWithConstant(1024), 2048).byteLength).toBeGreaterThan(1024);
  });

  it('refuses one over it, naming the largest constant', () => {
    expect(() => encodeModel(graphWithConstant(4096), 2048))
      .toThrow(/^onnx graph probe would be \d+ bytes, over protobuf's 2048; its largest constant is table \[1024\] \(4096 bytes\): feed it as an input$/);
  });
});
