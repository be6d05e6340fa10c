/**
 * Memory honesty on the onnx engine: after a warm-up, 1,000 mixed requests of every route kind
 * (mostly valid ones that run the models, some in shapes that make new ONNX plans, so the
 * per-model plan caches keep evicting sessions; some refused) leave the server's RSS within
 * 10% of where it was at every checkpoint, its tfjs tensors exactly where they were, and no more
 * ONNX Runtime sessions alive than the plan caches hold.
 */
import { seededRandom } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrtSession, ortAvailability } from '../../../core/src/engine/ort.ts';
import { startTestServer, waitForJob } from './helpers.ts';
import type { TestServer } from './helpers.ts';
import { LOAD_TEST_LIMITS, modelShapes, send, settle } from './settle.ts';
import type { ModelShape, Request } from './settle.ts';

const REQUESTS = 1000;
const WARM_UP = 300;
const CONCURRENCY = 4;
/** The most sessions one model's plan cache keeps (onnxTransformer.ts). */
const PLANS_PER_MODEL = 32;
/** The most graph segments a plan of this mix has: the tools edit at most a few points per run. */
const SEGMENTS_PER_PLAN = 4;
/**
 * Most prompts are this long, so that after the warm-up most requests find their plans cached
 * (a new plan costs tens of milliseconds of tracing and session building, even for a tiny model);
 * a few are of a fresh random length, so plans keep being built and older sessions evicted.
 */
const PROMPT_LENGTH = 6;
const FRESH_SHAPES = 0.05;
const WORDS = [' Once', ' upon', ' a', ' time', ' Lily', ' saw', ' the', ' big', ' dog', '.'];

/** Requests that mostly do real work, of every route kind, with seeded prompt lengths and options. */
class MixedRequests {
  constructor(private readonly random: () => number, private readonly models: readonly ModelShape[]) {}

  private int(max: number): number {
    return Math.floor(this.random() * max);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private ids(model: ModelShape, length: number): number[] {
    return Array.from({ length }, () => this.int(model.dVocab));
  }

  next(): Request {
    const model = this.pick(this.models);
    const length = this.random() < FRESH_SHAPES ? 2 + this.int(model.nCtx - 2) : PROMPT_LENGTH;
    const base = { model: model.id, prompt: this.ids(model, length) };
    const token = () => this.int(model.dVocab);
    const post = (path: string, body: unknown): Request => ({ method: 'POST', path, body });
    const kinds: (() => Request)[] = [
      () => post('/api/tokenize', model.hasTokenizer ? { ...base, prompt: Array.from({ length: 4 }, () => this.pick(WORDS)).join('') } : base),
      () => post('/api/run', { ...base, topK: 1 + this.int(20) }),
      () => post('/api/lens', { ...base, topK: 5, target: token() }),
      () => post('/api/attention', { ...base, layer: this.int(model.nLayers), thumbnails: this.random() < 0.5 }),
      () => post('/api/head-scores', { model: model.id, seqLen: 4, batch: 2, seed: this.int(1000) }),
      () => post('/api/ablate', { ...base, heads: [{ layer: this.int(model.nLayers), head: this.int(model.nHeads) }], mlps: [this.int(model.nLayers)], mode: this.pick(['zero', 'mean', 'resample']), answer: token(), wrong: token() }),
      () => post('/api/attribution', { ...base, answer: token(), wrong: token() }),
      () => ({ method: 'GET', path: this.pick(['/api/models', `/api/models/${model.id}`, '/api/jobs', '/api/health']) }),
      // Refused: a prompt past n_ctx (413), a layer the model lacks (400).
      () => post('/api/run', { model: model.id, prompt: this.ids(model, model.nCtx + 1) }),
      () => post('/api/attention', { ...base, layer: model.nLayers }),
    ];
    // Jobs run many forwards each: a third as often as the other kinds.
    const jobs: (() => Request)[] = [
      // (resample needs other prompts than the one a sweep gets)
      () => post('/api/jobs/ablation-sweep', { ...base, mode: this.pick(['zero', 'mean']) }),
      () => {
        const corrupted = base.prompt.map((id, i) => (i === 0 ? (id + 1) % model.dVocab : id));
        return post('/api/jobs/patching', { model: model.id, clean: base.prompt, corrupted, answer: token(), wrong: token(), kinds: [this.pick(['resid_pre', 'z', 'pattern'] as const)] });
      },
    ];
    return (this.random() < 2 / (3 * kinds.length + 2) ? this.pick(jobs) : this.pick(kinds))();
  }
}

describe.skipIf(!ortAvailability().available)('hooklens serve on the onnx engine: memory over 1,000 mixed requests', () => {
  let server: TestServer;
  const engineBefore = process.env.HOOKLENS_ENGINE;
  beforeAll(async () => {
    process.env.HOOKLENS_ENGINE = 'onnx';
    server = await startTestServer({ limits: LOAD_TEST_LIMITS });
  });
  afterAll(async () => {
    await server?.stop();
    if (engineBefore === undefined) delete process.env.HOOKLENS_ENGINE;
    else process.env.HOOKLENS_ENGINE = engineBefore;
  });

  /** Sends `count` requests, a few at a time; a job counts as answered once it has finished. */
  async function sendMixed(requests: MixedRequests, count: number): Promise<Map<number, number>> {
    const statuses = new Map<number, number>();
    for (let sent = 0; sent < count; sent += CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count - sent) }, async () => {
        const request = requests.next();
        const { status, text } = await send(server, request);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) {
          const job = await waitForJob(server, (JSON.parse(text) as { id: string }).id);
          statuses.set(job.status, (statuses.get(job.status) ?? 0) + 1);
        }
      }));
    }
    return statuses;
  }

  it(`${REQUESTS} mixed requests after a warm-up: RSS flat within 10%, tensors back to their count, sessions bounded by the plan caches`, async () => {
    // The tiny random models: a plan costs several times more on stories260K, and what is measured is the engine's, not a model's.
    const served = server.models.list().filter(({ id }) => id.startsWith('tiny-'));
    expect(served.map(({ model }) => model.engine.name)).toEqual(served.map(() => 'onnx'));
    const models = modelShapes(served);
    // A plan holds one session per graph segment (one more than its edited points).
    const sessionBound = PLANS_PER_MODEL * models.length * SEGMENTS_PER_PLAN;

    const cold = await settle(server);
    await sendMixed(new MixedRequests(seededRandom(1), models), WARM_UP);
    const start = await settle(server);

    const started = performance.now();
    const requests = new MixedRequests(seededRandom(2), models);
    const statuses = new Map<number | string, number>();
    const checkpoints: { rssBytes: number; numTensors: number; sessions: number }[] = [];
    for (let checkpoint = 0; checkpoint < 4; checkpoint++) {
      for (const [status, n] of await sendMixed(requests, REQUESTS / 4)) statuses.set(status, (statuses.get(status) ?? 0) + n);
      const now = await settle(server);
      checkpoints.push({ rssBytes: now.rssBytes, numTensors: now.numTensors, sessions: OrtSession.live });
    }
    const seconds = (performance.now() - started) / 1000;
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    console.log(`onnx memory: ${REQUESTS} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `RSS ${mib(cold.rssBytes)} (cold) → ${mib(start.rssBytes)} (after ${WARM_UP} warm-up) → ${checkpoints.map(({ rssBytes }) => mib(rssBytes)).join(' → ')} MiB; ` +
      `tensors ${start.numTensors} → ${checkpoints.map(({ numTensors }) => numTensors).join(' → ')}; sessions ${checkpoints.map(({ sessions }) => sessions).join(' → ')}`);

    // Mostly work done, some refused, nothing failed.
    expect(statuses.get(200)! + statuses.get('done')!).toBeGreaterThan(REQUESTS * 0.6);
    expect((statuses.get(400) ?? 0) + (statuses.get(413) ?? 0)).toBeGreaterThan(REQUESTS * 0.05);
    expect([...statuses.keys()].filter((status) => typeof status === 'number' ? status >= 500 : status === 'error')).toEqual([]);
    expect(server.logs.filter((line) => line.includes('internal error'))).toEqual([]);
    for (const { rssBytes, numTensors, sessions } of checkpoints) {
      // Growth is what a leak would show; RSS may also fall (the allocator trims freed memory when it likes).
      expect(rssBytes).toBeLessThanOrEqual(start.rssBytes * 1.1);
      expect(numTensors).toBe(start.numTensors);
      expect(sessions).toBeLessThanOrEqual(sessionBound);
    }
  }, 400_000); // ~80 s of CPU; minutes of wall time on a loaded machine
});
