/**
 * What a dashboard test in real Chromium needs: a private client build, the real server on a
 * free port with the given checkpoints, and a headless Debian chromium driven by playwright-core,
 * page errors collected, screenshots to test-artifacts/ (gitignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildClient } from '../../packages/ui/scripts/buildClient.ts';
import { loadServedModels, startServer, type RunningServer } from '@hooklens/ui/server';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export interface Dashboard {
  server: RunningServer;
  page: Page;
  /** Page errors and console errors so far. */
  pageErrors: string[];
  shot(name: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Builds the client, serves `paths` and opens a page (not yet navigated). */
export async function openDashboard(paths: readonly string[]): Promise<Dashboard> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'hooklens-browser-'));
  // A private build: the test never rewrites packages/ui/dist/client under a running server.
  const { outDir } = await buildClient({ quiet: true, outDir: join(profile, 'client') });
  const models = await loadServedModels({ paths: [...paths] });
  const server = await startServer({ models, port: 0, clientDir: outDir });
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(join(profile, 'chromium'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1500, height: 1000 }, acceptDownloads: true });
  } catch (error) {
    await server.close();
    models.dispose();
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  return {
    server,
    page,
    pageErrors,
    shot: (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }),
    async close() {
      await context?.close();
      await server.close();
      server.models.dispose();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
