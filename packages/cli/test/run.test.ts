import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, HAS_STORIES, REPO_ROOT, runCli, STORIES_BIN } from './runCli.ts';
import { runCliHere } from './inProcess.ts';

/** Non-backend, non-"experiment saved" stderr lines. */
const problems = (result: { stderr: string }) => errorLines({ code: 0, stdout: '', stderr: result.stderr }).filter((line) => !line.startsWith('experiment saved to '));

describe.skipIf(!HAS_STORIES)('hooklens run: replaying what a command saved (stories260K)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-run-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // As a user would type it: relative to the working directory (the repo root).
  const model = relative(REPO_ROOT, STORIES_BIN);

  /** Runs `args --json --save-experiment`, then `run` on the file; returns both outputs. */
  async function saveAndReplay(name: string, args: string[], out = true): Promise<{ original: Record<string, unknown>; replay: { experiment: Record<string, unknown>; result: Record<string, unknown> } }> {
    const file = join(dir, `${name}.json`);
    const first = await runCli([...args, '--json', '--save-experiment', file]);
    expect(first.code, first.stderr).toBe(0);
    expect(problems(first)).toEqual([]);
    expect(first.stderr).toContain(`experiment saved to ${file}`);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.hooklens).toBe(1);
    expect(saved.model.id).toBe(model);
    const resultFile = join(dir, `${name}-result.json`);
    const second = await runCli(['run', file, ...(out ? ['--out', resultFile] : [])]);
    expect(second.code, second.stderr).toBe(0);
    const replay = JSON.parse(out ? readFileSync(resultFile, 'utf8') : second.stdout);
    expect(replay.experiment).toEqual(saved);
    return { original: JSON.parse(first.stdout), replay };
  }

  it('lens: same numbers as the original command', async () => {
    const { original, replay } = await saveAndReplay('lens', ['lens', '--model', model, '--prompt', 'Once upon a time there was', '--top-k', '3', '--target', ' little']);
    expect(replay.experiment).toMatchObject({ kind: 'lens', tokenization: { prependBos: true, paddingSide: 'right' }, prompts: { prompt: 'Once upon a time there was' }, topK: 3, target: ' little' });
    for (const key of ['layers', 'positions', 'top', 'target', 'entropy', 'klToFinal']) expect(replay.result[key], key).toEqual(original[key]);
  });

  it('lens --no-bos with stdout output', async () => {
    const { original, replay } = await saveAndReplay('lens-nobos', ['lens', '--model', model, '--prompt', 'Once upon a time', '--no-bos'], false);
    expect(replay.experiment).toMatchObject({ tokenization: { prependBos: false } });
    expect(replay.result.positions).toEqual(['Once', ' upon', ' a', ' time']);
    expect(replay.result.top).toEqual(original.top);
  });

  it('ablate --heads --mlps with a metric', async () => {
    const { original, replay } = await saveAndReplay('ablate', ['ablate', '--model', model, '--prompt', 'Lily and Tim went to the park. Tim gave the ball to',
      '--heads', '1.3,2.0', '--mlps', '0', '--mode', 'mean', '--answer', ' Lily', '--wrong', ' Tim', '--position', '-1']);
    expect(replay.experiment).toMatchObject({ kind: 'ablation', heads: [{ layer: 1, head: 3 }, { layer: 2, head: 0 }], mlps: [0], mode: 'mean', metric: { type: 'logit-diff', answer: ' Lily', wrong: ' Tim', position: -1 } });
    for (const key of ['lossClean', 'lossAblated', 'lossDelta', 'metricClean', 'metricAblated', 'metricDelta', 'position', 'predictions']) expect(replay.result[key], key).toEqual(original[key]);
  });

  it('ablate --sweep from a tokens file with a resample reference', async () => {
    const tokens = join(dir, 'rows.json');
    const reference = join(dir, 'reference.json');
    writeFileSync(tokens, JSON.stringify([[1, 403, 407, 261, 378, 12], [1, 300, 310, 320, 330, 340]]));
    writeFileSync(reference, JSON.stringify([[1, 50, 60, 70, 80, 90], [1, 55, 65, 75, 85, 95]]));
    const { original, replay } = await saveAndReplay('sweep', ['ablate', '--model', model, '--tokens-file', tokens, '--sweep', '--mode', 'resample', '--reference-file', reference, '--seed', '3', '--batch-size', '2']);
    expect(replay.experiment).toMatchObject({ kind: 'ablation-sweep', prompts: { prompts: [[1, 403, 407, 261, 378, 12], [1, 300, 310, 320, 330, 340]] }, mode: 'resample', seed: 3, batchSize: 2 });
    expect(replay.result.lossClean).toEqual(original.lossClean);
    expect(replay.result.lossDelta).toEqual(original.lossDelta);
  });

  it('heads', async () => {
    const { original, replay } = await saveAndReplay('heads', ['heads', '--model', model, '--seq-len', '12', '--batch', '3', '--seed', '5']);
    expect(replay.experiment).toMatchObject({ kind: 'head-scores', prompts: { repeatedRandomTokens: { seqLen: 12, batch: 3 } }, seed: 5 });
    for (const key of ['previousToken', 'duplicateToken', 'induction', 'seqLen', 'batch']) expect(replay.result[key], key).toEqual(original[key]);
  });

  it('patch', async () => {
    const { original, replay } = await saveAndReplay('patch', ['patch', '--model', model, '--clean', 'When Lily and Tim went to the park, Tim gave a ball to',
      '--corrupt', 'When Lily and Tim went to the park, Lily gave a ball to', '--answer', 'Lily', '--wrong', 'Tim', '--kind', 'attn_out', '--workers', '1']);
    expect(replay.experiment).toMatchObject({ kind: 'patching', patch: { kind: 'attn_out' }, metric: { type: 'logit-diff', answer: 'Lily', wrong: 'Tim' }, workers: 1 });
    expect(replay.result).toEqual(original);
  });

  it('a relative model path is also found from the experiment file\'s folder', async () => {
    const file = join(dir, 'beside.json');
    symlinkSync(dirname(STORIES_BIN), join(dir, 'models'));
    expect(existsSync(join(REPO_ROOT, 'models/stories260K.bin'))).toBe(false);
    writeFileSync(file, JSON.stringify({ hooklens: 1, kind: 'head-scores', model: { id: 'models/stories260K.bin' }, tokenization: { prependBos: true }, prompts: { repeatedRandomTokens: { seqLen: 4, batch: 1 } } }));
    const result = await runCli(['run', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).result.seqLen).toBe(4);
  });

  it('--model replaces the experiment\'s model (a dashboard export names the model by its server id); the result records what ran', async () => {
    const file = join(dir, 'served-name.json');
    const experiment = { hooklens: 1, kind: 'head-scores', model: { id: 'stories260K' }, tokenization: { prependBos: true }, prompts: { repeatedRandomTokens: { seqLen: 4, batch: 1 } } };
    writeFileSync(file, JSON.stringify(experiment));
    const unresolved = await runCli(['run', file]);
    expect(unresolved.code).toBe(1);
    expect(problems(unresolved)[0]).toContain('stories260K');
    const replaced = await runCli(['run', file, '--model', model]);
    expect(replaced.code, replaced.stderr).toBe(0);
    const run = JSON.parse(replaced.stdout);
    expect(run.experiment.model).toEqual({ id: model });
    const direct = await runCli(['heads', '--model', model, '--seq-len', '4', '--batch', '1', '--json']);
    expect(run.result.induction).toEqual(JSON.parse(direct.stdout).induction);
    const tokenizerAlone = await runCli(['run', file, '--tokenizer', 'tok512.bin']);
    expect(problems(tokenizerAlone)).toEqual(['hooklens: --tokenizer replaces the tokenizer of --model; give --model too']);
  });

  it('an error while running leaves no --out file (nor a temporary one)', async () => {
    const folder = mkdtempSync(join(dir, 'out-'));
    const file = join(folder, 'bad-token.json');
    writeFileSync(file, JSON.stringify({ hooklens: 1, kind: 'lens', model: { id: model }, tokenization: { prependBos: true, paddingSide: 'right' }, prompts: { prompt: 'Once upon' }, target: 'Once upon a time' }));
    const result = await runCli(['run', file, '--out', join(folder, 'result.json')]);
    expect(result.code).toBe(1);
    expect(problems(result)).toEqual([expect.stringMatching(/^hooklens: experiment\.target "Once upon a time" is \d+ tokens/)]);
    expect(readdirSync(folder)).toEqual(['bad-token.json']);
  });

  it('a model that does not exist: one line, exit 1', async () => {
    const file = join(dir, 'no-model.json');
    writeFileSync(file, JSON.stringify({ hooklens: 1, kind: 'lens', model: { id: join(dir, 'missing.bin') }, tokenization: { prependBos: true }, prompts: { prompt: 'x' } }));
    const result = await runCli(['run', file]);
    expect(result.code).toBe(1);
    expect(problems(result)).toHaveLength(1);
    expect(problems(result)[0]).toMatch(/^hooklens: .*missing\.bin/);
    expect(result.stdout).toBe('');
  });
});

describe('hooklens run: bad experiment files (in process)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-run-bad-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lens = { hooklens: 1, kind: 'lens', model: { id: 'stories260K.bin' }, tokenization: { prependBos: true, paddingSide: 'right' }, prompts: { prompt: 'x' } };

  const cases: [string, string | undefined, string][] = [
    ['not JSON', '{ "hooklens": 1, ', ': not valid JSON ('],
    ['unknown kind', JSON.stringify({ ...lens, kind: 'probe' }), ': experiment.kind: expected one of lens, ablation, ablation-sweep, patching, head-scores'],
    ['bad field', JSON.stringify({ ...lens, prompts: { prompt: 'x' }, topk: 3 }), ': experiment: unknown field "topk"'],
    ['wrong type', JSON.stringify({ ...lens, tokenization: { prependBos: 'yes' } }), ': experiment.tokenization.prependBos: expected boolean, received string'],
    ['missing model', JSON.stringify({ ...lens, model: undefined }), ': experiment.model: missing (expected object)'],
    ['no such file', undefined, ': cannot read experiment file (no such file)'],
  ];
  it.each(cases)('%s: one line naming the file, exit 1, no output', async (name, text, message) => {
    const file = join(dir, `${name.replace(/ /g, '-')}.json`);
    if (text !== undefined) writeFileSync(file, text);
    const out = join(dir, `${name.replace(/ /g, '-')}-result.json`);
    const result = await runCliHere(['run', file, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`hooklens: ${file}${message}${result.stderr.slice(`hooklens: ${file}${message}`.length)}`);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('needs the experiment file', async () => {
    const result = await runCliHere(['run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hooklens: run: missing EXPERIMENT.json (see hooklens run --help)\n');
  });

  it('--save-experiment into a missing folder fails before loading the model', async () => {
    const result = await runCliHere(['heads', '--model', 'nowhere.bin', '--save-experiment', join(dir, 'no', 'such', 'e.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hooklens: .*e\.json: cannot write, folder .* does not exist\n$/);
  });
});
