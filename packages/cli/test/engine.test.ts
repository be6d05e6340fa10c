import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGpt2 } from '../../../test/fixtures/checkpoints.ts';
import type { Fixture } from '../../../test/fixtures/checkpoints.ts';
import { errorLines, runCli } from './runCli.ts';

const WITHOUT_ONNXRUNTIME = { NODE_OPTIONS: `--require ${fileURLToPath(new URL('./hideOnnxruntime.cjs', import.meta.url))}`, HOOKLENS_ENGINE: undefined };

describe('--engine', () => {
  let dir: string;
  let fixture: Fixture;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-engine-'));
    fixture = writeTinyGpt2(join(dir, 'gpt2'), { seed: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('onnx runs the model on ONNX Runtime and says so in the backend line and info', async () => {
    const result = await runCli(['info', '--model', fixture.dir, '--engine', 'onnx', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^backend: onnx \(CPU, \d+ threads?\)\n$/);
    expect(JSON.parse(result.stdout).backend).toMatch(/^onnx \(CPU, \d+ threads?\)$/);
  });

  it('HOOKLENS_ENGINE picks the engine; an unknown one is a one-line error', async () => {
    const onnx = await runCli(['info', '--model', fixture.dir], { env: { HOOKLENS_ENGINE: 'onnx' } });
    expect(onnx.stderr).toMatch(/^backend: onnx/);
    const bad = await runCli(['info', '--model', fixture.dir], { env: { HOOKLENS_ENGINE: 'gpu' } });
    expect(bad.code).not.toBe(0);
    expect(errorLines(bad)).toEqual(["hooklens: HOOKLENS_ENGINE: unknown engine 'gpu'; valid engines: tfjs, onnx"]);
  });

  it('without onnxruntime-node: tfjs runs and the backend line says why onnx does not; --engine onnx fails with that reason', async () => {
    const fallback = await runCli(['info', '--model', fixture.dir], { env: WITHOUT_ONNXRUNTIME });
    expect(fallback.code).toBe(0);
    expect(fallback.stderr).toBe('backend: wasm (SIMD, 1 thread) (onnx engine unavailable: onnxruntime-node is not installed)\n');
    const forced = await runCli(['info', '--model', fixture.dir, '--engine', 'onnx'], { env: WITHOUT_ONNXRUNTIME });
    expect(forced.code).not.toBe(0);
    expect(errorLines(forced)).toEqual(["hooklens: engine 'onnx' is unavailable: onnxruntime-node is not installed"]);
  });
});
