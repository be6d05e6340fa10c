import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import type { HostTensor } from '../../src/weights.ts';
import { LoadError } from '../../src/io/errors.ts';

const dirs: string[] = [];

/** A fresh temporary directory, removed after each test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooklens-io-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Tensor factory whose values are all distinct and exactly representable in float32 and
 * bfloat16 (k/64 with |k| < 256 is not enough for uniqueness, so each tensor gets its own
 * power-of-two scale): value = sign * (1 + (index mod 128)/128) * 2^(tensor number).
 * When `bf16Exact` is false the values are simply tensor*10000 + index (all distinct).
 */
export function tensorFactory(bf16Exact = false) {
  let tensorNumber = 0;
  return (shape: number[]): HostTensor => {
    const t = ++tensorNumber;
    const data = new Float32Array(size(shape));
    for (let i = 0; i < data.length; i++) {
      data[i] = bf16Exact ? (i % 2 ? -1 : 1) * (1 + (i % 128) / 128) * 2 ** ((t % 60) - 30) : t * 10000 + i;
    }
    return { shape, data };
  };
}

/** Value of a row-major tensor at an index tuple. */
export function at(tensor: HostTensor, ...index: number[]): number {
  expect(index.length).toBe(tensor.shape.length);
  let flat = 0;
  for (let k = 0; k < index.length; k++) flat = flat * tensor.shape[k] + index[k];
  return tensor.data[flat];
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value));
}

/** Expects `fn` to throw a LoadError whose message contains every fragment. */
export function expectLoadError(fn: () => unknown, ...fragments: string[]): LoadError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a LoadError').toBeInstanceOf(LoadError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
  return caught as LoadError;
}
