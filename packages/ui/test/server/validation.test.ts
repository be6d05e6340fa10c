/** Bad input over HTTP: each gets its status and a message naming the field; the server keeps serving. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, ModelRegistry } from '../../src/server/index.ts';
import { HAS_STORIES, rawRequest, startTestServer } from './helpers.ts';
import type { TestServer } from './helpers.ts';

describe('hooklens serve: bad requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const cases: [string, string, unknown, number, RegExp, string?][] = [
    ['a missing model', '/api/run', { prompt: 'hi' }, 400, /^model: /, 'model'],
    ['a prompt of the wrong type', '/api/run', { model: 'tiny-gpt2', prompt: 5 }, 400, /^prompt: expected non-empty text or a non-empty array of token ids/, 'prompt'],
    ['an empty prompt', '/api/tokenize', { model: 'tiny-gpt2', prompt: '' }, 400, /^prompt: /, 'prompt'],
    ['a negative token id', '/api/run', { model: 'tiny-ids', prompt: [1, -2] }, 400, /^prompt\.1: /, 'prompt.1'],
    ['a token id past the vocabulary', '/api/run', { model: 'tiny-ids', prompt: [1, 97] }, 400, /^prompt\.1: token id 97 is out of range \[0, 97\)/, 'prompt.1'],
    ['a misspelt field', '/api/run', { model: 'tiny-gpt2', prompt: 'hi', topk: 3 }, 400, /^topk: unknown field/, 'topk'],
    ['topK too large', '/api/run', { model: 'tiny-gpt2', prompt: 'hi', topK: 1000 }, 400, /^topK: /, 'topK'],
    ['a position outside the prompt', '/api/run', { model: 'tiny-gpt2', prompt: 'hi there', position: 40 }, 400, /^position: 40 is outside the prompt/, 'position'],
    ['text for a model without a tokenizer', '/api/run', { model: 'tiny-ids', prompt: 'hi' }, 400, /^prompt: this model has no tokenizer; send token ids/, 'prompt'],
    ['a multi-token target', '/api/lens', { model: 'tiny-gpt2', prompt: 'hi', target: 'hello world' }, 400, /target/, 'target'],
    ['a layer out of range', '/api/attention', { model: 'tiny-gpt2', prompt: 'hi', layer: 2 }, 400, /^layer: 2 is out of range \[0, 2\)/, 'layer'],
    ['neither layer nor thumbnails', '/api/attention', { model: 'tiny-gpt2', prompt: 'hi' }, 400, /^layer: /, 'layer'],
    ['a head out of range', '/api/ablate', { model: 'tiny-gpt2', prompt: 'hi there', heads: [{ layer: 0, head: 4 }] }, 400, /^heads\.0\.head: 4 is out of range \[0, 4\)/, 'heads.0.head'],
    ['a head with a bad field', '/api/ablate', { model: 'tiny-gpt2', prompt: 'hi there', heads: [{ layer: 'x', head: 0 }] }, 400, /^heads\.0\.layer: /, 'heads.0.layer'],
    ['an unknown ablation mode', '/api/ablate', { model: 'tiny-gpt2', prompt: 'hi there', heads: [], mode: 'half' }, 400, /^mode: /, 'mode'],
    ['nothing to ablate', '/api/ablate', { model: 'tiny-gpt2', prompt: 'hi there' }, 400, /nothing to ablate/],
    ['answer without wrong', '/api/ablate', { model: 'tiny-gpt2', prompt: 'hi there', heads: [{ layer: 0, head: 0 }], answer: '#5' }, 400, /^wrong: /, 'wrong'],
    ['attribution without an answer', '/api/attribution', { model: 'tiny-gpt2', prompt: 'hi there' }, 400, /^answer: /, 'answer'],
    ['an answer id past the vocabulary', '/api/attribution', { model: 'tiny-ids', prompt: [1, 2], answer: 500 }, 400, /answer/, 'answer'],
    ['a sweep without a metric and without loss', '/api/jobs/ablation-sweep', { model: 'tiny-gpt2', prompt: 'hi there', loss: false }, 400, /^answer: /, 'answer'],
    ['patching prompts of different lengths', '/api/jobs/patching', { model: 'tiny-ids', clean: [1, 2, 3], corrupted: [1, 2], answer: 1, wrong: 2 }, 400, /^corrupted: 2 tokens, but clean has 3/, 'corrupted'],
    ['an unknown patch kind', '/api/jobs/patching', { model: 'tiny-ids', clean: [1, 2, 3], corrupted: [1, 2, 4], answer: 1, wrong: 2, kinds: ['x'] }, 400, /^kinds\.0: /, 'kinds.0'],
    ['a seqLen that does not fit n_ctx', '/api/head-scores', { model: 'tiny-gpt2', seqLen: 20 }, 413, /^seqLen: .*n_ctx/, 'seqLen'],
  ];
  it.each(cases)('%s: refused with its status, naming the field', async (_what, path, body, status, message, field) => {
    const res = await server.post(path, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(message);
    if (field) expect(res.body.field).toBe(field);
  });

  it('unknown model → 404 listing the models', async () => {
    const res = await server.post('/api/run', { model: 'gpt-5', prompt: 'hi' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(`unknown model 'gpt-5'; models: ${HAS_STORIES ? 'stories260K, ' : ''}tiny-gpt2, tiny-ids`);
  });

  it('a prompt longer than n_ctx → 413 with the limit', async () => {
    for (const [path, body] of [
      ['/api/run', { model: 'tiny-gpt2', prompt: 'word '.repeat(40) }],
      ['/api/lens', { model: 'tiny-ids', prompt: Array.from({ length: 33 }, (_, i) => i) }],
      ['/api/jobs/patching', { model: 'tiny-ids', clean: Array(40).fill(1), corrupted: Array(40).fill(2), answer: 1, wrong: 2 }],
    ] as const) {
      const res = await server.post(path, body);
      expect(res.status).toBe(413);
      expect(res.body.limit).toBe(32);
      expect(res.body.error).toMatch(/longer than the model's context of 32 tokens \(n_ctx\)/);
    }
  });

  it('malformed JSON → 400; a body over 1 MB → 413', async () => {
    const bad = await server.post('/api/run', '{"model": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/not valid JSON/);
    const huge = await server.post('/api/run', { model: 'tiny-ids', prompt: 'x'.repeat(1.1 * 2 ** 20) });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatch(/1 MB/);
  });

  it('never accepts a filesystem path: a path as the model is just an unknown id', async () => {
    const res = await server.post('/api/run', { model: '../../../shared/models/stories260K/stories260K.bin', prompt: 'hi' });
    expect(res.status).toBe(404);
    const traversal = await rawRequest(server.port, { path: '/api/models/..%2F..%2Fetc%2Fpasswd' });
    expect(traversal.status).toBe(404);
  });

  it('an internal error → 500 with an error id that is logged; the server keeps serving', async () => {
    const logs: string[] = [];
    const real = server.models.get('tiny-gpt2').model;
    // A model whose forward pass breaks the way a bug would.
    const broken = new Proxy(real, {
      get(target, key, receiver) {
        if (key === 'forward') return () => { throw new TypeError('cannot read properties of undefined'); };
        return Reflect.get(target, key, receiver);
      },
    });
    const { app } = createApp({ models: new ModelRegistry([{ id: 'broken', model: broken }], 'test'), log: (line) => logs.push(line) });
    const listening = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    const port = (listening.address() as { port: number }).port;
    try {
      const post = () => fetch(`http://127.0.0.1:${port}/api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'broken', prompt: 'hi there' }) });
      const res = await post();
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: string; errorId: string };
      expect(body.errorId).toMatch(/^[0-9a-f]{12}$/);
      expect(body.error).toContain(body.errorId);
      expect(body.error).not.toContain('undefined'); // no internals to the client
      expect(logs.join('\n')).toContain(body.errorId);
      expect(logs.join('\n')).toContain('TypeError: cannot read properties of undefined');
      // Still serving, and the queue is not stuck behind the failure.
      expect((await post()).status).toBe(500);
      const tokenize = await fetch(`http://127.0.0.1:${port}/api/tokenize`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'broken', prompt: 'hi there' }) });
      expect(tokenize.status).toBe(200);
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});
