import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '@hooklens/core';
import { errorLines, HAS_STORIES, REPO_ROOT, runCli, STORIES_BIN } from './runCli.ts';

const N_LAYERS = 5; // stories260K
const VOCAB = 512;

describe.skipIf(!HAS_STORIES)('hooklens lens (stories260K)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-lens-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: one row per layer boundary plus the final residual, one column per token', async () => {
    const result = await runCli(['lens', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--json', '--top-k', '3']);
    expect(result.code, result.stderr).toBe(0);
    const lens = JSON.parse(result.stdout);
    expect(lens.layers).toHaveLength(N_LAYERS + 1);
    expect(lens.layers[0]).toBe('blocks.0.hook_resid_pre');
    expect(lens.layers[N_LAYERS]).toBe(`blocks.${N_LAYERS - 1}.hook_resid_post`);
    expect(lens.positions).toEqual(['<s>', 'Once', ' upon', ' a', ' time']);
    expect(lens.target).toBeUndefined();
    expect(lens.top).toHaveLength(N_LAYERS + 1);
    for (const row of lens.top) {
      expect(row).toHaveLength(lens.positions.length);
      for (const cell of row) {
        expect(cell).toHaveLength(3);
        for (const entry of cell) {
          expect(Object.keys(entry).sort()).toEqual(['id', 'prob', 'token']);
          expect(entry.id).toBeGreaterThanOrEqual(0);
          expect(entry.id).toBeLessThan(VOCAB);
        }
        expect(cell[0].prob).toBeGreaterThanOrEqual(cell[1].prob);
      }
    }
    expect(lens.entropy).toHaveLength(N_LAYERS + 1);
    expect(lens.klToFinal[N_LAYERS].every((kl: number) => Math.abs(kl) < 1e-5)).toBe(true);
  });

  it('--target "#ID" follows a token: rank 0 where it is the top prediction of the final row', async () => {
    const first = await runCli(['lens', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--json', '--top-k', '1']);
    const top = JSON.parse(first.stdout).top as { id: number; prob: number }[][][];
    const id = top[N_LAYERS][2][0].id; // the model's own prediction after " upon"
    const result = await runCli(['lens', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--json', '--target', `#${id}`]);
    expect(result.code, result.stderr).toBe(0);
    const lens = JSON.parse(result.stdout);
    expect(lens.target).toHaveLength(N_LAYERS + 1);
    for (const row of lens.target) {
      expect(row).toHaveLength(5);
      for (const cell of row) expect(Object.keys(cell).sort()).toEqual(['logit', 'prob', 'rank']);
    }
    expect(lens.target[N_LAYERS][2].rank).toBe(0);
    expect(lens.target[N_LAYERS][2].prob).toBeCloseTo(top[N_LAYERS][2][0].prob, 5);
  });

  it('prints a layers × positions grid by default', async () => {
    const result = await runCli(['lens', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--target', '#261']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const header = lines.findIndex((line) => line.includes('"Once"'));
    expect(lines.slice(header + 1, header + 1 + N_LAYERS + 1).map((line) => line.split(/\s+/)[0])).toEqual(['L0', 'L1', 'L2', 'L3', 'L4', 'final']);
    expect(result.stdout).toMatch(/target .*\(#261\)/);
  });

  it('reads --tokens-file (one row, used as given)', async () => {
    const file = join(dir, 'row.json');
    writeFileSync(file, JSON.stringify([1, 403, 407]));
    const result = await runCli(['lens', '--model', STORIES_BIN, '--tokens-file', file, '--json', '--top-k', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).positions).toEqual(['<s>', 'Once', ' upon']);
  });

  describe('errors: exit code, one line on stderr', () => {
    const expectFailure = async (args: string[], message: RegExp, code = 1) => {
      const result = await runCli(['lens', ...args]);
      expect(result.code, result.stderr).toBe(code);
      const lines = errorLines(result);
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^hooklens: /);
      expect(lines[0]).toMatch(message);
      expect(result.stdout).toBe('');
    };

    it('a target that is several tokens', () => expectFailure(['--model', STORIES_BIN, '--prompt', 'Once upon', '--target', 'little girl'], /target "little girl" is \d+ tokens .*not one; give a single token or #ID/));
    it('a target id out of range', () => expectFailure(['--model', STORIES_BIN, '--prompt', 'Once upon', '--target', '#512'], /target id 512 is out of range \[0, 512\)/));
    it('neither --prompt nor --tokens-file', () => expectFailure(['--model', STORIES_BIN], /give exactly one of --prompt TEXT or --tokens-file FILE/, 2));
    it('a tokens file with two rows', () => {
      const file = join(dir, 'two.json');
      writeFileSync(file, '[[1, 2], [3, 4]]');
      return expectFailure(['--model', STORIES_BIN, '--tokens-file', file], /two\.json: lens reads one prompt, but the file has 2 rows/);
    });
    it('a token id out of vocabulary in the file', () => {
      const file = join(dir, 'oov.json');
      writeFileSync(file, '[1, 600]');
      return expectFailure(['--model', STORIES_BIN, '--tokens-file', file], /oov\.json: token id 600 .*out of range \[0, 512\)/);
    });
    it('--top-k 0', () => expectFailure(['--model', STORIES_BIN, '--prompt', 'Once', '--top-k', '0'], /--top-k must be >= 1, got 0/, 2));
    it('an empty prompt (as ablate and patch say it)', () => expectFailure(['--model', STORIES_BIN, '--prompt', ''], /^hooklens: prompt is empty$/));
    it('a blank prompt', () => expectFailure(['--model', STORIES_BIN, '--prompt', '   '], /^hooklens: prompt is empty$/));
    it('a blank prompt with --no-bos', () => expectFailure(['--model', STORIES_BIN, '--prompt', ' ', '--no-bos'], /^hooklens: prompt is empty$/));
  });
});

describe('hooklens lens: BOS follows the model (toy-ioi)', () => {
  const TOY_IOI = join(REPO_ROOT, 'packages/core/models/toy-ioi');
  const PROMPT = 'When Mary and John went';
  const WORDS = ['When', 'Mary', 'and', 'John', 'went'];
  let dir: string;
  let noBosModel: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-lens-bos-'));
    // The shipped model with its family default turned off: defaultPrependBos false in config.json.
    noBosModel = join(dir, 'toy-ioi-no-bos');
    cpSync(TOY_IOI, noBosModel, { recursive: true });
    const configFile = join(noBosModel, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    expect(config.hooklens_config.defaultPrependBos).toBe(true);
    config.hooklens_config.defaultPrependBos = false;
    writeFileSync(configFile, JSON.stringify(config));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `lens --json --save-experiment`: the positions read and the BOS choice the saved experiment records. */
  async function lensWith(model: string, extra: string[] = []): Promise<{ positions: string[]; prependBos: boolean }> {
    const file = join(dir, `experiment-${Math.random().toString(36).slice(2)}.json`);
    const result = await runCli(['lens', '--model', model, '--prompt', PROMPT, '--json', '--top-k', '1', '--save-experiment', file, ...extra]);
    expect(result.code, result.stderr).toBe(0);
    return { positions: JSON.parse(result.stdout).positions, prependBos: JSON.parse(readFileSync(file, 'utf8')).tokenization.prependBos };
  }

  it("no BOS when the model's default is not to prepend one; the saved experiment says the same", async () => {
    expect(await lensWith(noBosModel)).toEqual({ positions: WORDS, prependBos: false });
  });

  it('BOS when the default is to prepend one, none with --no-bos', async () => {
    expect(await lensWith(TOY_IOI)).toEqual({ positions: ['<bos>', ...WORDS], prependBos: true });
    expect(await lensWith(TOY_IOI, ['--no-bos'])).toEqual({ positions: WORDS, prependBos: false });
  });
});

describe('hooklens lens: what the rows are (toy-ioi)', () => {
  const PROMPT = 'When Mary and John went to the store';

  /** Top next token from the embeddings alone, by hand: W_U · LayerNorm(W_E[token]) + b_U (toy-ioi has rotary positions, so nothing else is added). */
  async function embeddingOnlyTops(): Promise<number[]> {
    await initBackend('cpu');
    const model = await loadModel(join(REPO_ROOT, 'packages/core/models/toy-ioi'));
    try {
      const { dModel, dVocab, eps, positional } = model.config;
      expect(positional).toBe('rotary');
      const weight = (name: string) => model.weights.get(name)!.data as Float32Array;
      const [embed, lnW, lnB, unembed, unembedB] = ['embed.W_E', 'ln_final.w', 'ln_final.b', 'unembed.W_U', 'unembed.b_U'].map(weight);
      return model.toTokens(PROMPT).map((token) => {
        const x = Array.from(embed.subarray(token * dModel, (token + 1) * dModel));
        const mean = x.reduce((a, b) => a + b, 0) / dModel;
        const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / dModel;
        const normed = x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * lnW[i] + lnB[i]);
        let best = 0;
        let bestLogit = -Infinity;
        for (let v = 0; v < dVocab; v++) {
          let logit = unembedB[v];
          for (let i = 0; i < dModel; i++) logit += normed[i] * unembed[i * dVocab + v];
          if (logit > bestLogit) [best, bestLogit] = [v, logit];
        }
        return best;
      });
    } finally {
      model.dispose();
    }
  }

  it('row L0 is the embeddings alone (the input of block 0), as the header says; final is after the last block', async () => {
    const json = await runCli(['lens', '--model', 'toy-ioi', '--prompt', PROMPT, '--json', '--top-k', '1']);
    expect(json.code, json.stderr).toBe(0);
    const lens = JSON.parse(json.stdout) as { layers: string[]; top: { id: number }[][][] };
    expect(lens.layers).toEqual(['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre', 'blocks.2.hook_resid_pre', 'blocks.3.hook_resid_pre', 'blocks.3.hook_resid_post']);
    expect(lens.top[0].map((cell) => cell[0].id)).toEqual(await embeddingOnlyTops());

    const human = await runCli(['lens', '--model', 'toy-ioi', '--prompt', PROMPT]);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toBe('top next token (probability); columns are input positions');
    expect(lines[1]).toMatch(/^rows: Ln = the residual stream entering block n \(blocks\.n\.hook_resid_pre; L0 is the embeddings alone, .*\), final = after the last block$/);
    expect(human.stdout).not.toMatch(/after each layer/);
    expect(lines.slice(3, 8).map((line) => line.split(/\s+/)[0])).toEqual(['L0', 'L1', 'L2', 'L3', 'final']);
  });
});
