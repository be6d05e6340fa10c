/**
 * The Express app: security first, then the JSON API (every body validated with its api
 * schema, every model call through the one queue), then the dashboard. createApp() builds it
 * without listening, so tests and `hooklens serve` start it the same way (see listen.ts).
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { HookedTransformer } from '@hooklens/core';
import { JOB_EVENTS, JOB_EVENTS_PATH, ROUTES } from '../api/index.ts';
import type { JobInfo, RouteName } from '../api/index.ts';
import { errorResponse, HttpError } from './httpError.ts';
import type { Logger } from './httpError.ts';
import { JobStore } from './jobs.ts';
import type { JobWork } from './jobs.ts';
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

export const BODY_LIMIT = '1mb';

export interface AppOptions {
  models: ModelRegistry;
  /** Required on every request when set; see security.ts. */
  token?: string;
  /** The built dashboard (default packages/ui/dist/client). */
  clientDir?: string;
  /** Where internal errors are logged (default stderr). */
  log?: Logger;
}

export interface App {
  app: express.Express;
  models: ModelRegistry;
  queue: ModelQueue;
  jobs: JobStore;
}

/** Handlers of the synchronous POST routes: (model, validated body) → response data. */
const MODEL_CALLS = {
  tokenize,
  run,
  lens,
  attention,
  headScores,
  ablate,
  attribution,
} satisfies Partial<Record<RouteName, (model: HookedTransformer, request: never) => unknown>>;

const JOB_ROUTES = {
  ablationSweep: { kind: 'ablation-sweep', work: ablationSweepWork },
  patching: { kind: 'patching', work: patchingWork },
} as const;

export function createApp({ models, token, clientDir, log = (line) => process.stderr.write(`${line}\n`) }: AppOptions): App {
  const app = express();
  const queue = new ModelQueue();
  const jobs = new JobStore(queue, log);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityMiddleware(token ? { token } : {}));
  app.use('/api', express.json({ limit: BODY_LIMIT }));
  app.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.get(ROUTES.models.path, (_req, res) => {
    res.json({ models: models.list().map((served) => models.summary(served)), backend: models.backend });
  });
  app.get(ROUTES.model.path, (req, res) => {
    res.json(models.detail(models.get(String(req.params.id))));
  });

  for (const [name, handler] of Object.entries(MODEL_CALLS) as [keyof typeof MODEL_CALLS, (model: HookedTransformer, request: unknown) => unknown][]) {
    const route = ROUTES[name];
    app.post(route.path, async (req, res) => {
      const body = parseBody(route.request, req.body);
      const { model } = models.get(body.model);
      // Validation and the model lookup happen before queueing; the model call itself is serialised.
      const result = await queue.run(() => handler(model, body));
      res.status(route.status).json(result);
    });
  }

  for (const [name, { kind, work }] of Object.entries(JOB_ROUTES) as [keyof typeof JOB_ROUTES, { kind: JobInfo['kind']; work: (model: HookedTransformer, request: unknown) => JobWork }][]) {
    const route = ROUTES[name];
    app.post(route.path, (req, res) => {
      const body = parseBody(route.request, req.body);
      const { model } = models.get(body.model);
      res.status(route.status).json(jobs.start(kind, body.model, work(model, body)));
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
  return { app, models, queue, jobs };
}
