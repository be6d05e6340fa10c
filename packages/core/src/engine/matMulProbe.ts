import { encodeModel, ElemType } from './onnxProto.ts';
import { OrtSession, ortTensor } from './ort.ts';

/**
 * A plain [rows × inner] @ [inner × cols] float32 matmul on ONNX Runtime, both operands fed
 * as inputs as the onnx engine feeds weights: the hardware rate a forward pass is measured
 * against (`pnpm bench`).
 */
export function onnxMatMul(rows: number, inner: number, cols: number): { run(): void; dispose(): void } {
  const model = encodeModel({
    name: 'matmul',
    nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    initializers: [],
    inputs: [{ name: 'a', type: ElemType.Float, dims: [rows, inner] }, { name: 'b', type: ElemType.Float, dims: [inner, cols] }],
    outputs: [{ name: 'c', type: ElemType.Float, dims: [rows, cols] }],
  });
  const session = new OrtSession(model);
  const uniform = (size: number, scale: number) => Float32Array.from({ length: size }, () => (Math.random() * 2 - 1) * scale);
  const feeds = { a: ortTensor('float32', uniform(rows * inner, 1), [rows, inner]), b: ortTensor('float32', uniform(inner * cols, 0.05), [inner, cols]) };
  return { run: () => { session.run(feeds, ['c']); }, dispose: () => session.dispose() };
}
