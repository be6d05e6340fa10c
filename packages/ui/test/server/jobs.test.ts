/** Jobs over HTTP: progress as server-sent events, polling, cancellation, and what is kept. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore, MAX_ACTIVE, MAX_FINISHED } from '../../src/server/jobs.ts';
import { ModelQueue } from '../../src/server/index.ts';
import { JobInfo } from '../../src/api/index.ts';
import { HAS_STORIES, readEvents, startTestServer, waitForJob } from './helpers.ts';
import type { TestServer } from './helpers.ts';

const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.';

describe.skipIf(!HAS_STORIES)('hooklens serve jobs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('streams progress events and then the end with the result (server-sent events)', async () => {
    // A job queued behind another, so the stream is open before it starts.
    const clean = server.models.get('stories260K').model.toTokens(PROMPT);
    const corrupted = clean.map((id, i) => (i === 3 ? (id + 1) % 512 : id));
    const { body: ahead } = await server.post('/api/jobs/patching', { model: 'stories260K', clean, corrupted, answer: ' she', wrong: ' he', kinds: ['resid_pre'] });
    const { body: job } = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT, answer: ' she', wrong: ' he' });
    expect(job.status).toBe('queued');
    const events = await readEvents(`${server.base}/api/jobs/${job.id}/events`);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data);
    // An event per batch (the sweep batches a layer's heads together: 5 layers); the stream may
    // open after the first batch, since requests are served between batches.
    expect(progress.filter((p) => p.done > 0).length).toBeGreaterThanOrEqual(4);
    const final = progress.at(-1);
    expect(final.total).toBe(40);
    expect(final.done).toBe(40);
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
    const end = events.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.data.status).toBe('done');
    expect(end.data.result.lossDelta).toHaveLength(5);
    // A finished job's stream answers at once: current progress, then the end.
    const again = await readEvents(`${server.base}/api/jobs/${job.id}/events`);
    expect(again.map((e) => e.event)).toEqual(['progress', 'end']);
    expect((await server.get(`/api/jobs/${job.id}`)).body.result).toEqual(end.data.result);
    const patched = await waitForJob(server, ahead.id);
    expect(patched.status).toBe('done');
    // The shared schema keeps a patching result whole (a union that tried the all-optional
    // sweep result first would strip it to {}).
    expect(JobInfo.parse(patched).result).toEqual(patched.result);
    expect(JobInfo.parse(patched).result).toHaveProperty('grids');
  });

  it('cancels a running job: DELETE answers once it has stopped, partway, leaking no tensors', async () => {
    const before = tf.memory().numTensors;
    const clean = server.models.get('stories260K').model.toTokens(PROMPT);
    const corrupted = clean.map((id, i) => (i === 3 ? (id + 1) % 512 : id));
    const { body: job } = await server.post('/api/jobs/patching', { model: 'stories260K', clean, corrupted, answer: ' she', wrong: ' he', kinds: ['z_by_pos', 'resid_pre'] });
    let cancel: Promise<{ status: number; body: any }> | undefined;
    const events = await readEvents(`${server.base}/api/jobs/${job.id}/events`, (event) => {
      if (event.event === 'progress' && event.data.done > 0 && !cancel) cancel = server.del(`/api/jobs/${job.id}`);
    });
    const cancelled = await cancel!;
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.result).toBeUndefined();
    expect(cancelled.body.progress.done).toBeLessThan(cancelled.body.progress.total);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'cancelled' } });
    expect(tf.memory().numTensors).toBe(before);
    // The server carries on.
    expect((await server.post('/api/run', { model: 'stories260K', prompt: 'Once' })).status).toBe(200);
  });

  it('cancels a queued job at once, without it ever running', async () => {
    const { body: first } = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT });
    const { body: second } = await server.post('/api/jobs/ablation-sweep', { model: 'stories260K', prompt: PROMPT });
    expect(second.status).toBe('queued');
    const cancelled = await server.del(`/api/jobs/${second.id}`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', progress: { done: 0 } });
    expect((await waitForJob(server, first.id)).status).toBe('done');
    expect((await server.get(`/api/jobs/${second.id}`)).body.status).toBe('cancelled');
  });
});

describe('the job store', () => {
  it('keeps unfetched results; beyond the bound it drops fetched jobs first', async () => {
    const store = new JobStore(new ModelQueue(), () => {});
    const ids: string[] = [];
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < MAX_FINISHED; i++) {
      ids.push(store.start('patching', 'm', async () => ({ metricClean: i, metricCorrupted: 0, grids: [] })).id);
      if (i % 8 === 7) await settle();
    }
    await settle();
    // Fetch the first half.
    for (const id of ids.slice(0, MAX_FINISHED / 2)) expect(store.get(id).status).toBe('done');
    for (let i = 0; i < MAX_FINISHED / 2; i++) {
      store.start('patching', 'm', async () => ({ metricClean: -1, metricCorrupted: 0, grids: [] }));
      if (i % 8 === 7) await settle();
    }
    await settle();
    // Every unfetched result is still there; the fetched ones made room.
    for (const id of ids.slice(MAX_FINISHED / 2)) expect(store.get(id).result).toBeDefined();
    for (const id of ids.slice(0, MAX_FINISHED / 2)) expect(() => store.get(id)).toThrow(/unknown job/);
    expect(store.list()).toHaveLength(MAX_FINISHED);
  });
});

describe('the job store', () => {
  it('refuses more than MAX_ACTIVE waiting jobs with 429', () => {
    const store = new JobStore(new ModelQueue(), () => {});
    const never = () => new Promise<never>(() => {});
    for (let i = 0; i < MAX_ACTIVE; i++) store.start('patching', 'm', never);
    expect(() => store.start('patching', 'm', never)).toThrow(expect.objectContaining({ status: 429 }));
  });

  it('a failing job reports its error: bad input as is, internal errors by id (logged)', async () => {
    const logs: string[] = [];
    const store = new JobStore(new ModelQueue(), (line) => logs.push(line));
    const input = store.start('patching', 'm', async () => {
      throw Object.assign(new Error('answer id 9999 is out of range'), { name: 'ToolInputError' });
    });
    const internal = store.start('patching', 'm', async () => {
      throw new RangeError('boom');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.get(input.id)).toMatchObject({ status: 'error', error: 'answer id 9999 is out of range' });
    const failed = store.get(internal.id);
    expect(failed.status).toBe('error');
    expect(failed.errorId).toMatch(/^[0-9a-f]{12}$/);
    expect(logs.join('\n')).toContain(failed.errorId);
    expect(logs.join('\n')).toContain('RangeError: boom');
  });
});
