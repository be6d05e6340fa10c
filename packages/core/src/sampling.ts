/** Seeded sampling of the next token from one row of logits. */

export interface SamplingOptions {
  /** 0 (the default) is greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
}

/** mulberry32: a small, fast, well-mixed 32-bit generator; the same seed gives the same text. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleToken(logits: Float32Array, options: SamplingOptions, random: () => number): number {
  const temperature = options.temperature ?? 0;
  if (temperature < 0 || !Number.isFinite(temperature)) throw new Error(`temperature must be >= 0, got ${temperature}`);
  if (temperature === 0) return argmax(logits);
  let candidates = Array.from(logits, (logit, id) => ({ id, logit: logit / temperature })).sort((a, b) => b.logit - a.logit);
  if (options.topK !== undefined) {
    if (!Number.isInteger(options.topK) || options.topK < 1) throw new Error(`topK must be a positive integer, got ${options.topK}`);
    candidates = candidates.slice(0, options.topK);
  }
  const max = candidates[0].logit;
  const weights = candidates.map((c) => Math.exp(c.logit - max));
  let total = weights.reduce((a, b) => a + b, 0);
  if (options.topP !== undefined) {
    if (!(options.topP > 0 && options.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${options.topP}`);
    let cumulative = 0;
    let keep = 0;
    while (keep < weights.length && cumulative < options.topP * total) cumulative += weights[keep++];
    candidates = candidates.slice(0, keep);
    weights.length = keep;
    total = cumulative;
  }
  let threshold = random() * total;
  for (let i = 0; i < candidates.length; i++) {
    threshold -= weights[i];
    if (threshold <= 0) return candidates[i].id;
  }
  return candidates[candidates.length - 1].id;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
