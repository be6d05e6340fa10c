import { describe, expect, it } from 'vitest';
import { numberOption, parseOptions } from '../src/args.ts';
import type { OptionSpec } from '../src/args.ts';
import { forwardFlops, matmulFlops } from '../src/bench/flops.ts';
import { GPT2_SMALL } from '../src/bench/gpt2Small.ts';
import { UsageError } from '../src/errors.ts';
import { formatCount, oneLine } from '../src/format.ts';
import { compactHookNames } from '../src/hookTemplates.ts';
import { checkTokenRows } from '../src/tokensFile.ts';

const SPECS: OptionSpec[] = [
  { name: 'model', type: 'string', value: 'PATH', required: true, description: '' },
  { name: 'prompt', type: 'string', value: 'TEXT', description: '' },
  { name: 'json', type: 'boolean', description: '' },
];

describe('parseOptions', () => {
  it('reads --name value, --name=value and flags; values may start with a dash or be empty', () => {
    expect(parseOptions(['--model', 'm', '--prompt', '-1 is odd', '--json'], SPECS, 'x')).toEqual({ model: 'm', prompt: '-1 is odd', json: true });
    expect(parseOptions(['--model=a=b', '--prompt', ''], SPECS, 'x')).toEqual({ model: 'a=b', prompt: '' });
  });

  it.each([
    [['--prompt', 'p'], /x: missing required option --model PATH/],
    [['--model'], /x: option --model needs a value \(PATH\)/],
    [['--model', 'a', '--model', 'b'], /option --model given twice/],
    [['--model', 'a', '--jsn'], /unknown option --jsn/],
    [['--model', 'a', '--json=yes'], /--json is a flag and takes no value/],
    [['--model', 'a', 'stray'], /unexpected argument 'stray'/],
  ])('%j is a UsageError', (argv, message) => {
    expect(() => parseOptions(argv, SPECS, 'x')).toThrow(UsageError);
    expect(() => parseOptions(argv, SPECS, 'x')).toThrow(message);
  });

  it('collects a repeatable option in order, and fills a positional option from a bare argument', () => {
    const specs: OptionSpec[] = [
      { name: 'model', type: 'string', value: 'PATH', positional: true, repeatable: true, description: '' },
      { name: 'revision', type: 'string', value: 'REV', description: '' },
    ];
    expect(parseOptions(['--model', 'a', '--model=b'], specs, 'x')).toEqual({ model: ['a', 'b'] });
    expect(parseOptions(['gpt2', '--revision', 'main'], [{ ...specs[0], repeatable: false }, specs[1]], 'x')).toEqual({ model: 'gpt2', revision: 'main' });
    expect(() => parseOptions(['gpt2', 'again'], [{ ...specs[0], repeatable: false }, specs[1]], 'x')).toThrow(/unexpected argument 'again'/);
  });

  it('checks numbers', () => {
    expect(numberOption({ n: '12' }, 'n', 'x', { integer: true, min: 0 })).toBe(12);
    expect(numberOption({}, 'n', 'x')).toBeUndefined();
    expect(() => numberOption({ n: '1.5' }, 'n', 'x', { integer: true })).toThrow(/--n must be an integer, got '1.5'/);
    expect(() => numberOption({ n: '' }, 'n', 'x')).toThrow(/--n must be a number/);
    expect(() => numberOption({ n: '0' }, 'n', 'x', { min: 0, minExclusive: true, max: 1 })).toThrow(/--n must be > 0 and <= 1, got 0/);
  });
});

describe('compactHookNames', () => {
  it('lists per-block names once as templates, in forward order', () => {
    const names = ['hook_embed', 'blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post', 'ln_final.hook_normalized'];
    expect(compactHookNames(names)).toEqual({
      lines: ['hook_embed', 'blocks.{0..1}.hook_resid_pre', 'blocks.{0..1}.hook_resid_post', 'ln_final.hook_normalized'],
      perBlock: 2,
      blocks: 2,
    });
    expect(compactHookNames(['blocks.0.hook_resid_pre']).lines).toEqual(['blocks.0.hook_resid_pre']);
  });
});

describe('checkTokenRows', () => {
  it('accepts a batch or a single flat row', () => {
    expect(checkTokenRows([[1, 2], [3, 4]], 'f')).toEqual([[1, 2], [3, 4]]);
    expect(checkTokenRows([5, 6, 7], 'f')).toEqual([[5, 6, 7]]);
  });

  it.each([
    [{}, /f: expected a non-empty JSON array/],
    [[], /f: expected a non-empty JSON array/],
    [[[1], 2], /f: row 1 is not an array/],
    [[[]], /f: row 0 is empty/],
    [[[1, 2], [3]], /f: ragged batch: row 1 has 1 tokens but row 0 has 2/],
    [[[1, 2.5]], /f: row 0, position 1: 2.5 is not an integer token id/],
    [[[1, '2']], /f: row 0, position 1: "2" is not an integer token id/],
  ])('rejects %j', (value, message) => {
    expect(() => checkTokenRows(value, 'f')).toThrow(message);
  });
});

describe('bench arithmetic', () => {
  it('counts GPT-2 small forward FLOPs per token as 2·params-ish plus attention', () => {
    // Per token: 12 layers × (2·(4·768² + 2·768·3072) + 4·64·768) + 2·768·50257.
    expect(forwardFlops(GPT2_SMALL, 1, 64)).toBe(64 * (12 * (2 * (4 * 768 * 768 + 2 * 768 * 3072) + 4 * 64 * 768) + 2 * 768 * 50257));
    expect(forwardFlops(GPT2_SMALL, 8, 64)).toBe(8 * forwardFlops(GPT2_SMALL, 1, 64));
    expect(matmulFlops(512, 768, 3072)).toBe(2 * 512 * 768 * 3072);
  });
});

describe('formatting', () => {
  it('formats counts and keeps messages on one line', () => {
    expect(formatCount(124_439_808)).toBe('124.4M (124,439,808)');
    expect(formatCount(999)).toBe('999');
    expect(oneLine('a\n  b\nc ')).toBe('a b c');
  });
});
