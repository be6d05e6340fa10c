/**
 * The README's main job, `pnpm start`: build the dashboard when stale, then serve it on the
 * models a fresh clone has (the shipped ones, toy-ioi first), plus any given with --model.
 * Runs the real script as a child process, as a user would, on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listShippedModels } from '@hooklens/core/hub';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServing } from '../packages/cli/test/spawnServing.ts';
import { BYTE_VOCAB, writeTinyGpt2 } from './fixtures/checkpoints.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

/** Starts `pnpm start -- --port 0 …` (the script itself, through tsx) and resolves with the URL it prints. */
const start = (extra: string[]) => spawnServing(['--import', 'tsx', 'packages/ui/scripts/start.ts', '--', '--port', '0', ...extra], { cwd: REPO });

describe('pnpm start', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hooklens-start-'));
  writeTinyGpt2(join(scratch, 'extra-model'), { seed: 5, vocab: BYTE_VOCAB, byteTokenizer: true });
  const started = start(['--model', join(scratch, 'extra-model')]);
  afterAll(() => {
    started.child.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('serves exactly the shipped models, toy-ioi first, then those given with --model (nothing from beside the checkout)', async () => {
    const url = await started.url;
    const { models } = (await (await fetch(`${url}/api/models`)).json()) as { models: { id: string }[] };
    const shipped = listShippedModels().map((model) => model.name).sort((a, b) => Number(b === 'toy-ioi') - Number(a === 'toy-ioi'));
    expect(models.map((model) => model.id)).toEqual([...shipped, 'extra-model']);
  }, 240_000);

  it('serves the dashboard and the API with the shipped models, toy-ioi first', async () => {
    const url = await started.url;
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<div id="root">/);
    // The built bundle the page refers to is served too.
    const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);

    const { models, backend } = (await (await fetch(`${url}/api/models`)).json()) as { models: { id: string; hasTokenizer: boolean }[]; backend: string };
    expect(models[0].id).toBe('toy-ioi');
    expect(models.map((model) => model.id)).toContain('toy-induction');
    expect(models.every((model) => model.hasTokenizer)).toBe(true);
    expect(backend).toMatch(/^onnx \(CPU, \d+ threads?\)$/);
    expect(started.output()).toMatch(/^backend: /m);
  }, 240_000);

  it('stops cleanly on SIGTERM', async () => {
    await started.url;
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
    started.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
