/**
 * Seeded GPT-2-style initialisation for models trained from scratch: every matrix normal
 * with std 0.02, the two projections that write into the residual stream (attn.W_O,
 * mlp.W_out) scaled down by 1/sqrt(2·nLayers) so the residual's variance does not grow
 * with depth (Radford et al. 2019), norms w = 1 / b = 0, biases 0.
 */
import type { ModelConfig } from '../config.ts';
import { seededRandom } from '../sampling.ts';
import { weightSpecs } from '../weights.ts';
import type { WeightMap } from '../weights.ts';

export const INIT_STD = 0.02;

/** Standard normal samples from a seeded uniform source (Box–Muller). */
export function seededNormal(seed: number): () => number {
  const random = seededRandom(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
    const v = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

/** The std a weight is drawn with; 0 means a constant (norm weights 1, everything else 0). */
export function initStd(name: string, config: ModelConfig): number {
  if (/\.(w|b)$/.test(name) || /\.b_\w+$/.test(name)) return 0;
  if (/\.(attn\.W_O|mlp\.W_out)$/.test(name)) return INIT_STD / Math.sqrt(2 * config.nLayers);
  return INIT_STD;
}

/** Fresh weights for `config` (optional biases included, as zeros); same seed → same weights. */
export function initWeights(config: ModelConfig, seed: number): WeightMap {
  const normal = seededNormal(seed);
  const weights: WeightMap = new Map();
  for (const [name, spec] of weightSpecs(config)) {
    if (name === 'unembed.W_U' && config.tiedEmbeddings) continue;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const std = initStd(name, config);
    const isNormWeight = /\.w$/.test(name);
    const data = new Float32Array(size);
    if (std > 0) for (let i = 0; i < size; i++) data[i] = normal() * std;
    else if (isNormWeight) data.fill(1);
    weights.set(name, { shape: [...spec.shape], data });
  }
  return weights;
}
