import { vi } from 'vitest';
import { runCli as runCliInProcess } from '../src/cli.ts';
import type { CliResult } from './runCli.ts';

/**
 * Runs the CLI inside the test process, capturing stdout and stderr: for the many cheap cases
 * (help text, usage errors) where spawning a process per case would only add startup time.
 */
export async function runCliHere(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const capture = (append: (text: string) => void) => (chunk: string | Uint8Array) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture((text) => { stdout += text; }) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture((text) => { stderr += text; }) as typeof process.stderr.write);
  try {
    const code = await runCliInProcess(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
