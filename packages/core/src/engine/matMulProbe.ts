import { encodeModel, ElemType } from './onnxProto.ts';
import { OrtSession, ortTensor } from './ort.ts';

/**
 * A plain [rows × inner] @ [inner × cols] float32 matmul on ONNX Runtime, the right operand
 * baked into the session as the onnx engine bakes MatMul weights (onnxTransformer.ts): the
 * hardware rate a forward pass is measured against (`pnpm bench`).
 */
export function onnxMatMul(rows: number, inner: number, cols: number): { run(): void; dispose(): void } {
  const uniform = (size: number, scale: number) => Float32Array.from({ length: size }, () => (Math.random() * 2 - 1) * scale);
  const weight = uniform(inner * cols, 0.05);
  const model = encodeModel({
    name: 'matmul',
    nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    initializers: [{ name: 'b', dims: [inner, cols], type: ElemType.Float, raw: new Uint8Array(weight.buffer) }],
    inputs: [{ name: 'a', type: ElemType.Float, dims: [rows, inner] }],
    outputs: [{ name: 'c', type: ElemType.Float, dims: [rows, cols] }],
  });
  const session = new OrtSession(model);
  const feeds = { a: ortTensor('float32', uniform(rows * inner, 1), [rows, inner]) };
  return { run: () => { session.run(feeds, ['c']); }, dispose: () => session.dispose() };
}
