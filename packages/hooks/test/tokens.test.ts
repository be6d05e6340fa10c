import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { TEST_MODELS } from '../../../test/fixtures/testModels.ts';
import { resolveToken, promptTokens } from '../src/index.ts';

const stories = TEST_MODELS.stories260K?.bin ?? '';

describe.skipIf(!stories)('resolveToken (stories260K, a llama2.c tokenizer)', () => {
  let model: HookedTransformer;
  beforeAll(async () => { model = await loadModel(stories); });

  it('takes #ID, and text that is one token, with the leading space as it shows mid-text', () => {
    expect(resolveToken(model, '#5')).toBe(5);
    const lily = resolveToken(model, ' Lily');
    // Independent check: in a text, that id shows as " Lily".
    expect(model.toStrTokens(model.toTokens('Once Lily', { prependBos: false })).at(-1)).toBe(' Lily');
    expect(model.toTokens('Once Lily', { prependBos: false }).at(-1)).toBe(lily);
  });

  it('labels a lone token as it reads inside a text, and without its space right after BOS', () => {
    const lily = resolveToken(model, ' Lily');
    expect(model.toSingleStrToken(lily)).toBe(' Lily');
    expect(model.toSingleStrToken(lily, 1)).toBe('Lily');
    expect(model.toSingleStrToken(lily, resolveToken(model, ' Once'))).toBe(' Lily');
  });

  it('names the problem for several tokens, out-of-range ids and empty input', () => {
    expect(() => resolveToken(model, ' girl', 'answer')).toThrow(/answer " girl" is \d+ tokens .*give a single token or #ID/);
    expect(() => resolveToken(model, '#512', 'wrong')).toThrow(/wrong id 512 is out of range \[0, 512\)/);
    expect(() => resolveToken(model, '', 'target')).toThrow(/target is empty/);
    expect(() => promptTokens(model, '  ', {}, 'clean prompt')).toThrow(/clean prompt is empty/);
  });
});
