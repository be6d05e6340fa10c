import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeModel, formatInfo } from '../src/commands/info.ts';
import { writeTinyGpt2 } from '../../../test/fixtures/checkpoints.ts';
import { writeTinyOlmo2 } from '../../../test/fixtures/olmo2Checkpoint.ts';
import { writeTinyQwen3 } from '../../../test/fixtures/qwen3Checkpoint.ts';
import { TEST_MODELS } from '../../../test/fixtures/testModels.ts';
import { writeBrokenCheckpoints } from '../../core/test/io/fixtures.ts';
import type { Fixture } from '../../../test/fixtures/checkpoints.ts';
import { errorLines, HAS_STORIES, runCli, STORIES_BIN } from './runCli.ts';

describe('hooklens info', () => {
  let dir: string;
  let fixture: Fixture;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-info-'));
    fixture = writeTinyGpt2(join(dir, 'gpt2'), { seed: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('describes a GPT-2 checkpoint: architecture, parameter count, backend, hook templates', async () => {
    const result = await runCli(['info', '--model', fixture.dir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^backend: onnx \(CPU, \d+ threads?\)\n$/);
    const row = (key: string) => new RegExp(`^${key}\\s{2,}(.*)$`, 'm').exec(result.stdout)?.[1];
    expect(row('family')).toBe('GPT-2 (gpt2)');
    expect(row('layers')).toBe('2');
    expect(row('d_model')).toBe('16');
    expect(row('heads')).toBe('4');
    expect(row('kv heads')).toBe('4');
    expect(row('d_head')).toBe('4');
    expect(row('d_mlp')).toBe('64');
    expect(row('vocab')).toBe('97');
    expect(row('n_ctx')).toBe('32');
    expect(row('norm')).toMatch(/^layernorm/);
    expect(row('positional')).toBe('learned');
    expect(row('activation')).toBe('gelu_new');
    expect(row('backend')).toBe(result.stderr.slice('backend: '.length, -1));
    expect(row('prepend BOS')).toMatch(/^yes/);
    // Tied embeddings: the stored tensors are exactly the parameters.
    const stored = [...fixture.hf.values()].reduce((total, tensor) => total + tensor.data.length, 0);
    expect(row('parameters')).toContain(`(${stored.toLocaleString('en-US')})`);
    expect(result.stdout).toContain('  blocks.{0..1}.attn.hook_pattern\n');
    expect(result.stdout).toContain('  hook_pos_embed\n');
    expect(result.stdout).not.toContain('blocks.1.');
  });

  it('--json gives the full config and every hook name', async () => {
    const result = await runCli(['info', '--model', fixture.dir, '--json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.family).toBe('gpt2');
    expect(info.architecture).toMatchObject({ nLayers: 2, dModel: 16, nHeads: 4, nKvHeads: 4, dHead: 4, dMlp: 64, dVocab: 97, nCtx: 32 });
    expect(info.backend).toMatch(/^onnx \(CPU/);
    expect(info.tokenizer).toBeNull();
    expect(info.hookNames).toContain('blocks.1.attn.hook_pattern');
    expect(info.hookNames[0]).toBe('hook_embed');
    expect(info.hookNames.at(-1)).toBe('ln_final.hook_normalized');
    expect(info.config.defaultPrependBos).toBe(info.defaultPrependBos);
  });

  it.skipIf(!HAS_STORIES)('describes the llama2.c stories260K model and finds its tokenizer', async () => {
    const result = await runCli(['info', '--model', STORIES_BIN, '--json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.family).toBe('llama2c');
    expect(info.architecture).toMatchObject({ nLayers: 5, dModel: 64, nHeads: 8, nKvHeads: 4, dVocab: 512, positional: 'rotary', normType: 'rmsnorm' });
    expect(info.tokenizer).toMatch(/tok512\.bin$/);
    expect(info.hookNames).toContain('blocks.0.attn.hook_rot_q');
  });

  it.skipIf(!TEST_MODELS.gpt2TokenizerDir)('--tokenizer attaches a tokenizer from elsewhere; --backend cpu is honoured and reported on the tfjs engine', async () => {
    // On tfjs the backend runs the model, so the line names it.
    const result = await runCli(['info', '--model', fixture.dir, '--tokenizer', TEST_MODELS.gpt2TokenizerDir!, '--backend', 'cpu', '--engine', 'tfjs', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('backend: tfjs on cpu (plain JavaScript, slowest)\n');
    const info = JSON.parse(result.stdout);
    expect(info.tokenizer).toMatch(/gpt2-tokenizer/);
    expect(info.backend).toBe('tfjs on cpu (plain JavaScript, slowest)');
  });

  it.each([
    ['qwen3', 'Qwen3 (qwen3)', /; q\/k norm per head$/],
    ['olmo2', 'OLMo 2 (olmo2)', /; ln1 \/ ln2 after attention \/ MLP; q\/k norm over all heads$/],
  ])('names the %s family and where its norms sit', async (family, name, norm) => {
    const checkpoint = family === 'qwen3' ? writeTinyQwen3(join(dir, family), { seed: 3 }) : writeTinyOlmo2(join(dir, family), { seed: 3 });
    const model = await loadModel(checkpoint.dir);
    const text = formatInfo(describeModel(model, checkpoint.dir, 'test backend'));
    model.dispose();
    const row = (key: string) => new RegExp(`^${key}\\s{2,}(.*)$`, 'm').exec(text)?.[1];
    expect(row('family')).toBe(name);
    expect(row('norm')).toMatch(norm);
    expect(text).toContain('  blocks.{0..1}.attn.q_norm.hook_scale\n');
  });

  it('a missing checkpoint is a one-line error', async () => {
    const result = await runCli(['info', '--model', join(dir, 'nope')]);
    expect(result.code).toBe(1);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hooklens: .*nope/);
  });

  it.each(['unknown architecture', 'missing tensor', 'wrong tensor shape'])('%s: exit 1, one stderr line naming it, no stack trace', async (problem) => {
    const root = join(dir, problem.replace(/ /g, '-'));
    mkdirSync(root);
    const broken = writeBrokenCheckpoints(root).find((c) => c.problem === problem)!;
    const result = await runCli(['info', '--model', broken.dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = errorLines(result);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^hooklens: /);
    for (const fragment of broken.fragments) expect(lines[0]).toContain(fragment);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
