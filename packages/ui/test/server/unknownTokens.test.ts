/**
 * No silent <unk> over HTTP, with the two shipped word-level models on a real server: prompt
 * responses list the positions the model reads as <unk> (with the word it lacks), and a token
 * field the model does not know is a 400 naming the field, the word, the model and the nearest
 * words it knows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/index.ts';
import { loadServedModels, startServer } from '../../src/server/index.ts';
import type { RunningServer } from '../../src/server/index.ts';

const TOY_IOI = fileURLToPath(new URL('../../../core/models/toy-ioi', import.meta.url));
const TOY_INDUCTION = fileURLToPath(new URL('../../../core/models/toy-induction', import.meta.url));
// Read from the file, not through the tokenizer code: with BOS first, "Marie" is position 2 and "Zorglub" 8.
const VOCAB = (JSON.parse(readFileSync(`${TOY_IOI}/tokenizer.json`, 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
const PROMPT = 'When Marie and John went to the Zorglub';
const UNKNOWN = [{ position: 2, text: 'Marie' }, { position: 8, text: 'Zorglub' }];
const IOI = 'When Mary and John went to the store , John gave a drink to';

describe('the API says which prompt words a model does not know and refuses unknown token fields', () => {
  let server: RunningServer;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  beforeAll(async () => {
    const models = await loadServedModels({ paths: [TOY_IOI, TOY_INDUCTION] });
    server = await startServer({ models, port: 0, log: () => {} });
  });
  afterAll(async () => {
    await server?.close();
    server?.models.dispose();
  });

  it('tokenize, run, lens and attention list the unknown positions with their words', async () => {
    const tokenize = await post('/api/tokenize', { model: 'toy-ioi', prompt: PROMPT });
    expect(tokenize.status).toBe(200);
    ROUTES.tokenize.response.parse(tokenize.body);
    expect(tokenize.body.unknown).toEqual(UNKNOWN);
    expect(tokenize.body.ids[2]).toBe(VOCAB['<unk>']);
    for (const [path, route] of [['/api/run', ROUTES.run], ['/api/lens', ROUTES.lens], ['/api/attention', ROUTES.attention]] as const) {
      const { status, body } = await post(path, { model: 'toy-ioi', prompt: PROMPT, ...(path === '/api/attention' && { layer: 0 }) });
      expect(status, path).toBe(200);
      route.response.parse(body);
      expect(body.unknown, path).toEqual(UNKNOWN);
    }
  });

  it('a prompt it knows has none; token ids give the <unk> positions without words', async () => {
    expect((await post('/api/tokenize', { model: 'toy-ioi', prompt: IOI })).body.unknown).toEqual([]);
    const ids = await post('/api/tokenize', { model: 'toy-ioi', prompt: [VOCAB['<bos>'], VOCAB.When, VOCAB['<unk>'], VOCAB.and] });
    expect(ids.body.unknown).toEqual([{ position: 2, text: '' }]);
  });

  it('the same text is all unknown to the other model', async () => {
    const { body } = await post('/api/tokenize', { model: 'toy-induction', prompt: 'When Mary and t3' });
    expect(body.unknown).toEqual([{ position: 1, text: 'When' }, { position: 2, text: 'Mary' }, { position: 3, text: 'and' }]);
  });

  it('answer, wrong and target the model does not know are 400s naming the field, the word, the model and near words', async () => {
    const ablate = await post('/api/ablate', { model: 'toy-ioi', prompt: IOI, heads: [{ layer: 0, head: 3 }], answer: 'Marie', wrong: 'John' });
    expect(ablate.status).toBe(400);
    expect(ablate.body.field).toBe('answer');
    // By hand: "Mary" and "Mark" are the two words two edits from "Marie".
    expect(ablate.body.error).toMatch(/^answer "Marie" is not a token of toy-ioi .*nearest tokens it knows: "Mary", "Mark", /);

    const attribution = await post('/api/attribution', { model: 'toy-ioi', prompt: IOI, answer: 'Mary', wrong: 'Zorglub' });
    expect(attribution.status).toBe(400);
    expect(attribution.body.field).toBe('wrong');
    expect(attribution.body.error).toMatch(/^wrong "Zorglub" is not a token of toy-ioi/);

    const lens = await post('/api/lens', { model: 'toy-ioi', prompt: IOI, target: `#${VOCAB['<unk>']}` });
    expect(lens.status).toBe(400);
    expect(lens.body.field).toBe('target');
    expect(lens.body.error).toMatch(/^target #3 is "<unk>", the unknown token of toy-ioi/);

    const sweep = await post('/api/jobs/ablation-sweep', { model: 'toy-ioi', prompt: IOI, answer: 'Mary', wrong: 'Jon' });
    expect(sweep.status).toBe(400);
    expect(sweep.body.field).toBe('wrong');
    expect(sweep.body.error).toMatch(/^wrong "Jon" is not a token of toy-ioi .*nearest tokens it knows: "John", /);

    const patching = await post('/api/jobs/patching', { model: 'toy-induction', clean: 't1 t2 t3', corrupted: 't1 t2 t4', answer: 'Mary', wrong: 't3' });
    expect(patching.status).toBe(400);
    expect(patching.body.field).toBe('answer');
    expect(patching.body.error).toMatch(/^answer "Mary" is not a token of toy-induction .*nearest tokens it knows: "t/);
  });
});
