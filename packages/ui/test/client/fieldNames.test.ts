import { describe, expect, it } from 'vitest';
import type { LensRequest, LensResponse } from '../../src/api/index.ts';
import { ApiError } from '../../src/client/lib/api.ts';
import { inBoxTerms, namingBoxes, promptBoxes, renameFieldError } from '../../src/client/lib/fieldNames.ts';
import { fetchLens } from '../../src/client/lib/lensRequest.ts';

const TWO_TOKENS = 'target "Tim Lily" is 2 tokens (" Tim", " Lily"), not one; give a single token or #ID';

describe('API errors in the terms of the box the person typed in', () => {
  it('names the box instead of the API field', () => {
    expect(inBoxTerms(TWO_TOKENS, 'target', { target: 'answer' })).toBe('answer "Tim Lily" is 2 tokens (" Tim", " Lily"), not one; give a single token or #ID');
    expect(inBoxTerms('prompt: 40 tokens is longer than the model\'s context of 32 tokens (n_ctx)', 'prompt', promptBoxes('corrupted'))).toBe(
      'corrupted prompt: 40 tokens is longer than the model\'s context of 32 tokens (n_ctx)',
    );
    expect(inBoxTerms('prompt.3: token id 900 is out of range [0, 512)', 'prompt.3', promptBoxes('clean'))).toBe('clean prompt, token 3: token id 900 is out of range [0, 512)');
    expect(inBoxTerms('expected a token id', 'wrong', promptBoxes('clean', { wrong: 'wrong' }))).toBe('wrong: expected a token id');
    // Fields with no box, and messages without a field, stay as they are.
    expect(inBoxTerms('model: unknown', 'model', promptBoxes('clean'))).toBe('model: unknown');
    expect(inBoxTerms('internal error', undefined, promptBoxes('clean'))).toBe('internal error');
  });

  it('rewrites API errors about a field and passes anything else through', async () => {
    const renamed = renameFieldError(new ApiError(TWO_TOKENS, 400, 'target'), { target: 'wrong' });
    expect(renamed).toBeInstanceOf(ApiError);
    expect(renamed).toMatchObject({ message: expect.stringMatching(/^wrong "Tim Lily" is 2 tokens/), status: 400, field: 'target' });
    const other = new Error('network');
    expect(renameFieldError(other, { target: 'answer' })).toBe(other);
    await expect(namingBoxes(Promise.reject(new ApiError('clean: encodes to no tokens', 400, 'clean')), promptBoxes('clean'))).rejects.toThrow(/^clean prompt: encodes to no tokens$/);
  });
});

describe('a lens whose target box the server refuses', () => {
  const lens = { layers: ['blocks.0.hook_resid_pre'], positions: ['a'], tokenIds: [1], unknown: [], top: [[[]]], entropy: [[0]], klToFinal: [[0]] } as LensResponse;
  const body: LensRequest = { model: 'm', prompt: 'a', target: 'Tim Lily' };

  function server() {
    const sent: LensRequest[] = [];
    const call = async (b: LensRequest) => {
      sent.push(b);
      if (b.target !== undefined) throw new ApiError(TWO_TOKENS, 400, 'target');
      return lens;
    };
    return { sent, call };
  }

  it('still returns the lens, fetched without the target, with the reason in the box\'s terms', async () => {
    const { sent, call } = server();
    const out = await fetchLens(call, body, { target: 'answer' }, true);
    expect(out.lens).toBe(lens);
    expect(out.targetError).toMatch(/^answer "Tim Lily" is 2 tokens/);
    expect(sent).toEqual([body, { model: 'm', prompt: 'a' }]);
  });

  it('without a fallback (a run fetched only for its target) returns just the reason', async () => {
    const { sent, call } = server();
    expect(await fetchLens(call, body, { target: 'wrong' }, false)).toEqual({ targetError: expect.stringMatching(/^wrong "Tim Lily"/) });
    expect(sent).toHaveLength(1);
  });

  it('any other error fails the request, worded for the box', async () => {
    const call = async () => {
      throw new ApiError('prompt: encodes to no tokens', 400, 'prompt');
    };
    await expect(fetchLens(call, body, promptBoxes('corrupted', { target: 'answer' }), true)).rejects.toThrow(/^corrupted prompt: encodes to no tokens$/);
  });
});
