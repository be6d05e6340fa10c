/**
 * erf for the exact GELU of the GPT-NeoX reference (modeling_gpt_neox.py), in plain float64
 * loops. The rest the GPT-NeoX and Phi-3 references share with the others (nn.Linear over the
 * stored [out, in] array, partial rotary with rotate_half, eager causal attention with
 * repeat_kv) is in forward64.ts. Nothing from packages/core.
 */

/**
 * erf in float64, an independent stand-in for torch.erf: the Maclaurin series below |x| = 2.5
 * (summed until the terms vanish), above it 1 − erfc with erfc's continued fraction
 * e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), where the series would cancel badly.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 2.5) {
    let fraction = a;
    for (let n = 80; n >= 1; n--) fraction = a + n / 2 / fraction;
    return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * fraction));
  }
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** transformers' "gelu": x · Φ(x) with the exact erf. */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}
