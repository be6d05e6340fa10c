import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_MODELS } from '../../../test/fixtures/testModels.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/hooklens.js', import.meta.url));
/** stories260K.bin when the test models are present ('' otherwise: tests using it skip on HAS_STORIES). */
export const STORIES_BIN = TEST_MODELS.stories260K?.bin ?? '';
export const HAS_STORIES = TEST_MODELS.stories260K !== undefined;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node bin/hooklens.js …`) in a child process, as a user would. */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hooklens ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** stderr lines other than the "backend: …" notice. */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('backend: '));
}
