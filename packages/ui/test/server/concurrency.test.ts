/**
 * Several browsers at once: simultaneous requests (over all endpoints and models, with a job
 * running) are all answered, each exactly as when sent one at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelQueue } from '../../src/server/index.ts';
import { HAS_STORIES, readEvents, startTestServer, waitForJob } from './helpers.ts';
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

  it('a task that gives way lets the waiting tasks run between its batches, never two at once', async () => {
    const queue = new ModelQueue();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    /** Model code that awaits in the middle, as a request that reads tensor data does. */
    const modelCode = async (name: string) => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await sleep(5);
      log.push(`end ${name}`);
      running--;
    };
    const short = (name: string) => queue.run(() => modelCode(name));
    const arrivals: Promise<void>[] = [];
    const long = queue.run(async (turn) => {
      for (let batch = 0; batch < 3; batch++) {
        if (batch > 0) await turn.giveWay();
        // Requests arrive while a batch runs; the first batch's two are served before the second batch.
        if (batch === 0) arrivals.push(short('a'), short('b'));
        await modelCode(`batch ${batch}`);
      }
      return 'swept';
    });
    // Queued behind the long task from the start: served at its first giving way, with a and b.
    arrivals.push(short('c'));
    expect(await long).toBe('swept');
    await Promise.all(arrivals);
    expect(most).toBe(1);
    expect(log).toEqual([
      'start batch 0', 'end batch 0',
      'start c', 'end c', 'start a', 'end a', 'start b', 'end b',
      'start batch 1', 'end batch 1',
      'start batch 2', 'end batch 2',
    ]);
    expect(queue.pending).toBe(0);
  });

  it('a request arriving while others run between batches waits for the next batch; giving way to nobody goes straight on', async () => {
    const queue = new ModelQueue();
    const log: string[] = [];
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let late: Promise<void> | undefined;
    const long = queue.run(async (turn) => {
      await turn.giveWay(); // nobody waits: goes straight on
      log.push('batch 0');
      const early = queue.run(async () => {
        log.push('early');
        // 'late' arrives now, while the long task waits for its turn back: it goes behind it.
        late = queue.run(() => void log.push('late'));
        await sleep(5);
      });
      await turn.giveWay();
      await early;
      log.push('batch 1');
      await turn.giveWay();
      log.push('batch 2');
    });
    await long;
    await late;
    expect(log).toEqual(['batch 0', 'early', 'batch 1', 'late', 'batch 2']);
  });

  it('close() refuses the waiting tasks and new ones (503), and resolves when the running one has finished', async () => {
    const queue = new ModelQueue();
    const log: string[] = [];
    let release!: () => void;
    const running = queue.run(async () => {
      log.push('running');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('finished');
      return 'done';
    });
    const waiting = queue.run(() => void log.push('waiting ran'));
    const sweep = queue.run(async (turn) => {
      log.push('sweep batch 0');
      await turn.giveWay();
      log.push('sweep batch 1');
    });
    await new Promise((resolve) => setImmediate(resolve));
    let closed = false;
    const closing = queue.close().then(() => (closed = true));
    await expect(waiting).rejects.toMatchObject({ status: 503, message: 'the server is stopping' });
    await expect(sweep).rejects.toMatchObject({ status: 503 });
    await expect(queue.run(() => 'late')).rejects.toMatchObject({ status: 503 });
    expect(closed).toBe(false);
    release();
    expect(await running).toBe('done');
    await closing;
    await queue.close(); // again: already closed and idle
    expect(log).toEqual(['running', 'finished']);
    expect(queue.pending).toBe(0);
  });

  it('close() while a sweep gives way: the task holding the turn finishes, the sweep is refused its turn back', async () => {
    const queue = new ModelQueue();
    const log: string[] = [];
    let release!: () => void;
    let short: Promise<void> | undefined;
    const sweep = queue.run(async (turn) => {
      log.push('batch 0');
      short = queue.run(async () => {
        log.push('short');
        await new Promise<void>((resolve) => (release = resolve));
      });
      await turn.giveWay();
      log.push('batch 1');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const closing = queue.close();
    await expect(sweep).rejects.toMatchObject({ status: 503 });
    release();
    await short;
    await closing;
    expect(log).toEqual(['batch 0', 'short']);
  });

  it('a failing task that gave way still hands the turn on; giveWay outside its turn is an error', async () => {
    const queue = new ModelQueue();
    let kept: (() => Promise<void>) | undefined;
    const failing = queue.run(async (turn) => {
      kept = () => turn.giveWay();
      await turn.giveWay();
      throw new Error('boom');
    });
    const after = queue.run(() => 'served');
    await expect(failing).rejects.toThrow('boom');
    expect(await after).toBe('served');
    await expect(kept!()).rejects.toThrow(/finished/);
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

  /** Starts the job, sends /api/run once its first batch is done, and checks the run is answered, correctly, before the job ends. */
  async function runDuringJob(kind: 'patching' | 'ablation-sweep', jobBody: object): Promise<void> {
    const runBody = { model: 'stories260K', prompt: PROMPT, topK: 5 };
    const runAlone = await server.post('/api/run', runBody);
    expect(runAlone.status).toBe(200);

    const started = Date.now();
    const { body: job } = await server.post(`/api/jobs/${kind}`, jobBody);
    let latest = { done: 0, total: 0 };
    let ended: number | undefined;
    let answer: Promise<{ status: number; body: any; at: number; sent: number; progress: typeof latest; jobEnded: boolean }> | undefined;
    await readEvents(`${server.base}/api/jobs/${job.id}/events`, (event) => {
      if (event.event === 'end') ended = Date.now();
      if (event.event !== 'progress') return;
      latest = event.data;
      // The job is underway (its first batches are done): send the short request now.
      if (latest.done > 0 && !answer) {
        const sent = Date.now();
        answer = server.post('/api/run', runBody).then((res) => ({ ...res, at: Date.now(), sent, progress: latest, jobEnded: ended !== undefined }));
      }
    });
    const run = await answer!;
    expect(run.status).toBe(200);
    expect(run.body).toEqual(runAlone.body);
    expect(run.jobEnded).toBe(false);
    expect(run.progress.done).toBeLessThan(run.progress.total);
    expect(run.at).toBeLessThan(ended!);
    console.log(`${kind}: run answered after ${run.at - run.sent} ms at ${run.progress.done}/${run.progress.total}; job took ${ended! - started} ms`);

    const during = await waitForJob(server, job.id);
    expect(during.status).toBe('done');
    const alone = await server.post(`/api/jobs/${kind}`, jobBody);
    expect((await waitForJob(server, alone.body.id)).result).toEqual(during.result);
  }

  it('answers a request sent while a patching job runs before the job finishes, both results as when alone', async () => {
    const model = server.models.get('stories260K').model;
    const clean = model.toTokens(PROMPT);
    const corrupted = clean.map((id, i) => (i === 3 ? (id + 1) % 512 : id));
    await runDuringJob('patching', { model: 'stories260K', clean, corrupted, answer: ' she', wrong: ' he', kinds: ['z', 'resid_pre', 'attn_out', 'mlp_out'] });
  });

  it('answers a request sent while an ablation sweep runs before the sweep finishes (it gives way between batches)', async () => {
    await runDuringJob('ablation-sweep', { model: 'stories260K', prompt: PROMPT, answer: ' she', wrong: ' he' });
  });
});
