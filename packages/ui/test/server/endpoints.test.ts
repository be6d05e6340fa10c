/**
 * Every endpoint against a real server over HTTP, each answer checked against the schema
 * in src/api and, where it is cheap, against the model or tool called directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directLogitAttribution, logitLens, PATCH_KINDS as TOOL_PATCH_KINDS, resolveToken } from '@hooklens/hooks';
import { ROUTES, PATCH_KINDS } from '../../src/api/index.ts';
import { HAS_STORIES, startTestServer, waitForJob } from './helpers.ts';
import type { TestServer } from './helpers.ts';

const PROMPT = 'Once upon a time, there was a little girl named Lily.';

describe.skipIf(!HAS_STORIES)('hooklens serve API endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());
  const stories = () => server.models.get('stories260K').model;

  it('GET /api/models lists every model with its config summary, backend and parameter count', async () => {
    const { status, body } = await server.get('/api/models');
    expect(status).toBe(200);
    ROUTES.models.response.parse(body);
    expect(body.models.map((m: { id: string }) => m.id)).toEqual(['stories260K', 'tiny-gpt2', 'tiny-ids']);
    const s = body.models[0];
    expect(s.config).toMatchObject({ family: 'llama2c', nLayers: 5, nHeads: 8, dVocab: 512, nCtx: 512 });
    expect(s.params).toBe(stories().numParams());
    expect(s.backend).toBe(body.backend);
    expect(s.hasTokenizer).toBe(true);
    expect(body.models[2].hasTokenizer).toBe(false);
  });

  it('GET /api/models/:id gives the full config and every hook name; unknown id → 404', async () => {
    const { status, body } = await server.get('/api/models/tiny-gpt2');
    expect(status).toBe(200);
    ROUTES.model.response.parse(body);
    expect(body.hookNames).toEqual(server.models.get('tiny-gpt2').model.hookNames());
    expect(body.fullConfig.nCtx).toBe(32);
    const missing = await server.get('/api/models/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("unknown model 'nope'");
  });

  it('POST /api/tokenize: ids and labels, with the context length', async () => {
    const { status, body } = await server.post('/api/tokenize', { model: 'stories260K', prompt: 'Once upon a time' });
    expect(status).toBe(200);
    ROUTES.tokenize.response.parse(body);
    expect(body.ids).toEqual(stories().toTokens('Once upon a time'));
    expect(body.tokens).toEqual(['<s>', 'Once', ' upon', ' a', ' time']);
    expect(body.nCtx).toBe(512);
    const noBos = await server.post('/api/tokenize', { model: 'stories260K', prompt: 'Once', prependBos: false });
    expect(noBos.body.ids).toEqual(stories().toTokens('Once', { prependBos: false }));
    const ids = await server.post('/api/tokenize', { model: 'tiny-ids', prompt: [3, 5, 7] });
    expect(ids.body).toEqual({ ids: [3, 5, 7], tokens: ['#3', '#5', '#7'], unknown: [], nCtx: 32 });
  });

  it('POST /api/run: next-token top-k and loss match the model run directly', async () => {
    const { status, body } = await server.post('/api/run', { model: 'stories260K', prompt: PROMPT, topK: 5 });
    expect(status).toBe(200);
    ROUTES.run.response.parse(body);
    const ids = stories().toTokens(PROMPT);
    const { logits, loss } = stories().forward([ids], { returnType: 'both' });
    const last = tf.tidy(() => tf.softmax(logits.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1])));
    const probs = Array.from(last.dataSync());
    const expectedLoss = loss.dataSync()[0];
    tf.dispose([logits, loss, last]);
    const order = probs.map((p, id) => [p, id]).sort((a, b) => b[0] - a[0]).slice(0, 5);
    expect(body.top.map((t: { id: number }) => t.id)).toEqual(order.map(([, id]) => id));
    body.top.forEach((t: { prob: number }, k: number) => expect(t.prob).toBeCloseTo(order[k][0], 5));
    // Each prediction labelled as it would read appended to the prompt (llama2.c keeps its leading space there).
    for (const t of body.top as { id: number; token: string }[]) expect(t.token).toBe(stories().toStrTokens([...ids, t.id]).at(-1));
    expect(body.loss).toBeCloseTo(expectedLoss, 4);
    expect(body.perTokenLoss).toHaveLength(ids.length - 1);
    expect(body.position).toBe(ids.length - 1);
    // One token: no loss, still a prediction.
    const one = await server.post('/api/run', { model: 'tiny-ids', prompt: [4] });
    expect(one.status).toBe(200);
    expect(one.body.loss).toBeNull();
    expect(one.body.top).toHaveLength(10);
  });

  it('POST /api/lens: the logit lens, with a target token', async () => {
    const { status, body } = await server.post('/api/lens', { model: 'stories260K', prompt: 'Once upon a time', topK: 3, target: ' there' });
    expect(status).toBe(200);
    ROUTES.lens.response.parse(body);
    const target = resolveToken(stories(), ' there');
    const direct = logitLens(stories(), stories().toTokens('Once upon a time'), { topK: 3, target });
    expect(body).toEqual(JSON.parse(JSON.stringify({ ...direct, unknown: [], targetToken: { id: target, token: ' there' } })));
    expect(body.layers).toHaveLength(6);
  });

  it('POST /api/attention: one layer [head][query][key] with token labels, and thumbnails of every head', async () => {
    const prompt = 'Once upon a time';
    const { status, body } = await server.post('/api/attention', { model: 'stories260K', prompt, layer: 2, heads: [1, 3], thumbnails: true, thumbnailSize: 2 });
    expect(status).toBe(200);
    ROUTES.attention.response.parse(body);
    expect(body.tokens).toEqual(['<s>', 'Once', ' upon', ' a', ' time']);
    const ids = stories().toTokens(prompt);
    const { logits, cache } = stories().runWithCache([ids], { names: ['blocks.2.attn.hook_pattern'] });
    const pattern = (await cache.get('blocks.2.attn.hook_pattern').array()) as number[][][][];
    logits.dispose();
    cache.dispose();
    expect(body.heads).toEqual([1, 3]);
    expect(body.patterns).toHaveLength(2);
    body.patterns.forEach((rows: number[][], i: number) =>
      rows.forEach((row, q) => row.forEach((p, k) => expect(p).toBeCloseTo(pattern[0][[1, 3][i]][q][k], 5))),
    );
    // Thumbnails: 5 positions pooled into 2 blocks (0–1, 2–4): cell (a, b) is that block's mean.
    expect(body.thumbnails.size).toBe(2);
    expect(body.thumbnails.data).toHaveLength(5);
    expect(body.thumbnails.data[0]).toHaveLength(8);
    const head = pattern[0][1];
    const block = (rows: number[], cols: number[]) => rows.flatMap((r) => cols.map((c) => head[r][c])).reduce((a, b) => a + b, 0) / (rows.length * cols.length);
    expect(body.thumbnails.data[2][1][1][0]).toBeCloseTo(block([2, 3, 4], [0, 1]), 5);
    expect(body.thumbnails.data[2][1][0][1]).toBeCloseTo(block([0, 1], [2, 3, 4]), 5);
    // Thumbnails only.
    const only = await server.post('/api/attention', { model: 'stories260K', prompt, thumbnails: true });
    expect(only.status).toBe(200);
    expect(only.body.patterns).toBeUndefined();
    expect(only.body.thumbnails.size).toBe(5);
  });

  it('POST /api/head-scores: [layer][head] grids', async () => {
    const { status, body } = await server.post('/api/head-scores', { model: 'stories260K', seqLen: 10, batch: 2, seed: 1 });
    expect(status).toBe(200);
    ROUTES.headScores.response.parse(body);
    expect(body.induction).toHaveLength(5);
    expect(body.induction[0]).toHaveLength(8);
    expect(body.seqLen).toBe(10);
  });

  it('POST /api/ablate: predictions, loss and metric deltas vs clean', async () => {
    const { status, body } = await server.post('/api/ablate', { model: 'stories260K', prompt: PROMPT, heads: [{ layer: 0, head: 1 }, { layer: 3, head: 2 }], mlps: [1], answer: ' she', wrong: ' he' });
    expect(status).toBe(200);
    ROUTES.ablate.response.parse(body);
    expect(body.lossDelta).toBeCloseTo(body.lossAblated - body.lossClean, 6);
    expect(body.metricDelta).toBeCloseTo(body.metricAblated - body.metricClean, 6);
    expect(body.predictions[0].clean).toHaveLength(5);
    expect(body.predictions[0].ablated[0].text).toBeTypeOf('string');
  });

  it('POST /api/attribution: direct logit attribution per head and layer, as the tool computes it', async () => {
    const { status, body } = await server.post('/api/attribution', { model: 'stories260K', prompt: PROMPT, answer: ' she', wrong: '#300' });
    expect(status).toBe(200);
    ROUTES.attribution.response.parse(body);
    const answer = resolveToken(stories(), ' she');
    const direct = directLogitAttribution(stories(), stories().toTokens(PROMPT), { answer, wrong: 300 });
    expect(body.heads).toEqual(JSON.parse(JSON.stringify(direct.heads)));
    expect(body.total).toBeCloseTo(direct.total, 5);
    expect(body.answerToken).toEqual({ id: answer, token: ' she' });
    expect(body.wrongToken.id).toBe(300);
  });

  it('POST /api/jobs/ablation-sweep: a job whose result is the [layer][head] grids', async () => {
    const { status, body } = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT, answer: ' she', wrong: ' he', mode: 'mean' });
    expect(status).toBe(202);
    ROUTES.ablationSweep.response.parse(body);
    expect(['queued', 'running']).toContain(body.status);
    const done = await waitForJob(server, body.id);
    expect(done.status).toBe('done');
    ROUTES.job.response.parse(done);
    expect(done.progress.done).toBe(done.progress.total);
    expect(done.result.lossDelta).toHaveLength(5);
    expect(done.result.metricDelta[0]).toHaveLength(8);
    // The sweep's cell for head (0, 1) agrees with /api/ablate on that one head.
    const one = await server.post('/api/ablate', { model: 'stories260K', prompt: PROMPT, heads: [{ layer: 0, head: 1 }], mode: 'mean', answer: ' she', wrong: ' he' });
    expect(done.result.lossDelta[0][1]).toBeCloseTo(one.body.lossDelta, 4);
    expect(done.result.metricDelta[0][1]).toBeCloseTo(one.body.metricDelta, 3);
  });

  it('POST /api/jobs/patching: one grid per kind, normalised (clean = 1, corrupted = 0)', async () => {
    // Corrupt one token of the prompt (given as ids, so both have the same length).
    const clean = stories().toTokens(PROMPT);
    const differing = 3;
    const corrupted = clean.map((id, i) => (i === differing ? (clean[differing] + 1) % 512 : id));
    const { status, body } = await server.post('/api/jobs/patching', {
      model: 'stories260K',
      clean,
      corrupted,
      answer: ' she',
      wrong: ' he',
      kinds: ['z', 'resid_pre', 'mlp_out'],
    });
    expect(status).toBe(202);
    ROUTES.patching.response.parse(body);
    const done = await waitForJob(server, body.id);
    expect(done.status).toBe('done');
    const result = done.result;
    expect(result.grids.map((g: { kind: string }) => g.kind)).toEqual(['z', 'resid_pre', 'mlp_out']);
    expect(result.grids[0].values).toHaveLength(5);
    expect(result.grids[0].values[0]).toHaveLength(8);
    expect(result.grids[1].values[0]).toHaveLength(clean.length);
    // Patching layer 0's resid_pre at the one corrupted position restores the clean run exactly,
    // and at any other position changes nothing.
    expect(result.grids[1].values[0][differing]).toBeCloseTo(1, 4);
    expect(result.grids[1].values[0][differing + 1]).toBeCloseTo(0, 4);
    expect(result.metricClean).not.toBeCloseTo(result.metricCorrupted, 3);
    expect(done.progress.done).toBe(done.progress.total);
  });

  it('the api mirrors the tool: the same patch kinds', () => {
    expect([...PATCH_KINDS]).toEqual([...TOOL_PATCH_KINDS]);
  });

  it('GET /api/jobs lists jobs; unknown job → 404', async () => {
    const { status, body } = await server.get('/api/jobs');
    expect(status).toBe(200);
    ROUTES.jobs.response.parse(body);
    expect(body.jobs.length).toBeGreaterThanOrEqual(2);
    expect((await server.get('/api/jobs/nope')).status).toBe(404);
    expect((await server.del('/api/jobs/nope')).status).toBe(404);
  });

  it('serves a page at / (the dashboard, or how to build it) and 404 JSON for unknown API routes', async () => {
    const page = await fetch(`${server.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const unknown = await server.get('/api/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toContain('/api/nothing');
  });
});
