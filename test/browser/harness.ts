/**
 * The real-browser test harness: build the dashboard client (a private copy, so a running
 * server's files are never rewritten), serve it with the given checkpoints on a free port, and
 * open Debian's chromium on it with playwright-core. Plus the small page helpers the browser
 * tests share (screenshots, heatmap cells and their values).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildClient } from '../../packages/ui/scripts/buildClient.ts';
import { loadServedModels, startServer, type RunningServer } from '@hooklens/ui/server';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export const haveChromium = existsSync(CHROMIUM);

export interface Dashboard {
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  /** A scratch directory for the test's files (removed by close). */
  profile: string;
  /** Messages of uncaught page errors and console errors, in order. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** Builds the client, serves `paths` and opens chromium at `viewport` (nothing is loaded yet). */
export async function openDashboard(paths: readonly string[], viewport = { width: 1500, height: 1000 }): Promise<Dashboard> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'hooklens-browser-'));
  const { outDir } = await buildClient({ quiet: true, outDir: join(profile, 'client') });
  const models = await loadServedModels({ paths });
  const server = await startServer({ models, port: 0, clientDir: outDir });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(join(profile, 'chromium'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, acceptDownloads: true });
  } catch (error) {
    // A browser that cannot start must not leave the server listening or the models loaded.
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
    context,
    page,
    profile,
    pageErrors,
    async close() {
      await context.close();
      await server.close();
      server.models.dispose();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/NAME.png. */
export const screenshot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** The cells of the heatmap with this test id. */
export const heatmapCells = (page: Page, testId: string): Locator => page.locator(`[data-testid="${testId}"] rect.cell`);

/** The heatmap's cell values, row by row ('' where a cell has none). */
// Runs in the page; typed structurally because the tests are checked without the DOM lib.
export const cellValues = (page: Page, testId: string) =>
  heatmapCells(page, testId).evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(name: string): string | null }).getAttribute('data-value') ?? ''));
