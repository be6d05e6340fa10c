/**
 * Server hygiene: undecodable compressed bodies are the client's fault (400, nothing logged),
 * no page may frame the dashboard, GET /api/health reports memory and the queue under the
 * same access rules as every route, and no response shows where the server's files are.
 */
import { homedir, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthResponse, ROUTES } from '../../src/api/index.ts';
import { createApp, ModelRegistry } from '../../src/server/index.ts';
import { rawRequest, startTestServer, waitForJob } from './helpers.ts';
import type { TestServer } from './helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('hooklens serve: hygiene', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const post = (body: Buffer | string, encoding: string) =>
    fetch(`${server.base}/api/tokenize`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body });

  it.each(['gzip', 'deflate', 'br'])('a garbage %s body → 400 naming the encoding, with nothing in the log', async (encoding) => {
    const logged = server.logs.length;
    const res = await post('this is not compressed at all', encoding);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; errorId?: string };
    expect(body.error).toMatch(new RegExp(`^request body: cannot decode its Content-Encoding '${encoding}': `));
    expect(body.errorId).toBeUndefined();
    expect(server.logs.slice(logged)).toEqual([]);
  });

  it('a well-formed compressed body is read; one that inflates past 1 MB → 413; an unknown encoding → 415', async () => {
    const json = JSON.stringify({ model: 'tiny-ids', prompt: [1, 2, 3] });
    for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      const res = await post(compress(json), encoding);
      expect(res.status, encoding).toBe(200);
      expect(((await res.json()) as { ids: number[] }).ids).toEqual([1, 2, 3]);
    }
    // 4 MB of spaces inside a valid JSON object, compressed to a few kilobytes.
    const bomb = gzipSync(`{"model": "tiny-ids", "prompt": [1]${' '.repeat(4 * 2 ** 20)}}`);
    expect(bomb.length).toBeLessThan(10_000);
    const big = await post(bomb, 'gzip');
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toBe('request body is larger than the 1 MB limit (once decompressed)');
    const unknown = await post(json, 'compress');
    expect(unknown.status).toBe(415);
  });

  it("every answer forbids framing: X-Frame-Options DENY and CSP frame-ancestors 'none' (dashboard, API, refusals)", async () => {
    const answers = [
      await rawRequest(server.port, { path: '/' }),
      await rawRequest(server.port, { path: '/some/client/route' }),
      await rawRequest(server.port, { path: '/api/models' }),
      await rawRequest(server.port, { path: '/', headers: { Host: 'evil.example' } }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 403]);
    for (const answer of answers) {
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    }
  });

  it('GET /api/health: engine, uptime, RSS, tfjs tensors and queue length', async () => {
    const res = await server.get('/api/health');
    expect(res.status).toBe(200);
    const health = HealthResponse.parse(res.body);
    expect(health.status).toBe('ok');
    // The models run on the default engine; /api/models names the same one.
    expect(health.backend).toMatch(/^onnx \(CPU, \d+ threads?\)$/);
    expect(health.backend).toBe(server.models.get('tiny-ids').model.engine.description);
    expect((await server.get('/api/models')).body.backend).toBe(health.backend);
    expect(health.uptimeSeconds).toBeGreaterThan(0);
    expect(health.numTensors).toBe(tf.memory().numTensors);
    expect(health.tensorBytes).toBe(tf.memory().numBytes);
    // The server runs in this process.
    const rss = process.memoryUsage.rss();
    expect(health.rssBytes).toBeGreaterThan(rss * 0.5);
    expect(health.rssBytes).toBeLessThan(rss * 2);
    expect(health).toMatchObject({ queueLength: 0, activeJobs: 0, limits: server.limits });
    // A long job holds the queue while it runs.
    const job = await server.post('/api/jobs/patching', { model: 'tiny-ids', clean: Array.from({ length: 32 }, (_, i) => i), corrupted: Array.from({ length: 32 }, (_, i) => (i === 0 ? 5 : i)), answer: 1, wrong: 2, kinds: ['z_by_pos', 'pattern_by_pos'] });
    const during = (await server.get('/api/health')).body;
    expect(during.activeJobs).toBe(1);
    expect(during.queueLength).toBeGreaterThanOrEqual(1);
    await server.del(`/api/jobs/${job.body.id}`);
    expect((await server.get('/api/health')).body).toMatchObject({ queueLength: 0, activeJobs: 0 });
    expect((await server.get('/api/health')).body.uptimeSeconds).toBeGreaterThan(health.uptimeSeconds);
  });

  it('GET /api/health follows the loopback rules of every route', async () => {
    expect((await rawRequest(server.port, { path: '/api/health', headers: { Host: 'evil.example' } })).status).toBe(403);
  });

  it('no response names a directory: every GET route for every loaded model, and a tokenizer error', async () => {
    const done = await server.post('/api/jobs/ablation-sweep', { model: 'tiny-ids', prompt: [1, 2, 3] });
    await waitForJob(server, done.body.id);
    const finished = await server.post('/api/jobs/patching', { model: 'tiny-gpt2', clean: 'a b', corrupted: 'a c', answer: '#1', wrong: '#2', kinds: ['z'] });
    const ids = server.models.list().map((served) => served.id);
    const paths = Object.values(ROUTES)
      .filter((route) => route.method === 'GET')
      .flatMap((route) => (route.path.includes(':id') ? (route.path.startsWith('/api/models') ? ids : [done.body.id, finished.body.id]).map((id) => route.path.replace(':id', id)) : [route.path]));
    expect(paths).toContain('/api/models/tiny-gpt2');
    const texts: string[] = [];
    for (const path of paths) {
      const res = await fetch(server.base + path);
      expect(res.status, path).toBe(200);
      texts.push(await res.text());
    }
    texts.push(await tokenizerErrorAnswer(server));
    const detail = JSON.parse(texts[paths.indexOf('/api/models/tiny-gpt2')]) as { tokenizer: string };
    expect(detail.tokenizer).toBe('tokenizer.json');
    for (const [i, text] of texts.entries()) {
      for (const directory of [server.dir, REPO_ROOT, tmpdir(), homedir(), process.cwd()]) expect(text, paths[i] ?? 'tokenizer error').not.toContain(directory);
      const strings: string[] = [];
      JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' && strings.push(value), value));
      expect(strings.filter((value) => /(^|[\s'"(])(\/|[A-Za-z]:\\)[^\s/\\]+[/\\]/.test(value)), paths[i]).toEqual([]);
    }
  });
});

/**
 * The answer to a prompt whose tokenizer fails the way tokenizers do, naming their file by its
 * full path (a pre-tokenizer pattern over its step budget, say).
 */
async function tokenizerErrorAnswer(server: TestServer): Promise<string> {
  const real = server.models.get('tiny-gpt2').model;
  const source = real.tokenizer!.source;
  expect(source.startsWith(server.dir)).toBe(true);
  const failing = new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'toTokens') return () => { throw Object.assign(new Error(`${source}: the pre-tokenizer pattern ran out of its step budget on this text`), { name: 'TokenizerError' }); };
      return Reflect.get(target, key, receiver);
    },
  });
  const { app } = createApp({ models: new ModelRegistry([{ id: 'failing', model: failing }], 'test'), log: (line) => server.logs.push(line) });
  const listening = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  try {
    const port = (listening.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'failing', prompt: 'a b' }) });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'tokenizer.json: the pre-tokenizer pattern ran out of its step budget on this text' });
    return text;
  } finally {
    await new Promise((resolve) => listening.close(resolve));
  }
}
