/**
 * The checks every GPT-NeoX and Phi-3 case runs on one engine against its float64 reference,
 * from the shared harness in familyParity.ts: every hook and the logits, left- and right-padded
 * rows against solo runs, and greedy generation with the key/value cache against re-running the
 * sequence and the reference.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FamilyFixture } from '../fixtures/gptneoxCheckpoint.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import { checkGreedy, checkHooksAndLogits, checkPaddedRows, type Engine, type FamilyCase as AnyFamilyCase, type Reference } from './familyParity.ts';

export { ENGINES, TOLERANCE, type Engine } from './familyParity.ts';
export type FamilyCase = AnyFamilyCase<FamilyFixture>;

/** Registers one case's tests on one engine (call inside a describe). */
export function familyCase(scratch: string, { name, vocab, make, reference: ref }: FamilyCase, engine: Engine): void {
  let fixture: FamilyFixture;
  let model: HookedTransformer;
  const tokens = randomTokens(new Rng(name.length * 7919 + 17), 2, 7, vocab);
  const reference: Reference = (t, options) => ref(fixture, t, options);

  beforeAll(async () => {
    await initBackend();
    fixture = make(mkdtempSync(join(scratch, 'case-')));
    model = await loadModel(fixture.dir, { engine });
    expect(model.engine.name).toBe(engine);
  });
  afterAll(() => model?.dispose());

  it('every TransformerLens hook (names, shapes, values) and the logits match the float64 reference; no tensors leak', () => {
    checkHooksAndLogits(model, reference(tokens), tokens, `${name} (${engine})`, { hookOrder: 'sorted', cacheNamesAndShapes: true });
  });

  it.each(['left', 'right'] as const)('%s-padded row equals its solo run and the reference, every hook at real positions', (side) => {
    checkPaddedRows(model, tokens, side, reference, { shortLength: 4, rightPad: 1, run: 'runWithCache' });
  });

  it('greedy generation: the key/value cache, re-running the sequence and the reference agree', async () => {
    await checkGreedy(model, tokens[0].slice(0, 3), 6, reference, { rerun: true });
  });
}
