/** `hooklens serve`, spawned as a user runs it: prints the URL and backend, serves, stops on SIGTERM. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTinyGpt2 } from '../../../../test/fixtures/checkpoints.ts';
import { HAS_STORIES, STORIES } from './helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../cli/bin/hooklens.js', import.meta.url));

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

/** Starts `hooklens serve …` and resolves with its stdout once it prints the URL. */
function serve(args: string[]): Promise<{ stdout: string; url: string }> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start; stderr: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /serving on (\S+)/.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ stdout, url });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}; stderr: ${stderr}`));
    });
  });
}

function exit(process: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => process.once('close', (code) => resolve(code)));
}

describe.skipIf(!HAS_STORIES)('hooklens serve (the command)', () => {
  it('binds to 127.0.0.1, prints the URL and the backend, serves the API and stops on SIGTERM', async () => {
    const { stdout, url } = await serve(['--model', STORIES, '--port', '0']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(stdout).toMatch(/^backend: \S+/m);
    expect(stdout).toMatch(/^model: +stories260K \(llama2c, 260,032 parameters\)$/m);
    const models = (await (await fetch(`${url}api/models`)).json()) as { models: { id: string }[] };
    expect(models.models.map((m) => m.id)).toEqual(['stories260K']);
    const run = await fetch(`${url}api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'stories260K', prompt: 'Once upon a time' }) });
    expect(run.status).toBe(200);
    const closed = exit(child!);
    child!.kill('SIGTERM');
    expect(await closed).toBe(0);
  });

  it('serves several models by id: comma-separated --model and --models-dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklens-serve-'));
    try {
      writeTinyGpt2(join(dir, 'models', 'tiny-a'), { seed: 1 });
      writeTinyGpt2(join(dir, 'models', 'tiny-b'), { seed: 2 });
      writeTinyGpt2(join(dir, 'extra'), { seed: 3 });
      const { url } = await serve(['--model', `${STORIES},${join(dir, 'extra')}`, '--models-dir', join(dir, 'models'), '--port', '0']);
      const models = (await (await fetch(`${url}api/models`)).json()) as { models: { id: string }[] };
      expect(models.models.map((m) => m.id)).toEqual(['stories260K', 'extra', 'tiny-a', 'tiny-b']);
      // Two checkpoints with the same name cannot both be served.
      child!.kill('SIGKILL');
      await expect(serve(['--model', `${join(dir, 'extra')},${join(dir, 'models', 'tiny-a')}`, '--models-dir', join(dir, 'models'), '--port', '0'])).rejects.toThrow(/two models would both be served as 'tiny-a'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on a non-loopback address generates and prints a token, and requires it', async () => {
    const { stdout, url } = await serve(['--model', STORIES, '--port', '0', '--host', '0.0.0.0']);
    const token = /^token: +([0-9a-f]{48})/m.exec(stdout)?.[1];
    expect(token).toBeDefined();
    expect(url).toContain(`?token=${token}`);
    const base = url.split('?')[0];
    expect((await fetch(`${base}api/models`)).status).toBe(401);
    expect((await fetch(`${base}api/models`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('refuses a bad command line with one line', async () => {
    await expect(serve([])).rejects.toThrow(/give --model PATH or --models-dir DIR/);
    await expect(serve(['--model', '/nonexistent/model.bin', '--port', '0'])).rejects.toThrow(/exited with 1; stderr: hooklens: .*nonexistent/);
  });
});
