/**
 * A real server for the tests: listening on 127.0.0.1, port 0, with small models:
 *   stories260K — llama2.c model with its own tokenizer, when the test models are present
 *                 (test/fixtures/testModels.ts; tests that use it skip without);
 *   tiny-gpt2   — random 2-layer GPT-2 with a byte-level tokenizer (one token per byte), n_ctx 32;
 *   tiny-ids    — random 2-layer GPT-2 without a tokenizer (prompts as token ids), n_ctx 32.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BYTE_VOCAB, writeTinyGpt2 } from '../../../../test/fixtures/checkpoints.ts';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';
import { loadServedModels, startServer } from '../../src/server/index.ts';
import type { RunningServer, ServeOptions } from '../../src/server/index.ts';

export const STORIES = TEST_MODELS.stories260K?.bin ?? '';
export const HAS_STORIES = TEST_MODELS.stories260K !== undefined;

export interface TestServer extends RunningServer {
  base: string;
  /** The directory holding the tiny checkpoints (no response may name it). */
  dir: string;
  /** What the server logged (internal errors). */
  logs: string[];
  /** JSON request with the headers a same-origin page would send. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  del(path: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startTestServer(options: Partial<ServeOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hooklens-ui-'));
  const tiny = join(dir, 'tiny-gpt2');
  const ids = join(dir, 'tiny-ids');
  writeTinyGpt2(tiny, { seed: 1, byteTokenizer: true, vocab: BYTE_VOCAB });
  writeTinyGpt2(ids, { seed: 2 });
  const models = await loadServedModels({ paths: [...(HAS_STORIES ? [STORIES] : []), tiny, ids] });
  const logs: string[] = [];
  const server = await startServer({ models, port: 0, log: (line) => logs.push(line), ...options });
  const base = `http://127.0.0.1:${server.port}`;
  const auth: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  const parse = async (res: Response) => ({ status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() });
  return {
    ...server,
    base,
    dir,
    logs,
    post: async (path, body, headers = {}) =>
      parse(await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })),
    get: async (path, headers = {}) => parse(await fetch(base + path, { headers: { ...auth, ...headers } })),
    del: async (path) => parse(await fetch(base + path, { method: 'DELETE', headers: { 'Content-Type': 'application/json', ...auth } })),
    async stop() {
      await server.close();
      models.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP request (fetch will not send an arbitrary Host header). */
export function rawRequest(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string; address?: string }): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: options.address ?? '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, setHost: !options.headers?.Host }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads a server-sent-event stream until it closes, calling `onEvent` for each event. */
export async function readEvents(url: string, onEvent: (event: SseEvent) => void = () => {}, headers: Record<string, string> = {}): Promise<SseEvent[]> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`events: status ${res.status}: ${await res.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
      events.push({ event, data });
      onEvent({ event, data });
    }
  }
  return events;
}

/** Polls a job until it is finished. */
export async function waitForJob(server: TestServer, id: string): Promise<any> {
  for (;;) {
    const { body } = await server.get(`/api/jobs/${id}`);
    if (['done', 'error', 'cancelled'].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
