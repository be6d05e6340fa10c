/**
 * The dashboard end to end in a real browser: build the client (once), start the real
 * server on a free port with stories260K, drive Debian's chromium with playwright-core and
 * check each view against the model's shape. Screenshots go to test-artifacts/ (gitignored).
 * Skipped, with a message, when /usr/bin/chromium is missing (CI installs it: .ci/run).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseExperimentText } from '@hooklens/hooks/experiment-schema';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../packages/ui/scripts/buildClient.ts';
import { loadServedModels, startServer, type RunningServer } from '@hooklens/ui/server';

const CHROMIUM = '/usr/bin/chromium';
const STORIES = fileURLToPath(new URL('../../../shared/models/stories260K/stories260K.bin', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

// An IOI-like pair for stories260K: " Tim" and " Lily" are single tokens; both prompts have 20 tokens.
const CLEAN = 'Lily and Tim went to the park. Lily gave the ball to';
const CORRUPTED = 'Lily and Tim went to the park. Tim gave the ball to';
const TOKENS = 20;
const N_LAYERS = 5;
const N_HEADS = 8;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`skipping the dashboard browser tests: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('dashboard in chromium', () => {
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const cells = (testId: string) => page.locator(`[data-testid="${testId}"] rect.cell`);
  // Runs in the page; typed structurally because this file is checked without the DOM lib.
  const dataValues = (testId: string) => cells(testId).evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(name: string): string | null }).getAttribute('data-value') ?? ''));

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'hooklens-browser-'));
    // A private build: the test never rewrites packages/ui/dist/client under a running server.
    const { outDir } = await buildClient({ quiet: true, outDir: join(profile, 'client') });
    const models = await loadServedModels({ paths: [STORIES] });
    server = await startServer({ models, port: 0, clientDir: outDir });
    context = await chromium.launchPersistentContext(join(profile, 'chromium'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1500, height: 1000 }, acceptDownloads: true });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    server?.models.dispose();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the model in the header and the prompt as token chips', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('model-picker').inputValue()).toBe('stories260K');
    expect(await page.getByTestId('param-count').textContent()).toMatch(/K$/);
    await page.getByTestId('prompt-input').fill(CLEAN);
    await expect.poll(() => page.locator('[data-testid="prompt-tokens"] .chip').count(), { timeout: 30_000 }).toBe(TOKENS);
  });

  it('runs the logit lens: one row per layer (+ final), one column per position', async () => {
    const lens = page.getByTestId('lens-heatmap');
    await lens.waitFor({ timeout: 60_000 });
    expect(await lens.getAttribute('data-rows')).toBe(String(N_LAYERS + 1));
    expect(await lens.getAttribute('data-cols')).toBe(String(TOKENS));
    expect(await cells('lens-heatmap').count()).toBe((N_LAYERS + 1) * TOKENS);
    // The final row is the model's own prediction: its top-token probabilities are real numbers in (0, 1].
    const value = Number(await cells('lens-heatmap').nth(N_LAYERS * TOKENS + TOKENS - 1).getAttribute('data-value'));
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThanOrEqual(1);
    await cells('lens-heatmap').nth(N_LAYERS * TOKENS + 3).hover();
    await page.locator('.tooltip').waitFor();
    expect(await page.locator('.tooltip tr').count()).toBe(5);
    await cells('lens-heatmap').nth(2 * TOKENS + 5).click();
    await page.getByTestId('lens-distribution').waitFor();
    await page.mouse.move(0, 0);
    await shot('01-logit-lens');
    // Another colour statistic: entropy is non-negative.
    await page.getByTestId('lens-stat').selectOption('entropy');
    await expect.poll(async () => Number(await cells('lens-heatmap').first().getAttribute('data-value'))).toBeGreaterThan(0);
  });

  it('opens a head from the attention grid', async () => {
    await page.getByTestId('tab-attention').click();
    const thumbs = page.locator('[data-testid="pattern-grid"] .thumb');
    await expect.poll(() => thumbs.count(), { timeout: 60_000 }).toBe(N_LAYERS * N_HEADS);
    await page.locator('[data-testid="pattern-grid"] .thumb[data-layer="1"][data-head="2"]').click();
    await expect.poll(() => cells('pattern-heatmap').count(), { timeout: 60_000 }).toBe(TOKENS * TOKENS);
    // Causal attention: a query never attends to a later key, and each row sums to 1.
    const row3 = await Promise.all(Array.from({ length: TOKENS }, (_, k) => cells('pattern-heatmap').nth(3 * TOKENS + k).getAttribute('data-value')));
    const values = row3.map(Number);
    expect(values.slice(4).every((v) => v === 0)).toBe(true);
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await page.getByTestId('attention-overlay').selectOption('induction');
    await expect.poll(() => page.locator('[data-testid="pattern-grid"] .thumb text').count(), { timeout: 60_000 }).toBe(N_LAYERS * N_HEADS);
    await shot('02-attention');
  });

  it('ablates two heads and shows the loss change beside the clean run', async () => {
    await page.getByTestId('tab-ablation').click();
    await expect.poll(() => cells('ablation-heatmap').count()).toBe(N_LAYERS * N_HEADS);
    await cells('ablation-heatmap').nth(0).click(); // L0H0
    await cells('ablation-heatmap').nth(N_HEADS + 3).click(); // L1H3
    expect(await page.locator('[data-testid="ablation-heatmap"] rect.marked').count()).toBe(2);
    await page.getByTestId('ablate-run').click();
    await page.getByTestId('loss-delta').waitFor({ timeout: 60_000 });
    const clean = Number(await page.getByTestId('loss-clean').textContent());
    const ablated = Number(await page.getByTestId('loss-ablated').textContent());
    expect(clean).toBeGreaterThan(0);
    expect(ablated).not.toBe(clean);
    expect(page.url()).toContain('ablate=0.0%2C1.3');
    await shot('03-ablation');
  });

  it('sweeps all heads as a job with progress and fills the grid', async () => {
    await page.getByTestId('sweep-run').click();
    await expect
      .poll(async () => (await dataValues('ablation-heatmap')).filter((v) => v !== '').length, { timeout: 120_000 })
      .toBe(N_LAYERS * N_HEADS);
    await shot('04-ablation-sweep');
  });

  it('runs activation patching from clean into corrupted to completion', async () => {
    await page.getByTestId('corrupted-input').fill(CORRUPTED);
    await page.getByTestId('answer-input').fill(' Tim');
    await page.getByTestId('wrong-input').fill(' Lily');
    await page.getByTestId('tab-patching').click();
    await expect.poll(() => page.locator('[data-testid="patch-corrupted-tokens"] .chip-diff').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('patch-run').isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByTestId('patch-run').click();
    await expect.poll(() => cells('patching-heatmap').count(), { timeout: 120_000 }).toBe(N_LAYERS * TOKENS);
    // Patching the whole residual stream at the first layer, at the one differing position, restores the clean run exactly.
    const diffPos = 12;
    expect(Number(await cells('patching-heatmap').nth(diffPos).getAttribute('data-value'))).toBeCloseTo(1, 3);
    await cells('patching-heatmap').nth(diffPos).click();
    await page.getByTestId('patch-cell-value').waitFor();
    await shot('05-patching');
  });

  it('exports the patching view as an experiment file that `hooklens run` replays to the same grid', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('experiment-export').click()]);
    expect(download.suggestedFilename()).toBe('patching-stories260K.json');
    const file = join(profile, 'patching-stories260K.json');
    await download.saveAs(file);
    const experiment = parseExperimentText(await readFile(file, 'utf8'), file);
    expect(experiment).toMatchObject({ kind: 'patching', model: { id: 'stories260K' }, prompts: { clean: CLEAN, corrupted: CORRUPTED }, patch: { kind: 'resid_pre' }, metric: { answer: ' Tim', wrong: ' Lily' } });
    // The server names the model by its file; the CLI is told where that file is.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', 'run', file, '--model', STORIES], { cwd: ROOT });
    const replayed = (JSON.parse(stdout) as { result: { values: number[][] } }).result.values.flat();
    const shown = (await dataValues('patching-heatmap')).map(Number);
    expect(shown).toHaveLength(N_LAYERS * TOKENS);
    shown.forEach((value, cell) => expect(value, `cell ${cell}`).toBeCloseTo(replayed[cell], 5));
  }, 120_000);

  it('imports an experiment the CLI saved into the matching view, and refuses one it cannot show, naming the field', async () => {
    const saved = { hooklens: 1, kind: 'ablation', model: { id: STORIES }, tokenization: { prependBos: true, paddingSide: 'right' }, prompts: { prompts: [CLEAN] }, mode: 'zero', heads: [{ layer: 2, head: 5 }], mlps: [], metric: { type: 'logit-diff', answer: ' Tim', wrong: ' Lily' } };
    const file = join(profile, 'ablate.json');
    await writeFile(file, JSON.stringify(saved));
    await page.getByTestId('experiment-file').setInputFiles(file);
    await expect.poll(() => page.getByTestId('experiment-notice').textContent()).toContain('imported ablate.json');
    await page.locator('[data-testid="view-ablation"]').waitFor();
    expect(new URL(page.url()).searchParams.get('ablate')).toBe('2.5');
    expect(await page.locator('[data-testid="ablation-heatmap"] rect.marked').count()).toBe(1);
    expect(await page.getByTestId('prompt-input').inputValue()).toBe(CLEAN);

    const resample = join(profile, 'resample.json');
    await writeFile(resample, JSON.stringify({ ...saved, mode: 'resample' }));
    await page.getByTestId('experiment-file').setInputFiles(resample);
    await expect.poll(() => page.getByTestId('experiment-notice').textContent()).toContain('resample.json: experiment.mode');
    expect(new URL(page.url()).searchParams.get('mode')).toBeNull(); // the view did not change
    const misspelt = join(profile, 'misspelt.json');
    await writeFile(misspelt, JSON.stringify({ ...saved, head: [] }));
    await page.getByTestId('experiment-file').setInputFiles(misspelt);
    await expect.poll(() => page.getByTestId('experiment-notice').textContent()).toContain('misspelt.json: experiment: unknown field "head"');
    await shot('05b-experiment-import');
    // The component table is several runs, not one experiment: its export says so instead of writing a partial file.
    await page.getByTestId('tab-components').click();
    expect(await page.getByTestId('experiment-export').isDisabled()).toBe(true);
    expect(await page.getByTestId('experiment-export').getAttribute('title')).toContain('component table');
  });

  it('shows clean − corrupted in the logit lens and exports the chart', async () => {
    await page.getByTestId('tab-lens').click();
    await page.getByTestId('lens-stat').selectOption('target');
    await page.getByTestId('lens-run').selectOption('diff');
    await page.locator('[data-testid="lens-heatmap"] g.legend[data-scale="diverging"]').waitFor({ timeout: 60_000 });
    // Before the differing position the two prompts are identical, so Δ is exactly 0 there.
    expect(Number(await cells('lens-heatmap').nth(5).getAttribute('data-value'))).toBe(0);
    expect(Math.abs(Number(await cells('lens-heatmap').nth(N_LAYERS * TOKENS + TOKENS - 1).getAttribute('data-value')))).toBeGreaterThan(0);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="lens-chart"] .export button', { hasText: 'CSV' }).click()]);
    const text = await readFile(await csv.path(), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(N_LAYERS + 2); // header + one row per layer + final
    const [svg] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="lens-chart"] .export button', { hasText: 'SVG' }).click()]);
    expect(await readFile(await svg.path(), 'utf8')).toMatch(/^<\?xml[\s\S]*<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    await page.mouse.move(0, 0);
    await shot('06-lens-diff');
    // The attention view shares the run choice: clean − corrupted patterns, zero before the differing token.
    await page.getByTestId('tab-attention').click();
    expect(await page.getByTestId('attention-run').inputValue()).toBe('diff');
    await expect.poll(() => page.locator('[data-testid="attention-detail"] h3').textContent(), { timeout: 60_000 }).toContain('clean − corrupted');
    await expect.poll(() => cells('pattern-heatmap').count(), { timeout: 60_000 }).toBe(TOKENS * TOKENS);
    const diffs = (await dataValues('pattern-heatmap')).map(Number);
    expect(diffs.slice(0, 12 * TOKENS).every((v) => v === 0)).toBe(true);
    expect(diffs.slice(12 * TOKENS).some((v) => v !== 0)).toBe(true);
    await shot('06b-attention-diff');
  });

  it('fills the component table and keeps the whole view in the URL', async () => {
    await page.getByTestId('tab-components').click();
    await page.getByTestId('components-compute').click();
    await expect.poll(() => page.locator('[data-testid="component-table"] tbody tr').count()).toBe(N_LAYERS * (N_HEADS + 1));
    await expect
      .poll(() => page.locator('[data-testid="component-L0H0"] td').nth(3).textContent(), { timeout: 120_000 })
      .not.toBe('—');
    await shot('07-components');
    const url = page.url();
    await page.goto(url);
    await page.getByTestId('component-table').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('prompt-input').inputValue()).toBe(CLEAN);
    expect(await page.getByTestId('corrupted-input').inputValue()).toBe(CORRUPTED);
    expect(await page.getByTestId('answer-input').inputValue()).toBe(' Tim');
    // A row action opens the head's pattern in the attention view.
    await page.locator('[data-testid="component-L1H2"] button', { hasText: 'pattern' }).click();
    await expect.poll(() => cells('pattern-heatmap').count(), { timeout: 60_000 }).toBe(TOKENS * TOKENS);
    expect(new URL(page.url()).searchParams.get('head')).toBe('1.2');
  });

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([]);
  });

  // Last: the browser logs the failed request below as a console error.
  it('shows an API error in the view that asked, naming the problem', async () => {
    await page.getByTestId('tab-lens').click();
    await page.getByTestId('answer-input').fill('Tim Lily');
    const error = page.getByTestId('error').first();
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(/token/);
    await shot('08-error');
  });
});
