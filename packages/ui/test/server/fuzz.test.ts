/**
 * A bounded fuzz of every route: a few hundred random requests, valid in shape but extreme in
 * size (lists at and past their bounds, prompts past n_ctx, repeats, huge numbers, odd ids),
 * sent a few at a time on loopback with a seeded generator. Every answer must be 2xx or 4xx,
 * nothing may be logged as an internal error, and afterwards the server must be healthy with
 * its tensors and memory back where they were.
 */
import { seededRandom } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HEAD_REFS, MAX_INDEX_LIST, MAX_PROMPT_TOKENS, PATCH_KINDS, ROUTES } from '../../src/api/index.ts';
import type { RouteName } from '../../src/api/index.ts';
import { startTestServer } from './helpers.ts';
import type { TestServer } from './helpers.ts';
import { LOAD_TEST_LIMITS, modelShapes, send, settle } from './settle.ts';
import type { ModelShape, Request } from './settle.ts';

const SEED = 13;
const REQUESTS = 300;
const CONCURRENCY = 6;
/** Each pass stops sending at this point even if requests remain (the measured one must have sent most of them); a pass takes 2–12 s. */
const TIME_BUDGET_MS = 20_000;

class Fuzzer {
  constructor(
    private readonly random: () => number,
    private readonly models: ModelShape[],
    private readonly jobIds: string[],
  ) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /** A size from the edges: empty, one, at and just past a bound, far past it. */
  size(bound: number, far = bound * 4): number {
    return this.pick([0, 1, 2, Math.max(0, bound - 1), bound, bound + 1, far, this.int(bound + 1)]);
  }

  /** Indices below `limit` mostly, some just past it, some far past, some repeated. */
  indices(limit: number, maxLength: number): number[] {
    const length = Math.min(this.size(limit, maxLength + 1), maxLength + 1);
    const repeat = this.chance(0.3);
    return Array.from({ length }, (_, i) => (repeat ? 0 : this.pick([i % Math.max(1, limit), limit, 2 ** 31, i])));
  }

  prompt(model: ModelShape): string | number[] {
    if (model.hasTokenizer && this.chance(0.4)) {
      const words = ['Once', ' upon', ' a', ' time', ' 🙂', '\u0000', ' Lily', '\n', ' ü', '  '];
      return Array.from({ length: this.size(model.nCtx, 4000) || 1 }, () => this.pick(words)).join('');
    }
    const length = this.pick([1, 2, model.nCtx, model.nCtx + 1, this.int(model.nCtx) + 1, MAX_PROMPT_TOKENS + 1, 5000]);
    return Array.from({ length }, () => (this.chance(0.02) ? this.pick([model.dVocab, 2 ** 40]) : this.int(model.dVocab)));
  }

  token(model: ModelShape): number | string {
    return this.pick([this.int(model.dVocab), model.dVocab, `#${this.int(model.dVocab)}`, ' a', 'not one token at all', 2 ** 53]);
  }

  position(model: ModelShape): number {
    return this.pick([-1, 0, 1, -model.nCtx, model.nCtx, -(2 ** 40), 2 ** 40]);
  }

  request(): Request {
    const model = this.pick(this.models);
    const name = this.pick(Object.keys(ROUTES) as RouteName[]);
    const route = ROUTES[name];
    const layers = () => this.indices(model.nLayers, MAX_INDEX_LIST);
    const heads = () => this.indices(model.nHeads, MAX_INDEX_LIST);
    const base = { model: model.id, prompt: this.prompt(model) };
    const maybe = <T>(value: () => T): T | undefined => (this.chance(0.5) ? value() : undefined);
    const bodies: Record<string, () => unknown> = {
      tokenize: () => base,
      run: () => ({ ...base, topK: maybe(() => this.pick([1, 100, 101])), position: maybe(() => this.position(model)) }),
      lens: () => ({ ...base, topK: maybe(() => this.pick([1, 50, 51])), target: maybe(() => this.token(model)), includeFinal: maybe(() => this.chance(0.5)) }),
      attention: () => ({ ...base, layer: maybe(() => this.pick([0, model.nLayers - 1, model.nLayers, 2 ** 31])), heads: this.chance(0.3) ? heads() : undefined, thumbnails: this.chance(0.6), thumbnailSize: maybe(() => this.pick([2, 128, 129])) }),
      headScores: () => ({ model: model.id, seqLen: maybe(() => this.pick([2, Math.floor((model.nCtx - 1) / 2), model.nCtx, 2 ** 31])), batch: maybe(() => this.pick([1, 64, 65])), seed: maybe(() => this.int(2 ** 31)) }),
      ablate: () => ({
        ...base,
        heads: this.chance(0.8) ? Array.from({ length: Math.min(this.size(model.nLayers * model.nHeads, 20_000), MAX_HEAD_REFS + 1) }, (_, i) => ({ layer: i % (model.nLayers + 1), head: this.chance(0.5) ? 0 : i % (model.nHeads + 1) })) : undefined,
        mlps: maybe(layers),
        mode: maybe(() => this.pick(['zero', 'mean', 'resample'])),
        ...(this.chance(0.5) && { answer: this.token(model), wrong: this.token(model) }),
        position: maybe(() => this.position(model)),
      }),
      attribution: () => ({ ...base, answer: this.token(model), wrong: maybe(() => this.token(model)), position: maybe(() => this.position(model)) }),
      ablationSweep: () => ({ ...base, mode: maybe(() => this.pick(['zero', 'mean', 'resample'])), loss: maybe(() => this.chance(0.5)), ...(this.chance(0.5) && { answer: this.token(model), wrong: this.token(model) }) }),
      patching: () => {
        const clean = this.prompt(model);
        return {
          model: model.id,
          clean,
          corrupted: Array.isArray(clean) && this.chance(0.8) ? clean.map((id, i) => (i === 0 ? (id + 1) % model.dVocab : id)) : this.prompt(model),
          answer: this.token(model),
          wrong: this.token(model),
          kinds: maybe(() => Array.from({ length: this.size(PATCH_KINDS.length) }, () => this.pick(PATCH_KINDS))),
          layers: maybe(layers),
          heads: maybe(heads),
          positions: maybe(() => this.indices(model.nCtx, MAX_PROMPT_TOKENS)),
        };
      },
    };
    const id = () => this.pick([model.id, ...this.jobIds, 'no-such-id', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(2000)]);
    const path = route.path.replace(':id', id());
    if (route.request === null) return { method: route.method, path: this.chance(0.1) ? `${path}/events` : path };
    // Undefined fields are dropped by JSON.stringify, as a client would leave them out.
    return { method: 'POST', path, body: bodies[name]() };
  }
}

describe('hooklens serve: a bounded fuzz of every route', () => {
  let server: TestServer;
  beforeAll(async () => {
    // On tfjs: its random prompt lengths would make the onnx engine build a graph per shape (more
    // shapes than its plan cache holds), so the 20 s passes would test graph building, not leaks.
    // The onnx engine's own mixed-request memory test covers the server there.
    const engine = process.env.HOOKLENS_ENGINE;
    process.env.HOOKLENS_ENGINE = 'tfjs';
    try {
      server = await startTestServer({ limits: LOAD_TEST_LIMITS });
    } finally {
      if (engine === undefined) delete process.env.HOOKLENS_ENGINE;
      else process.env.HOOKLENS_ENGINE = engine;
    }
    expect(server.models.get('tiny-ids').model.engine.name).toBe('tfjs');
  });
  afterAll(async () => server?.stop());

  it(`${REQUESTS} random requests of extreme sizes: every answer 2xx or 4xx, then healthy, tensors and RSS back within 10%`, async () => {
    const models = modelShapes(server.models.list());
    const jobIds: string[] = [];
    const run = async (seed: number, count: number, deadline: number) => {
      const fuzzer = new Fuzzer(seededRandom(seed), models, jobIds);
      const answers: { request: Request; status: number; text: string }[] = [];
      while (answers.length < count && performance.now() < deadline) {
        const wave = Array.from({ length: Math.min(CONCURRENCY, count - answers.length) }, () => fuzzer.request());
        const results = await Promise.all(wave.map((request) => send(server, request)));
        results.forEach((result, i) => {
          answers.push({ request: wave[i], ...result });
          if (wave[i].path.startsWith('/api/jobs/') && result.status === 202) jobIds.push((JSON.parse(result.text) as { id: string }).id);
        });
      }
      return answers;
    };

    // Warm-up: the same requests, twice. What each model allocates once, the JS heap and the WASM
    // backend's memory (which grows to its high-water mark and never gives it back; the first pass
    // takes it from ~175 to ~290 MiB of RSS, the second adds a few MiB of allocator slack) reach
    // their working size; the measured pass must then leave them where they were.
    const cold = await settle(server);
    for (let pass = 0; pass < 2; pass++) await run(SEED, REQUESTS, performance.now() + TIME_BUDGET_MS);
    const start = await settle(server);

    const started = performance.now();
    const answers = await run(SEED, REQUESTS, started + TIME_BUDGET_MS);
    const end = await settle(server);
    const seconds = (performance.now() - started) / 1000;

    const byStatus = new Map<number, number>();
    for (const { status } of answers) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    console.log(`fuzz: ${answers.length} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(byStatus))}; ` +
      `tensors ${start.numTensors} → ${end.numTensors}; RSS ${(cold.rssBytes / 2 ** 20).toFixed(0)} (cold) → ${(start.rssBytes / 2 ** 20).toFixed(0)} (warm) → ${(end.rssBytes / 2 ** 20).toFixed(0)} MiB`);

    expect(answers.length).toBeGreaterThanOrEqual(REQUESTS * 0.8);
    const bad = answers.filter(({ status }) => !((status >= 200 && status < 300) || (status >= 400 && status < 500)));
    expect(bad.map(({ request, status, text }) => `${status} ${request.method} ${request.path} ${JSON.stringify(request.body)?.slice(0, 200)} → ${text.slice(0, 200)}`)).toEqual([]);
    // Enough of the fuzz gets through to exercise the work, and enough is refused to exercise the limits.
    expect(answers.filter(({ status }) => status < 300).length).toBeGreaterThan(REQUESTS * 0.1);
    expect(answers.filter(({ status }) => status === 400 || status === 413).length).toBeGreaterThan(REQUESTS * 0.3);
    expect(server.logs.filter((line) => line.includes('internal error'))).toEqual([]);

    expect(end.status).toBe('ok');
    expect(Math.abs(end.numTensors - start.numTensors)).toBeLessThanOrEqual(start.numTensors * 0.1);
    // Growth is what a leak would show; RSS may also fall (the allocator trims freed memory when it likes).
    expect(end.rssBytes).toBeLessThanOrEqual(start.rssBytes * 1.1);
    // And it still answers properly.
    expect((await server.post('/api/run', { model: 'tiny-ids', prompt: [1, 2, 3] })).status).toBe(200);
  }, 90_000);
});
