/**
 * The dashboard end to end in a real browser: build the client (once), start the real
 * server on a free port with stories260K, drive Debian's chromium with playwright-core and
 * check each view against the model's shape. Screenshots go to test-artifacts/ (gitignored).
 * Skipped, with a message, when /usr/bin/chromium is missing (CI installs it: .ci/run), and
 * without stories260K (test/fixtures/testModels.ts).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseExperimentText } from '@hooklens/hooks/experiment-schema';
import type { Page } from 'playwright-core';
import type { RunningServer } from '@hooklens/ui/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, cellValues, haveChromium, heatmapCells, openDashboard, screenshot, type Dashboard } from './harness.ts';
import { TEST_MODELS } from '../fixtures/testModels.ts';

const STORIES = TEST_MODELS.stories260K?.bin ?? '';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// An IOI-like pair for stories260K: " Tim" and " Lily" are single tokens; both prompts have 20 tokens.
const CLEAN = 'Lily and Tim went to the park. Lily gave the ball to';
const CORRUPTED = 'Lily and Tim went to the park. Tim gave the ball to';
const TOKENS = 20;
const N_LAYERS = 5;
const N_HEADS = 8;

if (!haveChromium) console.warn(`skipping the dashboard browser tests: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`);

describe.skipIf(!haveChromium || !STORIES)('dashboard in chromium', () => {
  let dashboard: Dashboard;
  let server: RunningServer;
  let page: Page;
  let profile: string;

  const shot = (name: string) => screenshot(page, name);
  const cells = (testId: string) => heatmapCells(page, testId);
  const dataValues = (testId: string) => cellValues(page, testId);
  const numbers = async (testId: string) => (await dataValues(testId)).map(Number);
  /** A component table column, top to bottom as shown ('' where there is no value). */
  const tableColumn = (column: string) =>
    page.locator(`[data-testid="component-table"] tbody td[data-col="${column}"]`).evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(name: string): string | null }).getAttribute('data-value') ?? ''));
  /** The loss /api/run reports for a prompt: an endpoint independent of the ablation code. */
  const runLoss = async (prompt: string) => {
    const res = await fetch(new URL('/api/run', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'stories260K', prompt }) });
    return ((await res.json()) as { loss: number }).loss;
  };

  beforeAll(async () => {
    dashboard = await openDashboard([STORIES]);
    ({ server, page, profile } = dashboard);
  }, 240_000);

  afterAll(async () => dashboard?.close());

  it('shows the model in the header and the prompt as token chips', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('model-picker').inputValue()).toBe('stories260K');
    expect(await page.getByTestId('param-count').textContent()).toMatch(/K$/);
    // The server runs the default engine, onnx, and the header says so as /api/health does.
    const health = (await (await fetch(new URL('/api/health', server.url))).json()) as { backend: string };
    expect(health.backend).toMatch(/^onnx \(CPU, \d+ threads?\)$/);
    expect(await page.getByTestId('engine').textContent()).toBe(health.backend);
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
    // The score frames have their own legend beside the attention one.
    expect(await page.locator('[data-testid="pattern-grid"] g.legend').count()).toBe(2);
    expect(await page.locator('[data-testid="pattern-grid"] g.legend').nth(1).textContent()).toContain('frame: induction score');
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
    const clean = Number(await page.getByTestId('loss-unablated').textContent());
    const ablated = Number(await page.getByTestId('loss-ablated').textContent());
    expect(clean).toBeGreaterThan(0);
    expect(clean).toBeCloseTo(await runLoss(CLEAN), 4);
    expect(ablated).not.toBe(clean);
    expect(page.url()).toContain('ablate=0.0%2C1.3');
    await shot('03-ablation');
  });

  it('sweeps all heads as a job with progress and fills the grid', async () => {
    const progress = page.getByTestId('progress').waitFor({ timeout: 30_000 });
    await page.getByTestId('sweep-run').click();
    await progress;
    await expect
      .poll(async () => (await dataValues('ablation-heatmap')).filter((v) => v !== '').length, { timeout: 120_000 })
      .toBe(N_LAYERS * N_HEADS);
    expect(await page.getByTestId('progress').count()).toBe(0);
    // Signed effects: a diverging scale.
    expect(await page.locator('[data-testid="ablation-heatmap"] g.legend').getAttribute('data-scale')).toBe('diverging');
    await shot('04-ablation-sweep');
  });

  it('records the ablation and the sweep in the URL: a reload reruns both by itself, editing the prompt unflags them', async () => {
    const swept = await dataValues('ablation-heatmap');
    const lossDelta = await page.getByTestId('loss-delta').textContent();
    const ran = () => new URL(page.url()).searchParams.get('ran');
    expect(ran()).toBe('ablate,sweep');
    await page.goto(page.url());
    // Nothing is clicked: the flags start the sweep (with its progress bar) and the ablation.
    await page.getByTestId('progress').waitFor({ timeout: 30_000 });
    await expect.poll(() => dataValues('ablation-heatmap'), { timeout: 120_000 }).toEqual(swept);
    await page.getByTestId('loss-delta').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('loss-delta').textContent()).toBe(lossDelta);
    expect(await page.getByTestId('progress').count()).toBe(0);
    // A flag claims a result for the inputs it was computed on: a new prompt drops it from the URL at once.
    await page.getByTestId('prompt-input').fill(`${CLEAN} the`);
    await expect.poll(ran).toBeNull();
    await page.getByTestId('prompt-input').fill(CLEAN);
    await expect.poll(() => new URL(page.url()).searchParams.get('prompt')).toBe(CLEAN);
    expect(ran()).toBeNull();
    // The page still holds the results for this prompt: the grid shows them again.
    await expect.poll(() => dataValues('ablation-heatmap'), { timeout: 30_000 }).toEqual(swept);
  });

  it('cancels a sweep from its progress bar: the grid stays empty, and a later run completes', async () => {
    // Mean ablation is a new request (nothing stored for it), so the grid starts empty.
    await page.getByTestId('ablation-mode').selectOption('mean');
    await expect.poll(async () => (await dataValues('ablation-heatmap')).every((v) => v === '')).toBe(true);
    // Hold the job's event stream so the job is still "running" for the page when cancel is clicked,
    // however fast this machine finishes it (the server side of cancelling is in the API tests).
    const held: { abort(): Promise<void> }[] = [];
    await page.route('**/api/jobs/*/events', (route) => void held.push(route));
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && /\/api\/jobs\/[^/]+$/.test(r.url()));
    await page.getByTestId('sweep-run').click();
    const bar = page.getByTestId('progress');
    await bar.waitFor();
    expect(await bar.getByRole('progressbar').count()).toBe(1);
    expect(await page.getByTestId('sweep-run').isDisabled()).toBe(true);
    await bar.getByRole('button', { name: 'cancel' }).click();
    expect((await deleted).status()).toBe(200);
    await expect.poll(() => page.getByTestId('progress').count()).toBe(0);
    // Cancelled: a link no longer claims the sweep.
    expect(new URL(page.url()).searchParams.get('ran')).toBeNull();
    expect(await page.getByTestId('error').count()).toBe(0);
    expect((await dataValues('ablation-heatmap')).every((v) => v === '')).toBe(true);
    expect(await page.locator('[data-testid="ablation-heatmap"] g.legend').textContent()).toContain('run the sweep');
    await page.unroute('**/api/jobs/*/events');
    await Promise.all(held.map((route) => route.abort().catch(() => undefined)));
    // The same sweep again, now followed to its end.
    await page.getByTestId('sweep-run').click();
    await expect
      .poll(async () => (await dataValues('ablation-heatmap')).filter((v) => v !== '').length, { timeout: 120_000 })
      .toBe(N_LAYERS * N_HEADS);
    await page.getByTestId('ablation-mode').selectOption('zero');
  });

  it('runs activation patching from clean into corrupted to completion', async () => {
    await page.getByTestId('corrupted-input').fill(CORRUPTED);
    await page.getByTestId('answer-input').fill(' Tim');
    await page.getByTestId('wrong-input').fill(' Lily');
    await page.getByTestId('tab-patching').click();
    await expect.poll(() => page.locator('[data-testid="patch-corrupted-tokens"] .chip-diff').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('patch-run').isEnabled(), { timeout: 10_000 }).toBe(true);
    // The progress bar shows in the result's frame while the job runs.
    const progress = page.locator('[data-testid="patching-chart"] [data-testid="progress"] [role="progressbar"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('patch-run').click();
    await progress;
    await expect.poll(() => cells('patching-heatmap').count(), { timeout: 120_000 }).toBe(N_LAYERS * TOKENS);
    // Patching the whole residual stream at the first layer, at the one differing position, restores the clean run exactly.
    const diffPos = 12;
    expect(Number(await cells('patching-heatmap').nth(diffPos).getAttribute('data-value'))).toBeCloseTo(1, 3);
    await cells('patching-heatmap').nth(diffPos).click();
    await page.getByTestId('patch-cell-value').waitFor();
    await page.mouse.move(0, 0);
    await shot('05-patching');
    // The run is in the URL: the same link fills the heatmap again by itself, with the same values.
    const patched = await dataValues('patching-heatmap');
    expect(new URL(page.url()).searchParams.get('ran')).toBe('patch');
    await page.goto(page.url());
    await expect.poll(() => dataValues('patching-heatmap'), { timeout: 120_000 }).toEqual(patched);
    await page.getByTestId('patch-cell-value').waitFor();
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

  it('shows clean, corrupted and clean − corrupted side by side in the lens and the attention view', async () => {
    await page.getByTestId('tab-lens').click();
    await page.getByTestId('lens-run').selectOption('side');
    expect(new URL(page.url()).searchParams.get('run')).toBe('side');
    const cellCount = (N_LAYERS + 1) * TOKENS;
    for (const panel of ['clean', 'corrupted', 'diff']) await expect.poll(() => cells(`lens-heatmap-${panel}`).count(), { timeout: 60_000 }).toBe(cellCount);
    const [clean, corrupted, diff] = await Promise.all(['clean', 'corrupted', 'diff'].map((panel) => numbers(`lens-heatmap-${panel}`)));
    // The prompts agree up to the first differing token (position 12): the two runs are identical there and Δ is exactly 0.
    for (let layer = 0; layer <= N_LAYERS; layer++) {
      for (let pos = 0; pos < 12; pos++) {
        const cell = layer * TOKENS + pos;
        expect(corrupted[cell], `layer ${layer} pos ${pos}`).toBe(clean[cell]);
        expect(diff[cell]).toBe(0);
      }
    }
    // After it the answer's probability differs, and Δ is the two panels' difference cell by cell.
    expect(diff[cellCount - 1]).not.toBe(0);
    diff.forEach((d, cell) => expect(d, `cell ${cell}`).toBeCloseTo(clean[cell] - corrupted[cell], 12));
    // Probabilities on a fixed [0, 1] ramp; the difference on a diverging scale around 0.
    expect(await page.locator('[data-testid="lens-heatmap-clean"] g.legend').getAttribute('data-scale')).toBe('sequential');
    expect(await page.locator('[data-testid="lens-heatmap-diff"] g.legend').getAttribute('data-scale')).toBe('diverging');
    // A side-by-side view is three runs: not one experiment to export.
    expect(await page.getByTestId('experiment-export').isDisabled()).toBe(true);
    await page.mouse.move(0, 0);
    await shot('06c-lens-side-by-side');
    // The logit difference is signed: diverging in every panel, not only in Δ.
    await page.getByTestId('lens-stat').selectOption('logitdiff');
    await page.locator('[data-testid="lens-heatmap-clean"] g.legend[data-scale="diverging"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="lens-heatmap-corrupted"] g.legend').getAttribute('data-scale')).toBe('diverging');
    await page.getByTestId('lens-stat').selectOption('target');

    await page.getByTestId('tab-attention').click();
    expect(await page.getByTestId('attention-run').inputValue()).toBe('side');
    for (const panel of ['clean', 'corrupted', 'diff']) {
      await expect.poll(() => page.locator(`[data-testid="pattern-grid-${panel}"] .thumb`).count(), { timeout: 60_000 }).toBe(N_LAYERS * N_HEADS);
      await expect.poll(() => cells(`pattern-heatmap-${panel}`).count(), { timeout: 60_000 }).toBe(TOKENS * TOKENS);
    }
    const [a, b, d] = await Promise.all(['clean', 'corrupted', 'diff'].map((panel) => numbers(`pattern-heatmap-${panel}`)));
    // Queries before the differing token see identical prefixes: identical patterns, Δ exactly 0; each clean row sums to 1.
    expect(d.slice(0, 12 * TOKENS).every((v) => v === 0)).toBe(true);
    expect(a.slice(0, 12 * TOKENS)).toEqual(b.slice(0, 12 * TOKENS));
    expect(a.slice(15 * TOKENS, 16 * TOKENS).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4);
    d.forEach((v, i) => expect(v, `cell ${i}`).toBeCloseTo(a[i] - b[i], 12));
    await page.mouse.move(0, 0);
    await shot('06d-attention-side-by-side');
  });

  it('ablates heads on the corrupted prompt, shows the difference of the two runs’ effects, and sweeps both', async () => {
    await page.getByTestId('tab-ablation').click();
    expect(await page.getByTestId('ablation-run').inputValue()).toBe('side');
    await page.getByTestId('ablation-run').selectOption('corrupted');
    expect(await page.locator('[data-testid="ablation-heatmap"] rect.marked').count()).toBe(1); // L2H5, from the imported experiment
    await page.getByTestId('ablate-run').click();
    const summary = page.getByTestId('ablation-summary');
    await summary.getByTestId('loss-delta').waitFor({ timeout: 60_000 });
    // The unablated corrupted run is what /api/run says about the corrupted prompt.
    expect(Number(await summary.getByTestId('loss-unablated').textContent())).toBeCloseTo(await runLoss(CORRUPTED), 4);

    await page.getByTestId('ablation-run').selectOption('side');
    await page.getByTestId('ablate-run').click();
    await page.getByTestId('diff-loss-delta').waitFor({ timeout: 60_000 });
    const shown = async (panel: string, id: string) => Number(await page.getByTestId(`ablation-summary-${panel}`).getByTestId(id).textContent());
    const [cleanLoss, corruptedLoss] = [await shown('clean', 'loss-delta'), await shown('corrupted', 'loss-delta')];
    const [cleanMetric, corruptedMetric] = [await shown('clean', 'metric-delta'), await shown('corrupted', 'metric-delta')];
    expect(cleanLoss).not.toBe(corruptedLoss);
    expect(Number(await page.getByTestId('diff-loss-delta').textContent())).toBeCloseTo(cleanLoss - corruptedLoss, 3);
    expect(Number(await page.getByTestId('diff-metric-delta').textContent())).toBeCloseTo(cleanMetric - corruptedMetric, 3);

    // The sweep runs on both prompts (two jobs, each with its progress bar) and fills all three grids.
    const progress = page.getByTestId('progress').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('sweep-run').click();
    await progress;
    for (const panel of ['clean', 'corrupted', 'diff']) {
      await expect.poll(async () => (await dataValues(`ablation-heatmap-${panel}`)).filter((v) => v !== '').length, { timeout: 120_000 }).toBe(N_LAYERS * N_HEADS);
    }
    const [sc, sk, sd] = await Promise.all(['clean', 'corrupted', 'diff'].map((panel) => numbers(`ablation-heatmap-${panel}`)));
    sd.forEach((v, i) => expect(v, `head ${i}`).toBeCloseTo(sc[i] - sk[i], 12));
    // The sweep's L2H5 is the single ablation of L2H5 (a separate endpoint), on each prompt.
    const l2h5 = 2 * N_HEADS + 5;
    expect(sc[l2h5]).toBeCloseTo(cleanMetric, 3);
    expect(sk[l2h5]).toBeCloseTo(corruptedMetric, 3);
    for (const panel of ['clean', 'corrupted', 'diff']) expect(await page.locator(`[data-testid="ablation-heatmap-${panel}"] g.legend`).getAttribute('data-scale')).toBe('diverging');
    await page.mouse.move(0, 0);
    await shot('06e-ablation-side-by-side');
  });

  it('fills the component table for both prompts and their difference, sorts it, and keeps the whole view in the URL', async () => {
    await page.getByTestId('tab-components').click();
    await page.getByTestId('components-compute').click();
    await expect.poll(() => page.locator('[data-testid="component-table"] tbody tr').count()).toBe(N_LAYERS * (N_HEADS + 1));
    for (const column of ['dlaClean', 'dlaCorrupted', 'ablationCorrupted', 'ablationDelta', 'patching']) {
      await expect.poll(async () => (await tableColumn(column)).every((v) => v !== ''), { timeout: 120_000 }).toBe(true);
    }
    const column = async (name: string) => (await tableColumn(name)).map(Number);
    const [dc, dk, dd, ac, ak, ad] = await Promise.all(['dlaClean', 'dlaCorrupted', 'dlaDelta', 'ablationClean', 'ablationCorrupted', 'ablationDelta'].map(column));
    dd.forEach((v, i) => expect(v, `row ${i}`).toBeCloseTo(dc[i] - dk[i], 12));
    ad.forEach((v, i) => expect(v, `row ${i}`).toBeCloseTo(ac[i] - ak[i], 12));
    // Row order is by clean DLA (the default sort), highest first.
    expect(dc).toEqual([...dc].sort((x, y) => y - x));
    // Any column sorts: Δ ablation, highest first, then lowest first.
    await page.getByTestId('sort-ablationDelta').click();
    expect(new URL(page.url()).searchParams.get('sort')).toBe('ablationDelta');
    const byDelta = await column('ablationDelta');
    expect(byDelta).toEqual([...byDelta].sort((x, y) => y - x));
    await page.getByTestId('sort-ablationDelta').click();
    const ascending = await column('ablationDelta');
    expect(ascending).toEqual([...ascending].sort((x, y) => x - y));
    // One diverging legend per group of columns; a table has no SVG to export, only its data.
    expect(await page.locator('[data-testid="component-legend"] g.legend[data-scale="diverging"]').count()).toBe(3);
    expect(await page.locator('[data-testid="component-table"] .export button').allTextContents()).toEqual(['CSV', 'JSON']);
    await shot('07-components');
    const url = page.url();
    expect(new URL(url).searchParams.get('ran')).toContain('components');
    const shown = await Promise.all(['ablationDelta', 'patching'].map(tableColumn));
    await page.goto(url);
    await page.getByTestId('component-table').waitFor({ timeout: 30_000 });
    // The link reruns the table's ablation and patching effects by itself, in the same order.
    await expect.poll(() => Promise.all(['ablationDelta', 'patching'].map(tableColumn)), { timeout: 120_000 }).toEqual(shown);
    expect(await page.getByTestId('prompt-input').inputValue()).toBe(CLEAN);
    expect(await page.getByTestId('corrupted-input').inputValue()).toBe(CORRUPTED);
    expect(await page.getByTestId('answer-input').inputValue()).toBe(' Tim');
    // A row action opens the head's pattern in the attention view.
    await page.locator('[data-testid="component-L1H2"] button', { hasText: 'pattern' }).click();
    // The view keeps the side-by-side run choice from the URL.
    await expect.poll(() => cells('pattern-heatmap-clean').count(), { timeout: 60_000 }).toBe(TOKENS * TOKENS);
    expect(new URL(page.url()).searchParams.get('head')).toBe('1.2');
  });

  it('logged no page errors', () => {
    expect(dashboard.pageErrors).toEqual([]);
  });

  // Last: the browser logs the failed request below as a console error.
  it('shows an API error in the view that asked, naming the box, and keeps the rest of the view', async () => {
    await page.getByTestId('tab-lens').click();
    await page.getByTestId('lens-run').selectOption('clean');
    await page.getByTestId('lens-stat').selectOption('target');
    await page.getByTestId('answer-input').fill('Tim Lily');
    // The answer probability needs the answer token: its chart says why it cannot be drawn, naming the answer box.
    const error = page.locator('[data-testid="lens-chart"] [data-testid="error"]');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(/^answer "Tim Lily" is 2 tokens/);
    expect(await page.getByTestId('lens-stat').isEnabled()).toBe(true);
    await shot('08-error');
    // Every statistic that does not need it still shows, with the problem still reported above.
    await page.getByTestId('lens-stat').selectOption('entropy');
    await expect.poll(() => cells('lens-heatmap').count(), { timeout: 30_000 }).toBe((N_LAYERS + 1) * TOKENS);
    expect(await page.getByTestId('error').first().textContent()).toMatch(/^answer "Tim Lily" is 2 tokens/);
    await shot('08b-error-rest-of-lens');
  });
});
