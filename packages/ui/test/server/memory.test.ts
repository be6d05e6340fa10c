/** No tensor outlives its request: tf.memory().numTensors is unchanged after 200 requests of every kind. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_STORIES, startTestServer, waitForJob } from './helpers.ts';
import type { TestServer } from './helpers.ts';

const PROMPT = 'Once upon a time, there was a little girl named Lily.';

describe.skipIf(!HAS_STORIES)('hooklens serve memory', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const requests: [string, unknown][] = [
    ['/api/tokenize', { model: 'stories260K', prompt: PROMPT }],
    ['/api/run', { model: 'stories260K', prompt: PROMPT }],
    ['/api/run', { model: 'tiny-ids', prompt: [7] }],
    ['/api/lens', { model: 'stories260K', prompt: PROMPT, target: ' she' }],
    ['/api/attention', { model: 'stories260K', prompt: PROMPT, layer: 2, thumbnails: true }],
    ['/api/head-scores', { model: 'tiny-gpt2', seqLen: 8, batch: 2 }],
    ['/api/ablate', { model: 'stories260K', prompt: PROMPT, heads: [{ layer: 1, head: 1 }], mlps: [0], mode: 'mean', answer: ' she', wrong: ' he' }],
    ['/api/attribution', { model: 'stories260K', prompt: PROMPT, answer: ' she' }],
    // Refused requests must not leak either.
    ['/api/ablate', { model: 'stories260K', prompt: PROMPT, heads: [{ layer: 9, head: 0 }] }],
    ['/api/lens', { model: 'tiny-gpt2', prompt: 'word '.repeat(40) }],
  ];

  it('200 requests (and jobs) leave the tensor count where it was', async () => {
    // Warm-up: anything allocated once per model (e.g. rotary tables) happens now.
    for (const [path, body] of requests) await server.post(path, body);
    const before = tf.memory().numTensors;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const [path, body] = requests[i % requests.length];
      const { status } = await server.post(path, body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(statuses.get(200)).toBe(160);
    expect(statuses.get(400)).toBe(20);
    expect(statuses.get(413)).toBe(20);
    const sweep = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT });
    const patching = await server.post('/api/jobs/patching', { model: 'tiny-ids', clean: [1, 2, 3, 4], corrupted: [1, 5, 3, 4], answer: 1, wrong: 2 });
    expect((await waitForJob(server, sweep.body.id)).status).toBe('done');
    expect((await waitForJob(server, patching.body.id)).status).toBe('done');
    expect(tf.memory().numTensors).toBe(before);
  });
});
