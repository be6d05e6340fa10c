/**
 * The route table: every endpoint's method, path, request body schema and response schema.
 * The server registers its handlers from it and the client builds its typed fetch from it,
 * so the two cannot drift apart.
 *
 * Conventions (see packages/ui/API.md):
 * - POST and DELETE need `Content-Type: application/json` (415 otherwise); a browser's Origin, when sent, must be the server's own (403).
 * - Errors answer ErrorResponse: 400 bad field (names it), 401 missing token, 403 refused host/origin,
 *   404 unknown model/job/route, 413 prompt longer than n_ctx, body over 1 MB, or a request whose cost is over the
 *   server's limits (with `field` and `limit`), 415, 500 (with `errorId`).
 */
import { z } from 'zod';
import * as A from './analysis.ts';
import * as J from './jobs.ts';
import { HealthResponse } from './health.ts';
import { ModelDetail, ModelsResponse } from './models.ts';

export interface RouteSpec<Req extends z.ZodType | null = z.ZodType | null, Res extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Express-style path; `:id` parameters are filled by the client. */
  path: string;
  request: Req;
  response: Res;
  /** Status of a successful answer. */
  status: 200 | 202;
}

function route<Req extends z.ZodType | null, Res extends z.ZodType>(spec: RouteSpec<Req, Res>): RouteSpec<Req, Res> {
  return spec;
}

export const ROUTES = {
  health: route({ method: 'GET', path: '/api/health', request: null, response: HealthResponse, status: 200 }),
  models: route({ method: 'GET', path: '/api/models', request: null, response: ModelsResponse, status: 200 }),
  model: route({ method: 'GET', path: '/api/models/:id', request: null, response: ModelDetail, status: 200 }),
  tokenize: route({ method: 'POST', path: '/api/tokenize', request: A.TokenizeRequest, response: A.TokenizeResponse, status: 200 }),
  run: route({ method: 'POST', path: '/api/run', request: A.RunRequest, response: A.RunResponse, status: 200 }),
  lens: route({ method: 'POST', path: '/api/lens', request: A.LensRequest, response: A.LensResponse, status: 200 }),
  attention: route({ method: 'POST', path: '/api/attention', request: A.AttentionRequest, response: A.AttentionResponse, status: 200 }),
  headScores: route({ method: 'POST', path: '/api/head-scores', request: A.HeadScoresRequest, response: A.HeadScoresResponse, status: 200 }),
  ablate: route({ method: 'POST', path: '/api/ablate', request: A.AblateRequest, response: A.AblateResponse, status: 200 }),
  attribution: route({ method: 'POST', path: '/api/attribution', request: A.AttributionRequest, response: A.AttributionResponse, status: 200 }),
  ablationSweep: route({ method: 'POST', path: '/api/jobs/ablation-sweep', request: J.AblationSweepRequest, response: J.JobInfo, status: 202 }),
  patching: route({ method: 'POST', path: '/api/jobs/patching', request: J.PatchingRequest, response: J.JobInfo, status: 202 }),
  jobs: route({ method: 'GET', path: '/api/jobs', request: null, response: J.JobsResponse, status: 200 }),
  job: route({ method: 'GET', path: '/api/jobs/:id', request: null, response: J.JobInfo, status: 200 }),
  cancelJob: route({ method: 'DELETE', path: '/api/jobs/:id', request: null, response: J.JobInfo, status: 200 }),
} as const;

/** GET /api/jobs/:id/events: server-sent events, see JOB_EVENTS in jobs.ts. */
export const JOB_EVENTS_PATH = '/api/jobs/:id/events';

export type RouteName = keyof typeof ROUTES;
export type RequestOf<N extends RouteName> = (typeof ROUTES)[N]['request'] extends z.ZodType ? z.infer<(typeof ROUTES)[N]['request']> : undefined;
export type ResponseOf<N extends RouteName> = z.infer<(typeof ROUTES)[N]['response']>;

/** Fills `:id` in a route path. */
export function routePath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${path} needs :${name}`);
    return encodeURIComponent(value);
  });
}

/** The header a non-loopback server requires (`Authorization: Bearer <token>`); the page may use ?token= once, then a cookie. */
export const TOKEN_COOKIE = 'hooklens_token';
