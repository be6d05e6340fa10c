import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../src/api/index.ts';
import { landingView } from '../../src/client/lib/landing.ts';

const config = {
  family: 'hooklens', nLayers: 4, nHeads: 4, nKvHeads: 4, dModel: 64, dHead: 16, dMlp: 128, dVocab: 79, nCtx: 22,
  normType: 'layernorm', positional: 'rotary', attnOnly: false, defaultPrependBos: true,
};
const example = { prompt: 'When Mary and John went to the store , John gave a drink to', corrupted: 'When Mary and John went to the store , Mary gave a drink to', answer: 'Mary', wrong: 'John', about: 'indirect object' };
const toyIoi: ModelSummary = { id: 'toy-ioi', config, backend: 'wasm', params: 1, hasTokenizer: true, example };
const other: ModelSummary = { ...toyIoi, id: 'other', example: { ...example, prompt: 'x', corrupted: 'y' } };

describe('the landing view', () => {
  it('opens an empty URL on the first model’s worked example, in the logit lens', () => {
    expect(landingView('', [toyIoi, other])).toEqual({ model: 'toy-ioi', view: 'lens', prompt: example.prompt, corrupted: example.corrupted, answer: 'Mary', wrong: 'John' });
    expect(landingView('?', [toyIoi])).toMatchObject({ model: 'toy-ioi' });
  });

  it('leaves a link’s state alone, and shows nothing made up for a model without an example', () => {
    expect(landingView('?view=attention', [toyIoi])).toBeNull();
    expect(landingView('?prompt=', [toyIoi])).toBeNull();
    expect(landingView('', [{ ...toyIoi, example: undefined }, other])).toBeNull();
    expect(landingView('', [])).toBeNull();
  });
});
