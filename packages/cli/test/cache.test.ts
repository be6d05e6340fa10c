import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../core/src/io/safetensors.ts';
import { writeBrokenCheckpoints } from '../../core/test/io/fixtures.ts';
import { writeTinyGpt2 } from '../../../test/fixtures/checkpoints.ts';
import type { Fixture } from '../../../test/fixtures/checkpoints.ts';
import { errorLines, HAS_STORIES, runCli, STORIES_BIN } from './runCli.ts';

describe('hooklens cache', () => {
  let dir: string;
  let fixture: Fixture;
  let hookNames: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-cache-'));
    fixture = writeTinyGpt2(join(dir, 'gpt2'), { seed: 2 }); // vocab 97, n_ctx 32, d_model 16, 4 heads
    const info = await runCli(['info', '--model', fixture.dir, '--json']);
    hookNames = JSON.parse(info.stdout).hookNames;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tokensFile = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('writes logits and every activation, named by hook, with the right shapes', async () => {
    const tokens = tokensFile('batch.json', JSON.stringify([[1, 2, 3, 4, 5], [6, 7, 8, 9, 96]]));
    const out = join(dir, 'all.safetensors');
    const result = await runCli(['cache', '--model', fixture.dir, '--tokens-file', tokens, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const file = readSafetensors(out);
    expect([...file.tensors.keys()]).toEqual(['logits', ...hookNames]);
    expect(file.tensors.get('logits')!.shape).toEqual([2, 5, 97]);
    expect(file.tensors.get('hook_embed')!.shape).toEqual([2, 5, 16]);
    expect(file.tensors.get('blocks.1.attn.hook_pattern')!.shape).toEqual([2, 4, 5, 5]);
    expect(file.tensors.get('blocks.0.attn.hook_q')!.shape).toEqual([2, 5, 4, 4]);
    expect(file.tensors.get('blocks.0.mlp.hook_post')!.shape).toEqual([2, 5, 64]);
    expect(file.tensors.get('ln_final.hook_scale')!.shape).toEqual([2, 5, 1]);
    for (const dtype of file.dtypes.values()) expect(dtype).toBe('F32');
    expect(JSON.parse(file.metadata.tokens)).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 96]]);
    // Causal attention: each pattern row sums to one and puts nothing on later positions.
    const pattern = file.tensors.get('blocks.0.attn.hook_pattern')!.data;
    expect(pattern.subarray(0, 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Array.from(pattern.subarray(1, 5))).toEqual([0, 0, 0, 0]);
  });

  it('--names keeps only the matching hooks (plus logits)', async () => {
    const tokens = tokensFile('row.json', JSON.stringify([[3, 1, 4, 1, 5, 9]]));
    const out = join(dir, 'subset.safetensors');
    const result = await runCli(['cache', '--model', fixture.dir, '--tokens-file', tokens, '--out', out, '--names', 'hook_(resid_post|pattern)$']);
    expect(result.code, result.stderr).toBe(0);
    const names = [...readSafetensors(out).tensors.keys()];
    expect(names).toEqual(['logits', 'blocks.0.attn.hook_pattern', 'blocks.0.hook_resid_post', 'blocks.1.attn.hook_pattern', 'blocks.1.hook_resid_post']);
  });

  it.skipIf(!HAS_STORIES)('encodes --prompt with the model tokenizer (stories260K), prepending BOS unless --no-bos', async () => {
    const withBos = join(dir, 'stories.safetensors');
    const result = await runCli(['cache', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--out', withBos, '--names', 'hook_resid_post$']);
    expect(result.code, result.stderr).toBe(0);
    const file = readSafetensors(withBos);
    const tokens: number[][] = JSON.parse(file.metadata.tokens);
    expect(tokens[0][0]).toBe(1);
    expect(file.tensors.get('logits')!.shape).toEqual([1, tokens[0].length, 512]);
    expect(file.tensors.get('blocks.4.hook_resid_post')!.shape).toEqual([1, tokens[0].length, 64]);

    const noBos = join(dir, 'stories-nobos.safetensors');
    const second = await runCli(['cache', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--no-bos', '--out', noBos, '--names', 'hook_embed']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(readSafetensors(noBos).metadata.tokens)).toEqual([tokens[0].slice(1)]);
  });

  describe('errors: exit 1, one line on stderr, no output file', () => {
    /** `message`: a pattern, or fragments the line must contain. */
    const expectFailure = async (args: string[], message: RegExp | string[], code = 1) => {
      const out = join(dir, `failed-${Math.random().toString(36).slice(2)}.safetensors`);
      const before = readdirSync(dir).length;
      const result = await runCli(['cache', ...args, '--out', out]);
      expect(result.code).toBe(code);
      const lines = errorLines(result);
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^hooklens: /);
      if (message instanceof RegExp) expect(lines[0]).toMatch(message);
      else for (const fragment of message) expect(lines[0]).toContain(fragment);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(readdirSync(dir)).toHaveLength(before); // neither the file nor a .partial left behind
    };
    const good = () => tokensFile('good.json', '[[1, 2, 3]]');

    it('missing checkpoint', () => expectFailure(['--model', join(dir, 'missing'), '--tokens-file', good()], /missing/));

    it('truncated checkpoint', async () => {
      const broken = join(dir, 'truncated');
      writeTinyGpt2(broken, { seed: 3 });
      const weights = join(broken, 'model.safetensors');
      const bytes = readFileSync(weights);
      writeFileSync(weights, bytes.subarray(0, bytes.length - 100));
      await expectFailure(['--model', broken, '--tokens-file', good()], /truncated/);
    });

    it('unknown architecture, missing tensor, wrong tensor shape: each named', async () => {
      const broken = join(tmpdir(), `hooklens-cache-broken-${process.pid}`);
      mkdirSync(broken);
      try {
        const cases = writeBrokenCheckpoints(broken);
        expect(cases.map((c) => c.problem)).toEqual(['unknown architecture', 'missing tensor', 'wrong tensor shape']);
        for (const { dir: model, fragments } of cases) await expectFailure(['--model', model, '--tokens-file', good()], fragments);
      } finally {
        rmSync(broken, { recursive: true, force: true });
      }
    });

    it('--names matching no hook', () => expectFailure(['--model', fixture.dir, '--tokens-file', good(), '--names', 'hook_nothing_like_this'], /--names \/hook_nothing_like_this\/ matches none of the model's \d+ hook names/));

    it('invalid --names pattern', () => expectFailure(['--model', fixture.dir, '--tokens-file', good(), '--names', '('], /--names is not a valid regular expression/, 2));

    it('ragged tokens file', () => expectFailure(['--model', fixture.dir, '--tokens-file', tokensFile('ragged.json', '[[1,2,3],[4,5,6],[7,8]]')], /ragged\.json: ragged batch: row 2 has 2 tokens but row 0 has 3/));

    it('token id out of vocabulary', () => expectFailure(['--model', fixture.dir, '--tokens-file', tokensFile('oov.json', '[[1,2,3],[4,97,6]]')], /oov\.json: token id 97 at row 1, position 1 is out of range \[0, 97\)/));

    it('tokens file that is not JSON', () => expectFailure(['--model', fixture.dir, '--tokens-file', tokensFile('bad.json', '[[1,2,')], /bad\.json: tokens file is not valid JSON/));

    it('tokens file that does not exist', () => expectFailure(['--model', fixture.dir, '--tokens-file', join(dir, 'absent.json')], /absent\.json: cannot read tokens file \(no such file\)/));

    it('sequence longer than n_ctx', () => expectFailure(['--model', fixture.dir, '--tokens-file', tokensFile('long.json', JSON.stringify([Array.from({ length: 33 }, (_, i) => i)]))], /33 tokens is longer than the model's context n_ctx = 32/));

    it('--prompt for a model without a tokenizer', () => expectFailure(['--model', fixture.dir, '--prompt', 'hello'], /no tokenizer to encode --prompt; pass --tokenizer PATH or give token ids with --tokens-file/));

    it('output folder that does not exist', async () => {
      const result = await runCli(['cache', '--model', fixture.dir, '--tokens-file', good(), '--out', join(dir, 'no-such-folder', 'x.safetensors')]);
      expect(result.code).toBe(1);
      expect(errorLines(result)).toEqual([expect.stringMatching(/^hooklens: .*cannot write, folder .*no-such-folder does not exist$/)]);
    });
  });
});
