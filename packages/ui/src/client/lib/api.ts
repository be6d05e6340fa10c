/**
 * The typed fetch client: one function per route of the API's route table, requests and
 * responses typed from the shared zod schemas, and every response validated with them (a
 * server that answers something else is reported, not rendered). No DOM: it runs in Node
 * too, so the tests can drive the real server with it.
 */
import { z } from 'zod';
import { AblationSweepResult, ErrorResponse, JOB_EVENTS, JOB_EVENTS_PATH, JobInfo, JobProgress, PatchingResult, ROUTES, routePath, type RequestOf, type ResponseOf, type RouteName } from '../../api/index.ts';

/** What each job route's finished job carries as `result`. */
const JOB_RESULTS = { ablationSweep: AblationSweepResult, patching: PatchingResult } as const;
type JobRoute = keyof typeof JOB_RESULTS;
export type JobResultOf<N extends JobRoute> = z.infer<(typeof JOB_RESULTS)[N]>;

/** A finished job, with its result as the server sent it (validated by the caller against the job's own schema). */
export interface FinishedJob {
  info: JobInfo;
  rawResult: unknown;
}

/** An error answer from the API (status and message as the server sent them), or a transport failure (status 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(message: string, readonly status: number, readonly field?: string) {
    super(message);
  }
}

export interface ApiClientOptions {
  /** Server origin; '' = same origin as the page. */
  baseUrl?: string;
  /** Bearer token for a non-loopback server (the page usually relies on the cookie instead). */
  token?: string;
  fetch?: typeof fetch;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions = {}) {
  const base = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const headers = (json: boolean): Record<string, string> => ({
    ...(json ? { 'Content-Type': 'application/json' } : {}),
    ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
    Accept: 'application/json',
  });

  async function send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(`${base}${url}`, { credentials: 'same-origin', ...init });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(`cannot reach the hooklens server (${(err as Error).message})`, 0);
    }
  }

  async function errorFrom(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const parsed = ErrorResponse.safeParse(body);
    if (parsed.success) {
      const { error, field, errorId } = parsed.data;
      return new ApiError(errorId ? `${error} (error id ${errorId})` : error, res.status, field);
    }
    return new ApiError(`HTTP ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`, res.status);
  }

  /** Calls one route: body for POST routes, path params (`:id`) for the others. */
  async function call<N extends RouteName>(name: N, body?: RequestOf<N>, params?: Record<string, string>, signal?: AbortSignal): Promise<ResponseOf<N>> {
    const spec = ROUTES[name];
    const url = routePath(spec.path, params);
    const hasBody = spec.method === 'POST';
    const res = await send(url, {
      method: spec.method,
      headers: headers(hasBody || spec.method === 'DELETE'),
      body: hasBody ? JSON.stringify(body ?? {}) : undefined,
      signal,
    });
    if (!res.ok) throw await errorFrom(res);
    const json: unknown = await res.json();
    const parsed = spec.response.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(`unexpected response from ${spec.method} ${url}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`, res.status);
    }
    return parsed.data as ResponseOf<N>;
  }

  /**
   * Follows a job to its end through its server-sent events (read with fetch, so the token
   * header works), reporting progress; falls back to polling if the stream breaks.
   * Resolves with the final JobInfo (done, error or cancelled).
   */
  async function followJob(id: string, onProgress: (p: JobProgress) => void, signal?: AbortSignal): Promise<FinishedJob> {
    try {
      const ended = await streamJob(id, onProgress, signal);
      if (ended) return ended;
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
    }
    return pollJob(id, onProgress, signal);
  }

  async function streamJob(id: string, onProgress: (p: JobProgress) => void, signal?: AbortSignal): Promise<FinishedJob | null> {
    const res = await send(routePath(JOB_EVENTS_PATH, { id }), { headers: { ...headers(false), Accept: 'text/event-stream' }, signal });
    if (!res.ok || !res.body) throw await errorFrom(res);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1]?.trim() ?? 'message';
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        if (!data) continue;
        if (event === JOB_EVENTS.progress) {
          const p = JobProgress.safeParse(JSON.parse(data));
          if (p.success) onProgress(p.data);
        } else if (event === JOB_EVENTS.end) {
          await reader.cancel().catch(() => undefined);
          const raw: unknown = JSON.parse(data);
          const info = JobInfo.parse(raw);
          onProgress(info.progress);
          return { info, rawResult: (raw as { result?: unknown }).result };
        }
      }
    }
  }

  async function pollJob(id: string, onProgress: (p: JobProgress) => void, signal?: AbortSignal): Promise<FinishedJob> {
    for (;;) {
      const res = await send(routePath(ROUTES.job.path, { id }), { headers: headers(false), signal });
      if (!res.ok) throw await errorFrom(res);
      const raw: unknown = await res.json();
      const info = JobInfo.parse(raw);
      onProgress(info.progress);
      if (info.status !== 'queued' && info.status !== 'running') return { info, rawResult: (raw as { result?: unknown }).result };
      await new Promise((resolve) => setTimeout(resolve, 400));
      if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    }
  }

  /**
   * Starts a job route, follows it, and returns its result, validated against that job's own
   * result schema (throws on error or cancel). Cancels the job when `signal` aborts.
   */
  async function runJob<N extends JobRoute>(name: N, body: RequestOf<N>, onProgress: (p: JobProgress) => void, signal?: AbortSignal): Promise<JobResultOf<N>> {
    const job = await call(name, body, undefined, signal);
    onProgress(job.progress);
    const cancel = () => void call('cancelJob', undefined, { id: job.id }).catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const { info, rawResult } = await followJob(job.id, onProgress, signal);
      if (info.status === 'error') throw new ApiError(info.errorId ? `${info.error} (error id ${info.errorId})` : (info.error ?? 'job failed'), 500);
      if (info.status === 'cancelled') throw new ApiError('job cancelled', 0);
      const parsed = JOB_RESULTS[name].safeParse(rawResult);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ApiError(`unexpected ${info.kind} job result: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`, 200);
      }
      return parsed.data as JobResultOf<N>;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  return { call, followJob, runJob };
}
