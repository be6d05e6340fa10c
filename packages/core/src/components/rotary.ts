import type { RotaryPairing } from '../config.ts';
import type { Ops } from '../engine/ops.ts';

/** cos and sin of position · base^(-2i/rotaryDim), each [n_ctx, rotary_dim / 2] row-major. */
export function rotaryTables(nCtx: number, rotaryDim: number, base: number): { cos: Float32Array; sin: Float32Array; shape: [number, number] } {
  const half = rotaryDim / 2;
  const cos = new Float32Array(nCtx * half);
  const sin = new Float32Array(nCtx * half);
  for (let position = 0; position < nCtx; position++) {
    for (let i = 0; i < half; i++) {
      const angle = position * base ** ((-2 * i) / rotaryDim);
      cos[position * half + i] = Math.cos(angle);
      sin[position * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, shape: [nCtx, half] };
}

/**
 * Rotary position embedding over the tables of `rotaryTables`; the pairing decides which
 * dimensions rotate together: `half` (i, i + r/2) as Hugging Face stores Llama,
 * `adjacent` (2i, 2i + 1) as Meta's and llama2.c's checkpoints do.
 */
export class Rotary<T> {
  constructor(
    private readonly ops: Ops<T>,
    readonly cos: T, // [n_ctx, rotary_dim / 2]
    readonly sin: T,
    private readonly rotaryDim: number,
    private readonly pairing: RotaryPairing,
  ) {}

  /** x: [batch, pos, head, d_head]; positions: [batch, pos]. */
  apply(x: T, positions: T): T {
    const ops = this.ops;
    const dHead = ops.shape(x)[3];
    const cos = ops.expandDims(ops.gather(this.cos, positions, 0), 2); // [batch, pos, 1, r/2]
    const sin = ops.expandDims(ops.gather(this.sin, positions, 0), 2);
    const [rotated, passThrough] = this.rotaryDim === dHead ? [x, undefined] : ops.split(x, [this.rotaryDim, dHead - this.rotaryDim], 3);
    const out = this.pairing === 'half' ? rotateHalf(ops, rotated, cos, sin) : rotateAdjacent(ops, rotated, cos, sin);
    return passThrough ? ops.concat([out, passThrough], 3) : out;
  }
}

function rotateHalf<T>(ops: Ops<T>, x: T, cos: T, sin: T): T {
  const [first, second] = ops.split(x, 2, 3);
  return ops.concat([ops.sub(ops.mul(first, cos), ops.mul(second, sin)), ops.add(ops.mul(second, cos), ops.mul(first, sin))], 3);
}

function rotateAdjacent<T>(ops: Ops<T>, x: T, cos: T, sin: T): T {
  const [batch, pos, heads, dim] = ops.shape(x);
  const [even, odd] = ops.split(ops.reshape(x, [batch, pos, heads, dim / 2, 2]), 2, 4).map((t) => ops.squeeze(t, 4));
  const rotatedEven = ops.sub(ops.mul(even, cos), ops.mul(odd, sin));
  const rotatedOdd = ops.add(ops.mul(even, sin), ops.mul(odd, cos));
  return ops.reshape(ops.stack([rotatedEven, rotatedOdd], 4), [batch, pos, heads, dim]);
}
