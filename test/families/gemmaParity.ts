/**
 * The proof each Gemma test file runs per case on both engines, against the float64 reference
 * written from modeling_gemma2.py / modeling_gemma3.py, on tiny random checkpoints whose
 * sliding window (3) is shorter than the sequences, so local layers really mask: every hook and
 * the logits, local vs global patterns, padded rows against solo runs, cached greedy generation
 * past the window.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGemma, type GemmaFixture, type TinyGemmaOptions } from '../fixtures/gemmaCheckpoint.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import { gemmaForward } from '../reference/gemma64.ts';
import { checkGreedy, checkHooksAndLogits, checkPaddedRows, ENGINES, type Reference } from './familyParity.ts';

const LENGTH = 9;

export interface GemmaCase {
  name: string;
  options: TinyGemmaOptions;
}

/** Registers the parity suite of each case on each engine. */
export function describeGemmaParity(cases: GemmaCase[]): void {
  let scratch: string;
  beforeAll(async () => {
    await initBackend();
    scratch = mkdtempSync(join(tmpdir(), 'hooklens-gemma-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  describe.each(cases.flatMap((c) => ENGINES.map((engine) => ({ ...c, family: c.options.family, engine }))))('$family $name ($engine)', (c) => {
    let fixture: GemmaFixture;
    let model: HookedTransformer;
    const vocab = c.options.vocab ?? 97;
    const tokens = randomTokens(new Rng(c.options.seed), 2, LENGTH, vocab);
    const reference: Reference = (t, options) => gemmaForward(fixture, t, options);

    beforeAll(async () => {
      fixture = writeTinyGemma(mkdtempSync(join(scratch, 'case-')), c.options);
      model = await loadModel(fixture.dir, { engine: c.engine });
      expect(model.engine.name).toBe(c.engine);
    });
    afterAll(() => model?.dispose());

    it('every hook and the logits match the float64 reference; no tensors leak', () => {
      checkHooksAndLogits(model, reference(tokens), tokens, `${c.family} ${c.name} (${c.engine})`, { hookOrder: 'exact', cacheNamesAndShapes: false });
    });

    it('local layers see only the last sliding_window keys; global layers see them all', () => {
      const window = fixture.config.sliding_window as number;
      const { logits, cache } = model.runWithCache([tokens[0]], { names: /hook_pattern/ });
      const types = model.config.attnTypes!;
      expect(types).toContain('local');
      expect(types).toContain('global');
      types.forEach((type, layer) => {
        const pattern = cache.get(`blocks.${layer}.attn.hook_pattern`).arraySync() as number[][][][];
        const last = pattern[0][0][LENGTH - 1]; // head 0, last query
        const outside = last.slice(0, LENGTH - window);
        if (type === 'local') expect(outside.every((p) => p === 0)).toBe(true);
        else expect(outside.every((p) => p > 0)).toBe(true);
      });
      logits.dispose();
      cache.dispose();
    });

    it.each(['left', 'right'] as const)('%s-padded batch: real positions equal single-prompt runs and the reference', (side) => {
      checkPaddedRows(model, tokens, side, reference, { shortLength: 6, rightPad: 0, run: 'forward' });
    });

    // Re-running the whole sequence per step: on onnx every length is a new graph, so only on
    // tfjs; onnx's uncached forward is held to the reference by the tests above.
    it('greedy generation past the window: the key/value cache equals re-running without it, and the reference', async () => {
      await checkGreedy(model, tokens[0].slice(0, 4), 6, reference, { prependBos: false, rerun: c.engine === 'tfjs' });
    });
  });
}
