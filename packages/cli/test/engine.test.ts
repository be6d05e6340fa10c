import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGpt2 } from '../../../test/fixtures/checkpoints.ts';
import type { Fixture } from '../../../test/fixtures/checkpoints.ts';
import { errorLines, runCli } from './runCli.ts';

const preload = (file: string) => ({ NODE_OPTIONS: `--require ${fileURLToPath(new URL(file, import.meta.url))}`, HOOKLENS_ENGINE: undefined });
const WITHOUT_ONNXRUNTIME = preload('./hideOnnxruntime.cjs');
const CUDA_WITHOUT_DEVICE = preload('./fakeCudaProvider.cjs');
const ONNX_CPU_LINE = /^backend: onnx \(CPU, \d+ threads?\)\n$/;

describe('--engine', () => {
  let dir: string;
  let fixture: Fixture;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-engine-'));
    fixture = writeTinyGpt2(join(dir, 'gpt2'), { seed: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('onnx is the default where onnxruntime-node loads: the backend line and info say so, with every core as threads', async () => {
    const result = await runCli(['info', '--model', fixture.dir, '--json'], { env: { HOOKLENS_ENGINE: undefined, HOOKLENS_THREADS: undefined } });
    expect(result.code).toBe(0);
    const threads = availableParallelism();
    expect(result.stderr).toBe(`backend: onnx (CPU, ${threads} thread${threads === 1 ? '' : 's'})\n`);
    expect(JSON.parse(result.stdout).backend).toBe(result.stderr.slice('backend: '.length, -1));
    const asked = await runCli(['info', '--model', fixture.dir, '--engine', 'onnx'], { env: { HOOKLENS_THREADS: '3' } });
    expect(asked.stderr).toBe('backend: onnx (CPU, 3 threads)\n');
  });

  it('--engine tfjs and HOOKLENS_ENGINE=tfjs run the model on tfjs and name its backend', async () => {
    const flag = await runCli(['info', '--model', fixture.dir, '--engine', 'tfjs', '--json']);
    expect(flag.code).toBe(0);
    expect(flag.stderr).toBe('backend: tfjs on wasm (SIMD, 1 thread)\n');
    expect(JSON.parse(flag.stdout).backend).toBe('tfjs on wasm (SIMD, 1 thread)');
    const variable = await runCli(['info', '--model', fixture.dir], { env: { HOOKLENS_ENGINE: 'tfjs' } });
    expect(variable.stderr).toBe('backend: tfjs on wasm (SIMD, 1 thread)\n');
  });

  it('HOOKLENS_ENGINE picks the engine; an unknown one is a one-line error', async () => {
    const onnx = await runCli(['info', '--model', fixture.dir], { env: { HOOKLENS_ENGINE: 'onnx' } });
    expect(onnx.stderr).toMatch(ONNX_CPU_LINE);
    const bad = await runCli(['info', '--model', fixture.dir], { env: { HOOKLENS_ENGINE: 'gpu' } });
    expect(bad.code).not.toBe(0);
    expect(errorLines(bad)).toEqual(["hooklens: HOOKLENS_ENGINE: unknown engine 'gpu'; valid engines: tfjs, onnx"]);
  });

  it('without onnxruntime-node: tfjs runs and the backend line says why onnx does not; --engine onnx fails with that reason', async () => {
    const fallback = await runCli(['info', '--model', fixture.dir], { env: WITHOUT_ONNXRUNTIME });
    expect(fallback.code).toBe(0);
    expect(fallback.stderr).toBe('backend: tfjs on wasm (SIMD, 1 thread); onnx unavailable: onnxruntime-node is not installed\n');
    const forced = await runCli(['info', '--model', fixture.dir, '--engine', 'onnx'], { env: WITHOUT_ONNXRUNTIME });
    expect(forced.code).not.toBe(0);
    expect(errorLines(forced)).toEqual(["hooklens: engine 'onnx' is unavailable: onnxruntime-node is not installed"]);
  });

  it('a CUDA provider that is installed but finds no device: onnx runs on CPU and the backend line says why in one line', async () => {
    const result = await runCli(['info', '--model', fixture.dir, '--json'], { env: CUDA_WITHOUT_DEVICE });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^backend: onnx \(CPU, \d+ threads?\); CUDA unavailable: [^\n]+\n$/);
    expect(JSON.parse(result.stdout).backend).toBe(result.stderr.slice('backend: '.length, -1));
  });

  it('train runs on tfjs whatever the default, and refuses --engine onnx', async () => {
    const refused = await runCli(['train', '--task', 'induction', '--engine', 'onnx', '--out', join(dir, 'trained')]);
    expect(refused.code).toBe(2);
    expect(errorLines(refused)).toEqual(['hooklens: train: training runs on the tfjs engine (the onnx engine has no gradients); drop --engine onnx']);
  });
});
