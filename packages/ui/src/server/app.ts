/**
 * The Express app: frame protection and security first, then the JSON API (every body
 * validated with its api schema, every model request's cost checked against the server's
 * limits, every model call through the one queue), then the dashboard. createApp() builds it
 * without listening, so tests and `hooklens serve` start it the same way (see listen.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { JOB_EVENTS, JOB_EVENTS_PATH, ROUTES } from '../api/index.ts';
import type { HealthResponse, JobInfo, RequestOf, ResponseOf, RouteName } from '../api/index.ts';
import { jsonBody } from './body.ts';
import { errorResponse, HttpError } from './httpError.ts';
import type { Logger } from './httpError.ts';
import { JobStore } from './jobs.ts';
import { checkCost, machineLimits } from './limits.ts';
import type { RequestLimits } from './limits.ts';
import type { ModelCall, ModelJob } from './modelRoute.ts';
import type { ModelRegistry } from './models.ts';
import { ModelQueue } from './queue.ts';
import { securityMiddleware } from './security.ts';
import { clientRoutes } from './staticClient.ts';
import { parseBody } from './validate.ts';
import { ablate } from './handlers/ablate.ts';
import { ablationSweepWork } from './handlers/ablationSweep.ts';
import { attention } from './handlers/attention.ts';
import { attribution } from './handlers/attribution.ts';
import { headScores } from './handlers/headScores.ts';
import { lens } from './handlers/lens.ts';
import { patchingWork } from './handlers/patching.ts';
import { run, tokenize } from './handlers/run.ts';

export interface AppOptions {
  models: ModelRegistry;
  /** Required on every request when set; see security.ts. */
  token?: string;
  /** The built dashboard (default packages/ui/dist/client). */
  clientDir?: string;
  /** Where internal errors are logged (default stderr). */
  log?: Logger;
  /** Overrides of the per-request limits (default: machineLimits(), from this machine's memory). */
  limits?: Partial<RequestLimits>;
}

export interface App {
  app: express.Express;
  models: ModelRegistry;
  queue: ModelQueue;
  jobs: JobStore;
  limits: RequestLimits;
}

/** The routes that take a request body: each is a model call or a job, and each states its cost (modelRoute.ts). */
type BodyRoute = { [N in RouteName]: (typeof ROUTES)[N]['request'] extends null ? never : N }[RouteName];

const JOB_ROUTES = {
  ablationSweep: { kind: 'ablation-sweep', prepare: ablationSweepWork },
  patching: { kind: 'patching', prepare: patchingWork },
} as const satisfies { [N in BodyRoute]?: { kind: JobInfo['kind']; prepare: ModelJob<RequestOf<N>> } };

/** Every other body route is a model call: leaving one out of this table does not compile. */
const MODEL_CALLS = {
  tokenize,
  run,
  lens,
  attention,
  headScores,
  ablate,
  attribution,
} as const satisfies { [N in Exclude<BodyRoute, keyof typeof JOB_ROUTES>]: ModelCall<RequestOf<N>, ResponseOf<N>> };

export function createApp({ models, token, clientDir, log = (line) => process.stderr.write(`${line}\n`), limits: limitOverrides }: AppOptions): App {
  const app = express();
  const queue = new ModelQueue();
  const jobs = new JobStore(queue, log);
  const limits: RequestLimits = { ...machineLimits(), ...limitOverrides };
  const startedAt = performance.now();
  app.disable('x-powered-by');
  app.set('etag', false);
  // No page may frame the dashboard (clickjacking), on every answer, refusals included.
  app.use((_req, res, next) => {
    res.set({ 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "frame-ancestors 'none'" });
    next();
  });
  app.use(securityMiddleware(token ? { token } : {}));
  app.use('/api', jsonBody());
  app.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.get(ROUTES.health.path, (_req, res) => {
    const memory = tf.memory();
    const health: HealthResponse = {
      status: 'ok',
      backend: models.backend,
      uptimeSeconds: (performance.now() - startedAt) / 1000,
      rssBytes: process.memoryUsage.rss(),
      numTensors: memory.numTensors,
      tensorBytes: memory.numBytes,
      queueLength: queue.pending,
      activeJobs: jobs.list().filter((job) => job.status === 'queued' || job.status === 'running').length,
      limits,
    };
    res.json(health);
  });
  app.get(ROUTES.models.path, (_req, res) => {
    res.json({ models: models.list().map((served) => models.summary(served)), backend: models.backend });
  });
  app.get(ROUTES.model.path, (req, res) => {
    res.json(models.detail(models.get(String(req.params.id))));
  });

  for (const [name, prepare] of Object.entries(MODEL_CALLS) as [keyof typeof MODEL_CALLS, ModelCall<unknown, unknown>][]) {
    const route = ROUTES[name];
    app.post(route.path, async (req, res) => {
      const body = parseBody(route.request, req.body);
      const { model } = models.get(body.model);
      // Validation, the model lookup and the cost check happen before queueing; the model call itself is serialised.
      const call = prepare(model, body);
      checkCost(call.cost, limits);
      const result = await queue.run(() => call.run());
      res.status(route.status).json(result);
    });
  }

  for (const [name, { kind, prepare }] of Object.entries(JOB_ROUTES) as [keyof typeof JOB_ROUTES, { kind: JobInfo['kind']; prepare: ModelJob<unknown> }][]) {
    const route = ROUTES[name];
    app.post(route.path, (req, res) => {
      const body = parseBody(route.request, req.body);
      const { model } = models.get(body.model);
      const job = prepare(model, body);
      checkCost(job.cost, limits);
      res.status(route.status).json(jobs.start(kind, body.model, job.work));
    });
  }

  app.get(ROUTES.jobs.path, (_req, res) => {
    res.json({ jobs: jobs.list() });
  });
  app.get(JOB_EVENTS_PATH, (req, res) => {
    const id = String(req.params.id);
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let unsubscribe = () => {};
    const start = () => {
      res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.flushHeaders();
    };
    let started = false;
    unsubscribe = jobs.subscribe(id, {
      progress(progress) {
        if (!started) (started = true), start();
        send(JOB_EVENTS.progress, progress);
      },
      end(info) {
        if (!started) (started = true), start();
        send(JOB_EVENTS.end, info);
        res.end();
      },
    });
    req.on('close', () => unsubscribe());
  });
  app.get(ROUTES.job.path, (req, res) => {
    res.json(jobs.get(String(req.params.id)));
  });
  app.delete(ROUTES.cancelJob.path, async (req, res) => {
    res.json(await jobs.cancel(String(req.params.id)));
  });

  app.use('/api', (req, _res, next) => next(new HttpError(404, `no API route ${req.method} ${req.originalUrl.split('?')[0]}`)));
  app.use(clientRoutes(clientDir));

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, body } = errorResponse(error, log);
    res.status(status).json(body);
  });
  return { app, models, queue, jobs, limits };
}
