/** The dashboard: served from the built client folder, with client-side routes falling back to index.html. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry, startServer } from '../../src/server/index.ts';
import type { RunningServer } from '../../src/server/index.ts';

describe('the dashboard files', () => {
  let dir: string;
  let built: RunningServer;
  let unbuilt: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-client-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dashboard</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const models = new ModelRegistry([], 'test');
    built = await startServer({ models, port: 0, clientDir: dir });
    unbuilt = await startServer({ models, port: 0, clientDir: join(dir, 'missing') });
  });
  afterAll(async () => {
    await built?.close();
    await unbuilt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built client, its assets, and index.html for client-side routes', async () => {
    const base = `http://127.0.0.1:${built.port}`;
    expect(await (await fetch(`${base}/`)).text()).toContain('<title>dashboard</title>');
    const asset = await fetch(`${base}/assets/app.js`);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await asset.text()).toBe('console.log(1)');
    expect(await (await fetch(`${base}/models/stories260K/lens`)).text()).toContain('<title>dashboard</title>');
    // The API is never shadowed by the fallback.
    expect((await fetch(`${base}/api/unknown`)).status).toBe(404);
  });

  it('without a build, says how to build it', async () => {
    const res = await fetch(`http://127.0.0.1:${unbuilt.port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/dashboard is not built[\s\S]*vite build/);
  });
});
