/**
 * No silent <unk> in the dashboard, with the two shipped word-level models: prompt chips the
 * model reads as its unknown token are marked, with a line naming the words; switching the model
 * re-tokenises and marks what the new vocabulary lacks; an answer the model does not know is an
 * error in the view, not a logit difference. Skipped, with a message, without /usr/bin/chromium.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, CHROMIUM, openDashboard, screenshot, type Dashboard } from './harness.ts';

const TOY_IOI = fileURLToPath(new URL('../../packages/core/models/toy-ioi', import.meta.url));
const TOY_INDUCTION = fileURLToPath(new URL('../../packages/core/models/toy-induction', import.meta.url));
// 14 words, BOS first: "Zorglub" (not a toy-ioi word) at positions 4 and 10.
const ZORGLUB = 'When Mary and Zorglub went to the store , Zorglub gave a drink to';
const IOI = 'When Mary and John went to the store , John gave a drink to';

if (!haveChromium) console.warn(`skipping the unknown-token browser tests: ${CHROMIUM} is missing (install it: apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('dashboard: words the model does not know', () => {
  let dash: Dashboard;
  beforeAll(async () => { dash = await openDashboard([TOY_IOI, TOY_INDUCTION]); }, 240_000);
  afterAll(async () => dash?.close());

  const chips = () => dash.page.locator('[data-testid="prompt-tokens"] .chip');
  const marked = () => dash.page.locator('[data-testid="prompt-tokens"] .chip-unknown');
  /** The position numbers of the marked chips, and the words they lost. */
  const markedChips = () =>
    marked().evaluateAll((els) => els.map((e) => {
      const el = e as unknown as { getAttribute(name: string): string | null; querySelector(s: string): { textContent: string | null } | null };
      return { position: Number(el.querySelector('.chip-pos')?.textContent), word: el.getAttribute('data-unknown') };
    }));

  it('marks the chips of words toy-ioi lacks, visibly, and names them', async () => {
    const { page } = dash;
    await page.goto(dash.server.url);
    await expect.poll(() => page.getByTestId('model-picker').inputValue()).toBe('toy-ioi');
    await page.getByTestId('prompt-input').fill(ZORGLUB);
    await expect.poll(() => chips().count(), { timeout: 30_000 }).toBe(15);
    await expect.poll(markedChips).toEqual([{ position: 4, word: 'Zorglub' }, { position: 10, word: 'Zorglub' }]);
    // Visibly different from a known word's chip.
    const style = (index: number) => chips().nth(index).evaluate((e) => {
      const s = (globalThis as unknown as { getComputedStyle(el: unknown): { borderStyle: string; backgroundColor: string } }).getComputedStyle(e);
      return `${s.borderStyle} ${s.backgroundColor}`;
    });
    expect(await style(4)).not.toBe(await style(3));
    expect(await style(4)).toMatch(/^dashed /);
    expect(await page.getByTestId('prompt-unknown').textContent()).toMatch(/^toy-ioi does not know 2 words of this prompt .*"Zorglub" \(4\), "Zorglub" \(10\)/);
    await screenshot(dash.page, 'unk-01-marked-chips');
    // A prompt it knows: nothing marked, no line.
    await page.getByTestId('prompt-input').fill(IOI);
    await expect.poll(() => chips().nth(4).textContent(), { timeout: 30_000 }).toBe('4John');
    expect(await marked().count()).toBe(0);
    expect(await page.getByTestId('prompt-unknown').count()).toBe(0);
  });

  it('re-tokenises on a model switch and marks every word the new vocabulary lacks, then unmarks them on the way back', async () => {
    const { page } = dash;
    await page.getByTestId('model-picker').selectOption('toy-induction');
    // toy-induction knows only t0 … t59: each of the 14 words is unknown, BOS is not.
    await expect.poll(async () => (await markedChips()).length, { timeout: 30_000 }).toBe(14);
    const words = IOI.split(' ');
    expect(await markedChips()).toEqual(words.map((word, i) => ({ position: i + 1, word })));
    expect(await chips().count()).toBe(15);
    expect(await page.getByTestId('prompt-unknown').textContent()).toMatch(/^toy-induction does not know 14 words of this prompt/);
    await screenshot(dash.page, 'unk-02-model-switch');
    if (dash.pageErrors.length > 0) await expect.poll(() => page.getByText(/is not a token of toy-induction/).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.getByTestId('model-picker').selectOption('toy-ioi');
    await expect.poll(() => marked().count(), { timeout: 30_000 }).toBe(0);
    expect(await chips().count()).toBe(15);
    // The view open on toy-induction (the landing page's lens, target "Mary") was refused with a 400 the
    // page shows; the browser logs that response as a console error. Nothing else may have failed.
    expect(dash.pageErrors.filter((message) => !/status of 400 \(Bad Request\)/.test(message))).toEqual([]);
  });

  // Last: the browser logs the refused request as a console error.
  it('refuses an answer toy-ioi does not know in the ablation view, naming it and the nearest names, with no logit difference', async () => {
    const { page } = dash;
    await page.getByTestId('answer-input').fill('Marie');
    await page.getByTestId('wrong-input').fill('John');
    await page.getByTestId('tab-ablation').click();
    const cells = page.locator('[data-testid="ablation-heatmap"] rect.cell');
    await expect.poll(() => cells.count(), { timeout: 30_000 }).toBe(16);
    await cells.nth(3).click(); // L0H3
    await page.getByTestId('ablate-run').click();
    const error = page.getByTestId('error').first();
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/answer "Marie" is not a token of toy-ioi .*nearest tokens it knows: "Mary", "Mark"/);
    expect(await page.getByTestId('metric-delta').count()).toBe(0);
    await screenshot(dash.page, 'unk-03-unknown-answer');
  });
});
