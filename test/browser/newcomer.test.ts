/**
 * What a newcomer sees, in a real browser, with only the models the repository ships (no
 * ../shared): the landing page's worked example, tooltips and legends that nothing clips, a long
 * prompt's labels that stay in view, readable thumbnails, imports that run, cancels that say so,
 * and captions that mean what they say. Screenshots go to test-artifacts/newcomer-*.png.
 * Skipped, with a message, when /usr/bin/chromium is missing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, cellValues, haveChromium, heatmapCells, openDashboard, screenshot, type Dashboard } from './harness.ts';

const shipped = (name: string) => fileURLToPath(new URL(`../../packages/core/models/${name}`, import.meta.url));
const IOI = 'When Mary and John went to the store , John gave a drink to';
// 40 distinct tokens of toy-induction's vocabulary, then the same 40 again: BOS + 80 = its whole context of 81.
const SEGMENT = Array.from({ length: 40 }, (_, i) => `t${(i * 7 + 3) % 60}`).join(' ');
const LONG = `${SEGMENT} ${SEGMENT}`;
const LONG_TOKENS = 81;

if (!haveChromium) console.warn(`skipping the newcomer browser tests: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`);

/** A DOM rectangle, as the page reports it (typed here: the tests are checked without the DOM lib). */
interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

type El = { getBoundingClientRect(): Box; parentElement: El | null };
type Win = { innerWidth: number; innerHeight: number; getComputedStyle(e: El): { overflowX: string; overflowY: string } };

/** The tooltip's box, the viewport, and the boxes of every ancestor that clips its overflow. */
const tooltipGeometry = (page: Page) =>
  page.locator('.tooltip').evaluate((tip) => {
    const el = tip as unknown as El;
    const win = globalThis as unknown as Win;
    const clippers: Box[] = [];
    for (let a = el.parentElement; a; a = a.parentElement) {
      const style = win.getComputedStyle(a);
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') clippers.push(a.getBoundingClientRect());
    }
    const r = el.getBoundingClientRect();
    return { tip: { left: r.left, top: r.top, right: r.right, bottom: r.bottom }, viewport: { width: win.innerWidth, height: win.innerHeight }, clippers };
  });

const inside = (inner: Box, outer: Box) => inner.left >= outer.left - 0.5 && inner.top >= outer.top - 0.5 && inner.right <= outer.right + 0.5 && inner.bottom <= outer.bottom + 0.5;

/** Each legend caption's right end against its <svg>'s width (the caption's real, rendered width). */
const captionFits = (page: Page, scope: string) =>
  page.locator(`${scope} text.legend-caption`).evaluateAll((els) =>
    els.map((e) => {
      const text = e as unknown as { textContent: string; getBBox(): { x: number; width: number }; ownerSVGElement: { width: { baseVal: { value: number } } } };
      const box = text.getBBox();
      return { text: text.textContent, left: box.x, right: box.x + box.width, svgWidth: text.ownerSVGElement.width.baseVal.value };
    }),
  );

describe.skipIf(!haveChromium)('the dashboard for a newcomer (shipped models only)', () => {
  let d: Dashboard;
  let page: Page;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, d.server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, unknown>;
  };
  const scrollChartToEnd = (chart: string) =>
    page.locator(`[data-testid="${chart}"] .chart-body`).evaluate((e) => {
      const body = e as unknown as { scrollLeft: number; scrollWidth: number; clientWidth: number };
      body.scrollLeft = body.scrollWidth;
      return body.scrollWidth > body.clientWidth;
    });

  beforeAll(async () => {
    d = await openDashboard([shipped('toy-ioi'), shipped('toy-induction')]);
    page = d.page;
  }, 240_000);
  afterAll(async () => d?.close());

  it('opens on a computed worked example for the first model: the logit lens on an indirect-object sentence', async () => {
    await page.goto(d.server.url);
    const lens = page.getByTestId('lens-heatmap');
    await lens.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('model-picker').inputValue()).toBe('toy-ioi');
    expect(await page.getByTestId('prompt-input').inputValue()).toBe(IOI);
    expect(await page.getByTestId('answer-input').inputValue()).toBe('Mary');
    expect(await page.getByTestId('wrong-input').inputValue()).toBe('John');
    expect(await page.getByTestId('example-note').textContent()).toContain('indirect object');
    // The shape is the model's (4 layers + final) × the tokens /api/tokenize counts.
    const { ids } = (await post('/api/tokenize', { model: 'toy-ioi', prompt: IOI })) as { ids: number[] };
    expect(await lens.getAttribute('data-rows')).toBe('5');
    expect(await lens.getAttribute('data-cols')).toBe(String(ids.length));
    // The final row's last cell is the model's own next-token prediction: the answer, as /api/run says.
    const run = (await post('/api/run', { model: 'toy-ioi', prompt: IOI, topK: 1 })) as { top: { text?: string; token: number }[][] };
    const lastCell = page.locator('[data-testid="lens-heatmap"] g.cells > g').nth(5 * ids.length - 1);
    expect(await lastCell.locator('text').textContent()).toBe('Mary');
    expect(JSON.stringify(run)).toContain('Mary');
    await page.mouse.move(0, 0);
    await screenshot(page, 'newcomer-01-landing');
  });

  it('says what a lower KL means: closer to the final layer, not more confident', async () => {
    await page.getByTestId('lens-stat').selectOption('kl');
    const caption = page.locator('[data-testid="lens-chart"] .chart-caption');
    await expect.poll(() => caption.textContent()).toContain("KL(final ‖ layer) (nats) (lower = closer to the final layer's prediction)");
    expect(await caption.textContent()).not.toContain('more confident');
    await page.getByTestId('lens-stat').selectOption('top');
  });

  it('keeps the component table’s caption the same before and after computing', async () => {
    await page.getByTestId('tab-components').click();
    const caption = page.locator('[data-testid="component-table"] .chart-caption');
    const before = await caption.textContent();
    expect(before).toContain('Ablation: Δ logit diff');
    await page.getByTestId('components-compute').click();
    await expect
      .poll(async () => (await page.locator('[data-testid="component-table"] tbody td[data-col="ablationClean"]').evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(n: string): string | null }).getAttribute('data-value')))).every((v) => v !== ''), { timeout: 120_000 })
      .toBe(true);
    expect(await caption.textContent()).toBe(before);
    // The three legends' captions (the DLA one is long with a wrong token) neither overlap nor leave their strip.
    const legends = await captionFits(page, '[data-testid="component-legend"]');
    expect(legends.map((l) => l.text)).toEqual(['DLA: logit[answer] − logit[wrong] (diverging, 0 = white)', 'ablation: Δ logit diff (diverging, 0 = white)', 'patching: normalised (diverging, 0 = white)']);
    legends.forEach((l, i) => {
      expect(l.right, l.text).toBeLessThanOrEqual(l.svgWidth);
      if (i > 0) expect(l.left, l.text).toBeGreaterThan(legends[i - 1].right);
    });
    await screenshot(page, 'newcomer-02-components');
  });

  it('runs an imported ablation as a link would, with the loss /api/ablate gives', async () => {
    await page.getByTestId('tab-lens').click();
    const experiment = { hooklens: 1, kind: 'ablation', model: { id: 'toy-ioi' }, tokenization: { prependBos: true, paddingSide: 'right' }, prompts: { prompts: [IOI] }, mode: 'zero', heads: [{ layer: 0, head: 3 }], mlps: [], metric: { type: 'logit-diff', answer: 'Mary', wrong: 'John' } };
    const file = join(d.profile, 'ablate-l0h3.json');
    await writeFile(file, JSON.stringify(experiment));
    await page.getByTestId('experiment-file').setInputFiles(file);
    await page.locator('[data-testid="view-ablation"]').waitFor();
    // Nothing is clicked: the import flags the ablation and it runs.
    await page.getByTestId('loss-ablated').waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).searchParams.get('ran')).toBe('ablate');
    const direct = (await post('/api/ablate', { model: 'toy-ioi', prompt: IOI, heads: [{ layer: 0, head: 3 }], mode: 'zero', answer: 'Mary', wrong: 'John' })) as { lossAblated: number };
    expect(Number(await page.getByTestId('loss-ablated').textContent())).toBeCloseTo(direct.lossAblated, 4);

    // An imported sweep fills the grid by itself too.
    const sweep = join(d.profile, 'sweep.json');
    const { heads: _heads, mlps: _mlps, ...rest } = experiment;
    await writeFile(sweep, JSON.stringify({ ...rest, kind: 'ablation-sweep' }));
    await page.getByTestId('experiment-file').setInputFiles(sweep);
    await expect.poll(async () => (await cellValues(page, 'ablation-heatmap')).filter((v) => v !== '').length, { timeout: 120_000 }).toBe(16);
    await page.mouse.move(0, 0);
    await screenshot(page, 'newcomer-03-imported-sweep');
  });

  it('says "cancelled" where a cancelled sweep’s progress bar was, until it runs again', async () => {
    await page.getByTestId('ablation-mode').selectOption('mean');
    // Hold the job's event stream so it is still running when cancel is clicked (as dashboard.test.ts does).
    const held: { abort(): Promise<void> }[] = [];
    await page.route('**/api/jobs/*/events', (route) => void held.push(route));
    await page.getByTestId('sweep-run').click();
    const bar = page.getByTestId('progress');
    await bar.waitFor();
    await bar.getByRole('button', { name: 'cancel' }).click();
    await expect.poll(() => page.getByTestId('progress').count()).toBe(0);
    expect(await page.getByTestId('cancelled').textContent()).toBe('sweep on the clean prompt: cancelled');
    await screenshot(page, 'newcomer-04-cancelled');
    await page.unroute('**/api/jobs/*/events');
    await Promise.all(held.map((route) => route.abort().catch(() => undefined)));
    await page.getByTestId('sweep-run').click();
    await expect.poll(async () => (await cellValues(page, 'ablation-heatmap')).filter((v) => v !== '').length, { timeout: 120_000 }).toBe(16);
    expect(await page.getByTestId('cancelled').count()).toBe(0);
  });

  it('on an 81-token prompt keeps the lens row labels and legend in view while the grid scrolls', async () => {
    await page.goto(`${d.server.url}?model=toy-induction&prompt=${encodeURIComponent(LONG)}`);
    const lens = page.getByTestId('lens-heatmap');
    await lens.waitFor({ timeout: 60_000 });
    expect(await lens.getAttribute('data-cols')).toBe(String(LONG_TOKENS));
    expect(await scrollChartToEnd('lens-chart')).toBe(true);
    const body = (await page.locator('[data-testid="lens-chart"] .chart-body').boundingBox())!;
    const view = { left: body.x, top: body.y, right: body.x + body.width, bottom: body.y + body.height };
    const boxes = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => (e as unknown as El).getBoundingClientRect()));
    // The chart's own labels have scrolled out of the frame; the pinned ones are inside it, on top (they take the pointer there).
    const original = await boxes('[data-testid="lens-heatmap"] text.row-label');
    const pinned = await boxes('[data-testid="lens-heatmap"] text.row-label-pinned');
    expect(original).toHaveLength(3);
    expect(original.every((b) => b.right < view.left)).toBe(true);
    expect(pinned).toHaveLength(3);
    for (const b of pinned) expect(inside(b, view), JSON.stringify(b)).toBe(true);
    const onTop = await page.locator('[data-testid="lens-heatmap"] text.row-label-pinned').first().evaluate((e) => {
      const r = (e as unknown as El).getBoundingClientRect();
      const hit = (globalThis as unknown as { document: { elementFromPoint(x: number, y: number): El | null } }).document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
      return (hit?.parentElement as unknown as { getAttribute(n: string): string | null } | null)?.getAttribute('class') ?? null;
    });
    expect(onTop).toBe('heatmap-pinned');
    for (const b of await boxes('[data-testid="lens-heatmap"] .legend-pinned')) expect(inside(b, view)).toBe(true);
    await screenshot(page, 'newcomer-05-long-lens-scrolled');
  });

  it('keeps a hover tooltip at the card’s right edge and bottom whole and inside the viewport', async () => {
    await page.setViewportSize({ width: 1100, height: 700 });
    await scrollChartToEnd('lens-chart');
    const last = heatmapCells(page, 'lens-heatmap').nth(3 * LONG_TOKENS - 1);
    // The cell at the bottom-right corner of the grid, scrolled to the bottom of the window.
    await last.evaluate((e) => {
      const r = (e as unknown as El).getBoundingClientRect();
      (globalThis as unknown as { scrollBy(x: number, y: number): void }).scrollBy(0, r.bottom - (globalThis as unknown as Win).innerHeight + 8);
    });
    await last.hover();
    await page.locator('.tooltip').waitFor();
    await expect.poll(async () => (await tooltipGeometry(page)).tip.left).toBeGreaterThan(0);
    const { tip, viewport, clippers } = await tooltipGeometry(page);
    const cell = (await last.boundingBox())!;
    expect(cell.x + cell.width).toBeGreaterThan(viewport.width - 200); // the pointer is near the right edge…
    expect(cell.y + cell.height).toBeGreaterThan(viewport.height - 60); // …and the bottom
    expect(inside(tip, { left: 0, top: 0, right: viewport.width, bottom: viewport.height }), JSON.stringify({ tip, viewport })).toBe(true);
    for (const clip of clippers) expect(inside(tip, clip), JSON.stringify({ tip, clip })).toBe(true);
    expect(await page.locator('.tooltip tr').count()).toBe(5);
    await screenshot(page, 'newcomer-06-tooltip-corner');
    await page.mouse.move(0, 0);
    await page.setViewportSize({ width: 1500, height: 1000 });
  });

  it('draws a one-head grid’s 81-token thumbnails at 2 px a token, with whole legend captions', async () => {
    await page.getByTestId('tab-attention').click();
    await page.getByTestId('attention-overlay').selectOption('induction');
    const thumbs = page.locator('[data-testid="pattern-grid"] .thumb');
    await expect.poll(() => thumbs.count(), { timeout: 60_000 }).toBe(2);
    await expect.poll(() => page.locator('[data-testid="pattern-grid"] .thumb text').count(), { timeout: 60_000 }).toBe(2);
    // Full resolution (not averaged down), each token at least 2 px.
    expect(await thumbs.first().getAttribute('data-cells')).toBe(String(LONG_TOKENS));
    expect((await thumbs.first().locator('rect.outline').boundingBox())!.width).toBeGreaterThanOrEqual(2 * LONG_TOKENS);
    expect(await page.locator('[data-testid="attention-grid"] .chart-caption').textContent()).not.toContain('averaged');
    const captions = await captionFits(page, '[data-testid="pattern-grid"]');
    expect(captions.map((c) => c.text)).toEqual(['attention probability', 'frame: induction score']);
    for (const c of captions) {
      expect(c.left, c.text).toBeGreaterThanOrEqual(0);
      expect(c.right, c.text).toBeLessThanOrEqual(c.svgWidth);
    }
    await screenshot(page, 'newcomer-07-one-head-grid');
  });

  it('opens the other model’s worked example from its button: induction, whose next token the model copies', async () => {
    await page.getByTestId('tab-lens').click();
    await page.getByTestId('example-open').click();
    await expect.poll(() => page.getByTestId('example-note').textContent()).toContain('induction');
    const prompt = await page.getByTestId('prompt-input').inputValue();
    const answer = await page.getByTestId('answer-input').inputValue();
    // 20 random tokens and the first 19 again (+ BOS): the answer is the 20th, which only copying predicts.
    const words = prompt.split(' ');
    expect(words).toHaveLength(39);
    expect(words.slice(20)).toEqual(words.slice(0, 19));
    expect(answer).toBe(words[19]);
    const lens = page.getByTestId('lens-heatmap');
    await expect.poll(() => lens.getAttribute('data-cols'), { timeout: 60_000 }).toBe('40');
    const last = page.locator('[data-testid="lens-heatmap"] g.cells > g').nth(3 * 40 - 1);
    await expect.poll(() => last.locator('text').textContent(), { timeout: 60_000 }).toBe(answer);
    await page.mouse.move(0, 0);
    await screenshot(page, 'newcomer-08-induction-example');
  });

  it('logged no page errors', () => {
    expect(d.pageErrors).toEqual([]);
  });
});
