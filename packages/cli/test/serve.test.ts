/**
 * `hooklens serve --model NAME` with hub names found in a Hugging Face cache written by hand (no hub
 * at all: HOOKLENS_HUB_URL points at a closed port), served under the names as typed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesOf, writeCachedRepo } from '../../core/test/hub/cachedRepo.ts';
import { closedPort } from '../../core/test/hub/closedPort.ts';
import { spawnServing } from './spawnServing.ts';
import { writeTinyLlama2c } from '../../../test/fixtures/checkpoints.ts';
import { BIN, errorLines, REPO_ROOT, runCli } from './runCli.ts';

const TOY_IOI = join(REPO_ROOT, 'packages', 'core', 'models', 'toy-ioi');
const TOY_COMMIT = 'd'.repeat(39) + '4';
const TINYLLAMAS_COMMIT = 'e'.repeat(39) + '5';
const TOKENIZER_COMMIT = 'f'.repeat(39) + '6';
const PROMPT = 'When Mary and John went to the store , John gave a drink to';

/** `hooklens serve ARGS --port 0`, resolving with the URL it prints once it serves. */
const serve = (args: string[], env: Record<string, string>) => spawnServing([BIN, 'serve', ...args, '--port', '0'], { cwd: REPO_ROOT, env: { ...process.env, ...env } });

describe('hooklens serve --model NAME', () => {
  let home: string;
  let env: Record<string, string>;
  let tokenizerPath: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hooklens-serve-'));
    const cacheDir = join(home, 'hub');
    // ORG/NAME: the shipped toy-ioi's files, cached as if pulled from test-org/toy.
    writeCachedRepo(cacheDir, 'test-org/toy', TOY_COMMIT, filesOf(TOY_IOI));
    // The short name stories15M: a llama2.c file in karpathy/tinyllamas whose tokenizer lives in another
    // repository (a stand-in: a tiny llama2.c model over toy-ioi's 79-token vocabulary, and its tokenizer.json).
    const scratch = mkdtempSync(join(home, 'src-'));
    writeTinyLlama2c(join(scratch, 'stories15M.bin'), { seed: 7, vocab: 79 });
    writeCachedRepo(cacheDir, 'karpathy/tinyllamas', TINYLLAMAS_COMMIT, new Map([['stories15M.bin', new Uint8Array(readFileSync(join(scratch, 'stories15M.bin')))]]));
    const tokenizerSnapshot = writeCachedRepo(cacheDir, 'hf-internal-testing/llama-tokenizer', TOKENIZER_COMMIT, new Map([['tokenizer.json', new Uint8Array(readFileSync(join(TOY_IOI, 'tokenizer.json')))]]));
    tokenizerPath = join(tokenizerSnapshot, 'tokenizer.json');
    env = { HF_HOME: home, HF_HUB_CACHE: cacheDir, HOOKLENS_HUB_URL: `http://127.0.0.1:${await closedPort()}` };
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('serves cached hub names under the names as typed, offline, beside a shipped model', async () => {
    const server = serve(['--model', 'test-org/toy', '--model', 'stories15M,toy-ioi'], env);
    try {
      const url = await server.url;
      const { models } = (await (await fetch(`${url}/api/models`)).json()) as { models: { id: string; hasTokenizer: boolean; params: number }[] };
      expect(models.map((model) => model.id)).toEqual(['test-org/toy', 'stories15M', 'toy-ioi']);
      expect(models.every((model) => model.hasTokenizer)).toBe(true);
      expect(server.output()).toMatch(/^model: {3}test-org\/toy \(hooklens, 144,207 parameters\)$/m);

      // The id names the model in the URL too (the client encodes it).
      const detail = await fetch(`${url}/api/models/${encodeURIComponent('test-org/toy')}`);
      expect(detail.status).toBe(200);
      // The API names the tokenizer's file, never a folder of this machine.
      expect(await detail.json()).toMatchObject({ id: 'test-org/toy', tokenizer: 'tokenizer.json' });
      // The llama2.c short name got the tokenizer the cache keeps in the other repository (its snapshot
      // has none of its own), so it has one (hasTokenizer above) under that file's name.
      expect(await (await fetch(`${url}/api/models/stories15M`)).json()).toMatchObject({ id: 'stories15M', tokenizer: basename(tokenizerPath) });

      // A request on the cached copy answers exactly as the shipped model does, and it is right.
      const run = async (model: string) => {
        const response = await fetch(`${url}/api/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: PROMPT, topK: 3 }) });
        expect(response.status).toBe(200);
        return (await response.json()) as { tokens: string[]; top: { token: string; logit: number }[] };
      };
      const cached = await run('test-org/toy');
      expect(cached.tokens.at(-1)).toBe('to');
      expect(cached.top[0].token).toBe('Mary');
      expect(cached).toEqual(await run('toy-ioi'));
    } finally {
      server.child.kill('SIGTERM');
    }
  });

  it('hooklens models lists what serve can open', async () => {
    const result = await runCli(['models'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^  test-org/toy\\s+main\\s+${TOY_COMMIT.slice(0, 7)}\\s`, 'm'));
    expect(result.stdout).toMatch(/^ {2}karpathy\/tinyllamas\s.*\(stories260K, stories15M, stories42M, stories110M\)$/m);
  });

  it('a hub name that is not cached is one line naming hooklens pull, before any port is taken', async () => {
    const result = await runCli(['serve', '--model', 'toy-ioi', '--model', 'test-org/missing', '--port', '0'], { env });
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([
      `hooklens: model test-org/missing is not a path and not in the Hugging Face cache (${join(home, 'hub')}); run \`hooklens pull test-org/missing\``,
    ]);
    expect(result.stdout).toBe('');
  });

  it('--help says NAME and lists what it may be', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--model PATH|NAME');
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('a shipped model (toy-ioi, toy-induction), or a hub name already pulled (gpt2, stories15M, ORG/NAME');
  });
});
