/**
 * Bounded work per request: every list in every request schema is bounded and refuses repeats,
 * and every route with a body checks its cost (tensor bytes, reply size, job cells) against the
 * server's limits before any work, answering 413 with the field and the limit.
 */
import type { Server } from 'node:http';
import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_BOUNDS, MAX_INDEX_LIST, ROUTES } from '../../src/api/index.ts';
import type { RequestOf, RouteName } from '../../src/api/index.ts';
import { createApp, machineLimits, ModelRegistry, REPLY_BYTES_PER_VALUE } from '../../src/server/index.ts';
import type { App, RequestLimits } from '../../src/server/index.ts';
import { startTestServer } from './helpers.ts';
import type { TestServer } from './helpers.ts';

type BodyRoute = { [N in RouteName]: (typeof ROUTES)[N]['request'] extends null ? never : N }[RouteName];

/** A small valid request for every route with a body: a new route must add one here to compile. */
const SAMPLES: { [N in BodyRoute]: RequestOf<N> } = {
  tokenize: { model: 'tiny-ids', prompt: [1, 2, 3] },
  run: { model: 'tiny-ids', prompt: [1, 2, 3] },
  lens: { model: 'tiny-ids', prompt: [1, 2, 3] },
  attention: { model: 'tiny-ids', prompt: [1, 2, 3], layer: 0 },
  headScores: { model: 'tiny-gpt2', seqLen: 4, batch: 2 },
  ablate: { model: 'tiny-ids', prompt: [1, 2, 3], heads: [{ layer: 0, head: 1 }] },
  attribution: { model: 'tiny-ids', prompt: [1, 2, 3], answer: 5 },
  ablationSweep: { model: 'tiny-ids', prompt: [1, 2, 3] },
  patching: { model: 'tiny-ids', clean: [1, 2, 3], corrupted: [1, 4, 3], answer: 1, wrong: 2, kinds: ['z'] },
};
const BODY_ROUTES = Object.keys(SAMPLES) as BodyRoute[];
const JOB_ROUTES = new Set<BodyRoute>(['ablationSweep', 'patching']);

/** Every array node in a zod schema, with its path. */
function arraysIn(schema: z.ZodType, path = '', seen = new Set<unknown>()): { path: string; schema: z.ZodType }[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  switch (def.type) {
    case 'array':
      return [{ path, schema }, ...arraysIn(def.element, `${path}[]`, seen)];
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, value]) => arraysIn(value, path ? `${path}.${key}` : key, seen));
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option) => arraysIn(option, path, seen));
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'nonoptional': case 'catch':
      return arraysIn(def.innerType, path, seen);
    case 'pipe':
      return [...arraysIn(def.in, path, seen), ...arraysIn(def.out, path, seen)];
    case 'lazy':
      return arraysIn(def.getter(), path, seen);
    case 'record': case 'map': case 'set': case 'tuple': case 'intersection':
      throw new Error(`${path}: a ${def.type} in a request schema: teach this walk (and lists.ts) to bound it`);
    default:
      return [];
  }
}

describe('request schemas: every list is bounded and refuses repeats', () => {
  const lists = BODY_ROUTES.flatMap((name) => arraysIn(ROUTES[name].request).map((list) => ({ name, ...list })));

  it('finds the lists (the walk sees into objects, unions and optionals)', () => {
    const paths = new Set(lists.map((list) => `${list.name}:${list.path}`));
    for (const expected of ['run:prompt', 'attention:heads', 'ablate:heads', 'ablate:mlps', 'patching:clean', 'patching:kinds', 'patching:layers', 'patching:heads', 'patching:positions']) expect(paths).toContain(expected);
  });

  it.each(lists.map((list) => [`${list.name}: ${list.path}`, list] as const))('%s comes from api/lists.ts with a maximum', (_label, list) => {
    const bound = LIST_BOUNDS.get(list.schema);
    expect(bound, `${list.name}.${list.path} is a z.array outside api/lists.ts: use uniqueList or sequence`).toBeDefined();
    expect(bound!.maxItems).toBeGreaterThan(0);
    // Only the prompt's token ids may repeat: every other list is a set of indices or kinds.
    expect(bound!.duplicates).toBe(/(^|\.)(prompt|clean|corrupted)$/.test(list.path) ? 'allowed' : 'rejected');
  });
});

describe('hooklens serve: bounded work per request', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('every sample is a valid request (2xx under the default limits)', async () => {
    for (const name of BODY_ROUTES) {
      const res = await server.post(ROUTES[name].path, SAMPLES[name]);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(ROUTES[name].status);
    }
    await Promise.all(server.jobs.list().map((job) => server.jobs.cancel(job.id)));
  });

  it('the 4 KB patching request whose layers, heads and positions repeat one index 400 times → 400 before any work', async () => {
    const repeated = Array<number>(400).fill(0);
    const body = JSON.stringify({ model: 'tiny-ids', clean: [1, 2, 3], corrupted: [1, 4, 3], answer: 1, wrong: 2, kinds: ['z_by_pos'], layers: repeated, heads: repeated, positions: repeated });
    expect(body.length).toBeLessThan(4096);
    const jobsBefore = server.jobs.list().length;
    const tensors = tf.memory().numTensors;
    const res = await server.post('/api/jobs/patching', body);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('layers.1');
    expect(res.body.error).toBe('layers.1: 0 is already listed at index 0; each entry may appear once');
    expect(server.jobs.list().length).toBe(jobsBefore);
    expect(server.queue.pending).toBe(0);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('the attention request with 450,000 heads → 400 naming heads and the limit, and the server still answers', async () => {
    const body = JSON.stringify({ model: 'tiny-ids', prompt: [1, 2, 3], layer: 0, heads: Array<number>(450_000).fill(0) });
    expect(body.length).toBeGreaterThan(800_000);
    const res = await server.post('/api/attention', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'heads', limit: MAX_INDEX_LIST, error: `heads: at most ${MAX_INDEX_LIST} entries` });
    // Distinct heads within the list's bound are still checked against the model (4 heads).
    const distinct = await server.post('/api/attention', { model: 'tiny-ids', prompt: [1, 2, 3], layer: 0, heads: [0, 1, 2, 3, 4] });
    expect(distinct).toMatchObject({ status: 400, body: { field: 'heads.4' } });
    expect((await server.post('/api/attention', { model: 'tiny-ids', prompt: [1, 2, 3], layer: 0, heads: [3, 0] })).status).toBe(200);
  });

  it('repeated { layer, head } pairs and patch kinds are refused too', async () => {
    const heads = await server.post('/api/ablate', { model: 'tiny-ids', prompt: [1, 2], heads: [{ layer: 0, head: 1 }, { layer: 1, head: 1 }, { layer: 0, head: 1 }] });
    expect(heads).toMatchObject({ status: 400, body: { field: 'heads.2' } });
    const kinds = await server.post('/api/jobs/patching', { ...SAMPLES.patching, kinds: ['z', 'z'] });
    expect(kinds).toMatchObject({ status: 400, body: { field: 'kinds.1' } });
  });

  /** A second app on the same models with some limits lowered. */
  async function withLimits<T>(limits: Partial<RequestLimits>, body: (post: (path: string, request: unknown) => Promise<{ status: number; body: any }>, app: App) => Promise<T>): Promise<T> {
    const app = createApp({ models: server.models, limits, log: (line) => server.logs.push(line) });
    const listening: Server = app.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    const port = (listening.address() as { port: number }).port;
    const post = async (path: string, request: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
      return { status: res.status, body: (await res.json()) as any };
    };
    try {
      return await body(post, app);
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
  }

  it.each([
    ['tensorBytes', (name: BodyRoute) => name !== 'tokenize'],
    ['replyBytes', () => true],
    ['jobCells', (name: BodyRoute) => JOB_ROUTES.has(name)],
  ] as const)('every route with a body checks %s before any work: 413 with the field and the limit', async (limit, applies) => {
    await withLimits({ [limit]: 0 }, async (post, app) => {
      const tensors = tf.memory().numTensors;
      for (const name of BODY_ROUTES) {
        const res = await post(ROUTES[name].path, SAMPLES[name]);
        if (!applies(name)) {
          expect(res.status, name).toBe(200);
          continue;
        }
        expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(413);
        expect(res.body.limit, name).toBe(0);
        expect(typeof res.body.field, name).toBe('string');
        expect(res.body.error, name).toMatch(new RegExp(`^${res.body.field}: .*over this server's limit of 0`));
      }
      expect(app.jobs.list()).toEqual([]);
      expect(app.queue.pending).toBe(0);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  });

  it('names the field that makes the reply large, against the limit in bytes', async () => {
    // tiny-ids: 2 layers × 4 heads, 10 positions. Full patterns of 4 heads: 4·10·10 values; 8 thumbnails of 10 × 10: 800.
    const prompt = Array.from({ length: 10 }, (_, i) => i + 1);
    const replyBytes = 600 * REPLY_BYTES_PER_VALUE;
    await withLimits({ replyBytes }, async (post) => {
      expect((await post('/api/attention', { model: 'tiny-ids', prompt, layer: 0 })).status).toBe(200);
      const thumbnails = await post('/api/attention', { model: 'tiny-ids', prompt, layer: 0, heads: [0], thumbnails: true, thumbnailSize: 10 });
      expect(thumbnails).toMatchObject({ status: 413, body: { field: 'thumbnailSize', limit: replyBytes } });
      expect(thumbnails.body.error).toMatch(/^thumbnailSize: the reply would be about .* \(\d+ values\) \(thumbnailSize: 8 heads × 10 × 10\), over this server's limit of 14 KiB per reply/);
    });
    await withLimits({ replyBytes: 300 * REPLY_BYTES_PER_VALUE }, async (post) => {
      const patterns = await post('/api/attention', { model: 'tiny-ids', prompt, layer: 0 });
      expect(patterns).toMatchObject({ status: 413, body: { field: 'heads' } });
      expect(patterns.body.error).toContain('4 heads × 10 × 10 queries and keys');
    });
  });

  it('refuses a job over the cell limit naming the kind, and one just under it runs', async () => {
    // tiny-ids z_by_pos over 3 positions: 2 layers × 4 heads × 3 positions = 24 cells.
    const request = { ...SAMPLES.patching, kinds: ['z_by_pos'] };
    await withLimits({ jobCells: 23 }, async (post) => {
      const res = await post('/api/jobs/patching', request);
      expect(res).toMatchObject({ status: 413, body: { field: 'kinds', limit: 23 } });
      expect(res.body.error).toBe("kinds: the job would run 24 forward passes (cells) (kinds: z_by_pos: 2 layers × 4 heads × 3 positions), over this server's limit of 23 cells per job; ask for less (see API.md, Limits)");
    });
    await withLimits({ jobCells: 24 }, async (post, app) => {
      expect((await post('/api/jobs/patching', request)).status).toBe(202);
      await Promise.all(app.jobs.list().map((job) => app.jobs.cancel(job.id)));
    });
  });

  it('refuses head scores whose batch of sequences would not fit the tensor limit', async () => {
    const model = server.models.get('tiny-gpt2').model;
    // API.md: a forward pass over [batch, BOS + 2 × 15] tokens takes 2.5 × estimateCacheBytes plus the weights once more.
    const eightRows = Math.ceil(2.5 * model.estimateCacheBytes([8, 31]).total) + 4 * model.numParams();
    await withLimits({ tensorBytes: eightRows }, async (post) => {
      expect((await post('/api/head-scores', { model: 'tiny-gpt2', seqLen: 15, batch: 8 })).status).toBe(200);
      const res = await post('/api/head-scores', { model: 'tiny-gpt2', seqLen: 15, batch: 9 });
      expect(res).toMatchObject({ status: 413, body: { field: 'batch', limit: eightRows } });
      expect(res.body.error).toContain('a forward pass over [9, 31] tokens');
    });
  });

  it('a text prompt that cannot fit n_ctx is refused without tokenizing it (1 MB took 11 s to tokenize, blocking every client)', async () => {
    const real = server.models.get('tiny-gpt2').model;
    const encoded: number[] = [];
    const counting = new Proxy(real, {
      get(target, key, receiver) {
        if (key === 'toTokens') return (text: string, options: object) => (encoded.push(text.length), target.toTokens(text, options));
        return Reflect.get(target, key, receiver);
      },
    });
    const app = createApp({ models: new ModelRegistry([{ id: 'counting', model: counting }], 'test'), log: (line) => server.logs.push(line) });
    const listening: Server = app.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    try {
      const port = (listening.address() as { port: number }).port;
      const post = async (prompt: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/tokenize`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'counting', prompt }) });
        return { status: res.status, body: (await res.json()) as any };
      };
      const huge = await post('Once upon a time. '.repeat(55_000));
      expect(huge).toMatchObject({ status: 413, body: { field: 'prompt', limit: 32 } });
      expect(huge.body.error).toMatch(/^prompt: 990000 characters cannot fit the model's context of 32 tokens \(n_ctx; its longest token is \d+ characters\)$/);
      expect(encoded).toEqual([]);
      // A text over n_ctx but within the bound is tokenized, and refused by its token count as before.
      const long = await post('word '.repeat(40));
      expect(long).toMatchObject({ status: 413, body: { limit: 32 } });
      expect(long.body.error).toMatch(/tokens is longer than the model's context of 32 tokens/);
      expect((await post('hi there')).status).toBe(200);
      expect(encoded).toEqual([200, 8]);
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
  });

  it('derives the limits from the machine: a quarter of memory for tensors, a sixteenth (≤ 64 MiB) for a reply', () => {
    const gib = 2 ** 30;
    expect(machineLimits(8 * gib)).toEqual({ tensorBytes: 2 * gib, replyBytes: 64 * 2 ** 20, jobCells: (2 * gib) / 512 });
    expect(machineLimits(512 * 2 ** 20)).toEqual({ tensorBytes: 128 * 2 ** 20, replyBytes: 32 * 2 ** 20, jobCells: (128 * 2 ** 20) / 512 });
    expect(server.limits).toEqual(machineLimits());
  });
});
