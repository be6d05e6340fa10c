import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend, loadModel } from '@hooklens/core';
import { runCliHere } from './inProcess.ts';
import { errorLines, HAS_STORIES, runCli, STORIES_BIN } from './runCli.ts';

const PROMPT = 'Lily and Tim went to the park. Tim gave the ball to';
const N_LAYERS = 5; // stories260K
const N_HEADS = 8;

/** Loss of stories260K with the heads' W_O rows zeroed in a copy of its weights: the independent reference. */
async function knockedOutLoss(heads: [number, number][], tokens: number[]): Promise<{ clean: number; ablated: number }> {
  await initBackend('wasm');
  const model = await loadModel(STORIES_BIN);
  const weights = new Map([...model.weights].map(([name, t]) => [name, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
  const { dHead, dModel } = model.config;
  for (const [layer, head] of heads) weights.get(`blocks.${layer}.attn.W_O`)!.data.fill(0, head * dHead * dModel, (head + 1) * dHead * dModel);
  const copy = new HookedTransformer(model.config, weights);
  const loss = (m: HookedTransformer) => { const t = m.forward([tokens], { returnType: 'loss' }); const v = t.dataSync()[0]; t.dispose(); return v; };
  const result = { clean: loss(model), ablated: loss(copy) };
  copy.dispose();
  model.dispose();
  return result;
}

describe.skipIf(!HAS_STORIES)('hooklens ablate (stories260K)', () => {
  let dir: string;
  let single: { lossClean: number; lossAblated: number; tokens: number[][] };
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-ablate-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The reference model loads weights in this process (only in this block); nothing may leak between tests.
  afterAll(() => { expect(tf.memory().numTensors).toBe(0); });

  it('--json: zero-ablating heads gives the loss of a copy with those W_O rows zeroed', async () => {
    const result = await runCli(['ablate', '--model', STORIES_BIN, '--prompt', PROMPT, '--heads', '0.1,3.4', '--json']);
    expect(result.code, result.stderr).toBe(0);
    single = JSON.parse(result.stdout);
    const json = single as unknown as Record<string, unknown>;
    expect(json.heads).toEqual(['0.1', '3.4']);
    expect(json.mode).toBe('zero');
    expect(json.metricClean).toBeUndefined();
    expect(single.tokens[0][0]).toBe(1); // BOS
    const expected = await knockedOutLoss([[0, 1], [3, 4]], single.tokens[0]);
    expect(Math.abs(single.lossClean - expected.clean)).toBeLessThan(1e-4);
    expect(Math.abs(single.lossAblated - expected.ablated)).toBeLessThan(1e-4);
    expect(Math.abs(expected.ablated - expected.clean)).toBeGreaterThan(1e-3);
  });

  it('--answer/--wrong add the logit-difference metric; MLPs and mean mode work; human output is a table', async () => {
    const json = await runCli(['ablate', '--model', STORIES_BIN, '--prompt', PROMPT, '--mlps', '1', '--heads', '2.2', '--mode', 'mean', '--answer', 'Lily', '--wrong', 'Tim', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    for (const key of ['lossClean', 'lossAblated', 'lossDelta', 'metricClean', 'metricAblated', 'metricDelta']) expect(typeof result[key], key).toBe('number');
    expect(result.mlps).toEqual([1]);
    expect(result.metricDelta).toBeCloseTo(result.metricAblated - result.metricClean, 6);
    expect(result.predictions[0].clean).toHaveLength(5);

    const human = await runCli(['ablate', '--model', STORIES_BIN, '--prompt', PROMPT, '--heads', '2.2', '--answer', 'Lily', '--wrong', 'Tim']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^ablated heads 2\.2 \(mode zero\)$/m);
    expect(human.stdout).toMatch(/^loss {8}clean \d+\.\d{4} → ablated \d+\.\d{4} \(Δ [+-]?\d+\.\d{4}\)$/m);
    expect(human.stdout).toMatch(/^logit diff {2}clean/m);
    expect(human.stdout).toMatch(/top-5 next tokens after/);
    expect(human.stderr).not.toMatch(/\[#/); // no progress bar when stderr is not a terminal
  });

  it('--sweep --json: a [layer][head] grid whose cells match single ablations', async () => {
    const result = await runCli(['ablate', '--model', STORIES_BIN, '--prompt', PROMPT, '--sweep', '--answer', 'Lily', '--wrong', 'Tim', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const sweep = JSON.parse(result.stdout);
    expect(sweep.lossDelta).toHaveLength(N_LAYERS);
    expect(sweep.metricDelta).toHaveLength(N_LAYERS);
    for (const row of sweep.lossDelta) expect(row).toHaveLength(N_HEADS);
    expect(Math.abs(sweep.lossClean - single.lossClean)).toBeLessThan(1e-5);
    const one = JSON.parse((await runCli(['ablate', '--model', STORIES_BIN, '--prompt', PROMPT, '--heads', '3.4', '--answer', 'Lily', '--wrong', 'Tim', '--json'])).stdout);
    expect(Math.abs(sweep.lossDelta[3][4] - one.lossDelta)).toBeLessThan(1e-4);
    expect(Math.abs(sweep.metricDelta[3][4] - one.metricDelta)).toBeLessThan(1e-4);

    const human = await runCli(['ablate', '--model', STORIES_BIN, '--prompt', PROMPT, '--sweep']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^ +H0 +H1 .* H7$/m);
    expect(human.stdout).toMatch(/^L4 +[+-]?\d\.\d{3}/m);
    expect(human.stdout).toMatch(/most important \(largest loss increase\): \d\.\d/);
  });

  it('--tokens-file batches and resample mode', async () => {
    const tokens = join(dir, 'batch.json');
    const prompt = single.tokens[0];
    writeFileSync(tokens, JSON.stringify([prompt, [prompt[0], ...prompt.slice(1).reverse()], [prompt[0], ...prompt.slice(1).map((id) => (id * 7) % 500 + 3)]]));
    const result = await runCli(['ablate', '--model', STORIES_BIN, '--tokens-file', tokens, '--heads', '1.0', '--mode', 'resample', '--seed', '3', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.predictions).toHaveLength(3);
    expect(json.lossAblated).not.toBe(json.lossClean);
  });

  describe('errors: one line on stderr', () => {
    const expectFailure = async (args: string[], message: RegExp, code = 1) => {
      const result = await runCli(['ablate', '--model', STORIES_BIN, ...args]);
      expect(result.code, result.stderr).toBe(code);
      const lines = errorLines(result);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^hooklens: /);
      expect(lines[0]).toMatch(message);
      expect(result.stdout).toBe('');
    };
    it('head out of range', () => expectFailure(['--prompt', PROMPT, '--heads', '3.9'], /head 3\.9: layer 3 has heads 0\.\.7$/));
    it('layer out of range', () => expectFailure(['--prompt', PROMPT, '--heads', '7.0'], /head 7\.0: the model has layers 0\.\.4$/));
    it('malformed head', () => expectFailure(['--prompt', PROMPT, '--heads', '3'], /--heads: '3' is not LAYER\.HEAD/, 2));
    it('nothing to ablate', () => expectFailure(['--prompt', PROMPT], /give --heads L\.H,… and\/or --mlps L,…/, 2));
    it('no prompt', () => expectFailure(['--heads', '0.0'], /exactly one of --prompt TEXT or --tokens-file FILE/, 2));
    it('empty prompt', () => expectFailure(['--prompt', '  ', '--heads', '0.0'], /prompt is empty/));
    it('unknown mode', () => expectFailure(['--prompt', PROMPT, '--heads', '0.0', '--mode', 'max'], /unknown --mode 'max'; modes: zero, mean, resample/, 2));
    it('answer without wrong', () => expectFailure(['--prompt', PROMPT, '--heads', '0.0', '--answer', 'Lily'], /--answer and --wrong go together/, 2));
    it('multi-token answer', () => expectFailure(['--prompt', PROMPT, '--heads', '0.0', '--answer', 'Tom', '--wrong', 'Tim'], /answer "Tom" is 2 tokens/));
    it('sweep with heads', () => expectFailure(['--prompt', PROMPT, '--sweep', '--heads', '0.0'], /--sweep ablates every head/, 2));
  });
});

describe('hooklens ablate --mode resample with one prompt (toy-ioi)', () => {
  const IOI = 'When Mary and John went to the store , John gave a drink to';
  it.each([
    [['--prompt', IOI], '--prompt gives one'],
    [['--tokens-file', 'ONE_ROW'], 'ONE_ROW has one row'],
  ])('%j names the flags that give it other prompts, before loading the model', async (args, says) => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklens-resample-'));
    try {
      const oneRow = join(dir, 'one.json');
      writeFileSync(oneRow, JSON.stringify([[0, 5, 6, 7]]));
      const result = await runCliHere(['ablate', '--model', 'toy-ioi', '--heads', '0.3', '--mode', 'resample', ...args.map((arg) => arg.replace('ONE_ROW', oneRow))]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`hooklens: ablate: --mode resample takes each activation from another prompt, but ${says.replace('ONE_ROW', oneRow)}: `
        + 'add --reference-file FILE (a JSON batch [[id, …], …] as long as the prompt), or give several same-length prompts with --tokens-file FILE\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
