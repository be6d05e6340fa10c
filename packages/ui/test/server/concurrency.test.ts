/**
 * Several browsers at once: simultaneous requests (over all endpoints and models, with a job
 * running) are all answered, each exactly as when sent one at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelQueue } from '../../src/server/index.ts';
import { HAS_STORIES, startTestServer, waitForJob } from './helpers.ts';
import type { TestServer } from './helpers.ts';

const PROMPT = 'Once upon a time, there was a little girl named Lily.';

describe('the model queue', () => {
  it('runs tasks one at a time in arrival order, and a failure does not stop the rest', async () => {
    const queue = new ModelQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, fail = false) => queue.run(async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    });
    const results = await Promise.allSettled([task('a'), task('b', true), task('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(queue.pending).toBe(0);
  });
});

describe.skipIf(!HAS_STORIES)('hooklens serve under concurrent requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const requests: [string, unknown][] = [
    ['/api/run', { model: 'stories260K', prompt: PROMPT, topK: 5 }],
    ['/api/run', { model: 'tiny-gpt2', prompt: 'The quick brown fox' }],
    ['/api/lens', { model: 'stories260K', prompt: PROMPT, target: ' she' }],
    ['/api/attention', { model: 'stories260K', prompt: PROMPT, layer: 1, thumbnails: true, thumbnailSize: 6 }],
    ['/api/ablate', { model: 'stories260K', prompt: PROMPT, heads: [{ layer: 1, head: 2 }], answer: ' she', wrong: ' he' }],
    ['/api/ablate', { model: 'stories260K', prompt: PROMPT, heads: [{ layer: 0, head: 0 }], mode: 'mean' }],
    ['/api/attribution', { model: 'stories260K', prompt: PROMPT, answer: ' she', wrong: ' he' }],
    ['/api/head-scores', { model: 'stories260K', seqLen: 12, batch: 2, seed: 3 }],
    ['/api/run', { model: 'tiny-ids', prompt: [1, 2, 3, 4] }],
    ['/api/attention', { model: 'tiny-gpt2', prompt: 'hello there', layer: 0 }],
  ];

  it('answers simultaneous requests exactly as sequential ones, with a sweep running alongside', async () => {
    const sequential: { status: number; body: any }[] = [];
    for (const [path, body] of requests) sequential.push(await server.post(path, body));
    sequential.forEach((res) => expect(res.status).toBe(200));

    const job = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT });
    // Three copies of every request, all in flight at once, interleaved.
    const concurrent = await Promise.all([0, 1, 2].flatMap(() => requests.map(([path, body]) => server.post(path, body))));
    concurrent.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body).toEqual(sequential[i % requests.length].body);
    });
    const done = await waitForJob(server, job.body.id);
    expect(done.status).toBe('done');
    // The sweep's answer is the same as when it runs alone.
    const alone = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT });
    expect((await waitForJob(server, alone.body.id)).result).toEqual(done.result);
  });
});
