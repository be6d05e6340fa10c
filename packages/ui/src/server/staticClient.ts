/**
 * The dashboard: packages/ui/dist/client when it has been built (any path not under /api/
 * falls back to its index.html, for client-side routes), else a page saying how to build it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Router } from 'express';

export const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../dist/client/', import.meta.url));

export function clientRoutes(clientDir: string = DEFAULT_CLIENT_DIR): Router {
  const router = express.Router();
  const index = join(clientDir, 'index.html');
  if (existsSync(index)) {
    router.use(express.static(clientDir, { index: 'index.html' }));
    router.get(/^(?!\/api\/).*/, (_req, res) => res.sendFile(index));
  } else {
    router.get(/^(?!\/api\/).*/, (_req, res) => {
      res.status(200).type('html').send(NOT_BUILT_PAGE);
    });
  }
  return router;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hooklens</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>hooklens: the dashboard is not built</h1>
<p>The API is running (try <a href="/api/models">/api/models</a>), but <code>packages/ui/dist/client</code> does not exist yet.</p>
<p>Build the dashboard, then reload this page:</p>
<pre>pnpm --filter @hooklens/ui exec vite build</pre>
<p>or run <code>pnpm start</code>, which builds it and starts the server.</p>
</body></html>
`;
