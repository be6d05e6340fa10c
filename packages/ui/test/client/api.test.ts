/** The typed fetch client against a scripted fetch: validation, errors, jobs over server-sent events. */
import { describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../../src/client/lib/api.ts';

type Handler = (url: string, init: RequestInit) => Response;

function client(handler: Handler) {
  const calls: { url: string; init: RequestInit }[] = [];
  const api = createApiClient({
    fetch: async (input, init = {}) => {
      calls.push({ url: String(input), init });
      return handler(String(input), init);
    },
  });
  return { api, calls };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const job = (status: string, extra: object = {}) => ({ id: 'j1', kind: 'patching', model: 'm', status, progress: { done: 0, total: 3 }, createdAt: '2025-01-01T00:00:00Z', ...extra });

describe('API client', () => {
  it('sends JSON bodies to the route path and returns the validated response', async () => {
    const { api, calls } = client(() => json({ ids: [1, 2], tokens: ['a', 'b'], unknown: [], nCtx: 64 }));
    const res = await api.call('tokenize', { model: 'm', prompt: 'ab' });
    expect(res.tokens).toEqual(['a', 'b']);
    expect(calls[0].url).toBe('/api/tokenize');
    expect(calls[0].init.method).toBe('POST');
    expect((calls[0].init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ model: 'm', prompt: 'ab' });
  });

  it('refuses a response that does not match the schema, naming the field', async () => {
    const { api } = client(() => json({ ids: [1], tokens: 'nope', nCtx: 64 }));
    await expect(api.call('tokenize', { model: 'm', prompt: 'a' })).rejects.toThrow(/unexpected response from POST \/api\/tokenize: tokens/);
  });

  it('turns error answers into ApiError with the server message and field', async () => {
    const { api } = client(() => json({ error: 'prompt is 600 tokens, more than n_ctx 512', field: 'prompt', limit: 512 }, 413));
    const err = await api.call('lens', { model: 'm', prompt: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 413, field: 'prompt', message: 'prompt is 600 tokens, more than n_ctx 512' });
  });

  it('follows a job over server-sent events, reporting progress, and validates its result', async () => {
    const result = { metricClean: 2, metricCorrupted: 0, grids: [{ kind: 'z', rows: ['L0'], cols: ['H0'], values: [[0.5]], clean: 2, corrupted: 0 }] };
    const events = [
      'event: progress\ndata: {"done":1,"total":3}\n\n',
      'event: progress\r\ndata: {"done":2,"total":3}\r\n\r\n',
      `event: end\ndata: ${JSON.stringify(job('done', { progress: { done: 3, total: 3 }, result }))}\n\n`,
    ];
    const { api, calls } = client((url) => {
      if (url === '/api/jobs/patching') return json(job('queued'), 202);
      if (url === '/api/jobs/j1/events') {
        // Split mid-event to check the stream is reassembled.
        const text = events.join('');
        const chunks = [text.slice(0, 30), text.slice(30, 75), text.slice(75)].map((c) => new TextEncoder().encode(c));
        return new Response(new ReadableStream({ start(c) { chunks.forEach((x) => c.enqueue(x)); c.close(); } }), { headers: { 'Content-Type': 'text/event-stream' } });
      }
      throw new Error(`unexpected ${url}`);
    });
    const progress: number[] = [];
    const out = await api.runJob('patching', { model: 'm', clean: 'a', corrupted: 'b', answer: 1, wrong: 2 }, (p) => progress.push(p.done));
    expect(out).toEqual(result);
    expect(progress).toEqual([0, 1, 2, 3]);
    expect(calls.map((c) => c.url)).toEqual(['/api/jobs/patching', '/api/jobs/j1/events']);
  });

  it('falls back to polling when the event stream is unavailable, and reports job errors', async () => {
    let polls = 0;
    const { api } = client((url) => {
      if (url === '/api/jobs/ablation-sweep') return json(job('queued', { kind: 'ablation-sweep' }), 202);
      if (url === '/api/jobs/j1/events') return new Response('nope', { status: 404 });
      polls++;
      return json(polls < 2 ? job('running', { kind: 'ablation-sweep' }) : job('error', { kind: 'ablation-sweep', error: 'out of memory', errorId: 'e42' }));
    });
    await expect(api.runJob('ablationSweep', { model: 'm', prompt: 'a' }, () => undefined)).rejects.toThrow('out of memory (error id e42)');
    expect(polls).toBe(2);
  });
});
