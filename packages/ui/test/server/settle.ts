/** Sending requests of any kind and reading the server's memory once it is idle, for the load tests (fuzz, onnx memory). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HealthResponse } from '../../src/api/index.ts';
import type { TestServer } from './helpers.ts';

export type Request = { method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown };

/** Lower limits than a machine's, so that the work the load tests get through stays small (and the runs short). */
export const LOAD_TEST_LIMITS = { tensorBytes: 32 * 2 ** 20, replyBytes: 4 * 2 ** 20, jobCells: 4096 };

/** What a load test needs to know of a served model to make requests for it. */
export interface ModelShape {
  id: string;
  nLayers: number;
  nHeads: number;
  nCtx: number;
  dVocab: number;
  hasTokenizer: boolean;
}

/** The shapes of served models (`server.models.list()`, or some of them). */
export function modelShapes(served: readonly { id: string; model: { config: Omit<ModelShape, 'id' | 'hasTokenizer'>; tokenizer?: unknown } }[]): ModelShape[] {
  return served.map(({ id, model }) => ({ id, ...model.config, hasTokenizer: model.tokenizer !== undefined }));
}

export async function send(server: TestServer, request: Request): Promise<{ status: number; text: string }> {
  const init: RequestInit = { method: request.method, headers: request.method === 'GET' ? {} : { 'Content-Type': 'application/json' } };
  if (request.body !== undefined) init.body = JSON.stringify(request.body);
  const res = await fetch(server.base + request.path, init);
  // An event stream of a job that is still running stays open: its status is the answer.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, text: '' };
  }
  return { status: res.status, text: await res.text() };
}

export async function health(server: TestServer): Promise<HealthResponse> {
  return (await server.get('/api/health')).body as HealthResponse;
}

/**
 * The garbage collector of this process (which runs the server): memory is compared after a
 * collection, so that garbage not yet collected is not mistaken for memory kept.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Cancels the jobs left, waits until nothing runs, collects garbage, and reads the health. */
export async function settle(server: TestServer): Promise<HealthResponse> {
  for (const job of server.jobs.list()) await server.del(`/api/jobs/${job.id}`);
  for (;;) {
    const now = await health(server);
    if (now.activeJobs === 0 && now.queueLength === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  collectGarbage();
  return health(server);
}
