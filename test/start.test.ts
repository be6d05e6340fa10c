/**
 * The README's main job, `pnpm start`: build the dashboard when stale, then serve it on the
 * models a fresh clone has (the shipped ones, toy-ioi first). Runs the real script as a child
 * process, as a user would, on a free port.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServing } from '../packages/cli/test/spawnServing.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

/** Starts `pnpm start --port 0` (the script itself, through tsx) and resolves with the URL it prints. */
const start = () => spawnServing(['--import', 'tsx', 'packages/ui/scripts/start.ts', '--port', '0'], { cwd: REPO });

describe('pnpm start', () => {
  const started = start();
  afterAll(() => {
    started.child.kill('SIGTERM');
  });

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
    expect(backend).toMatch(/wasm|cpu|tensorflow/);
    expect(started.output()).toMatch(/^backend: /m);
  }, 240_000);

  it('stops cleanly on SIGTERM', async () => {
    await started.url;
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
    started.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
