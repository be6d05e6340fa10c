/** Hub repositories for the fake hub: a tiny GPT-2 checkpoint and llama2.c files. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyGpt2, writeTinyLlama2c } from '../../../../test/fixtures/checkpoints.ts';
import { standardEntries, writeTokenizerBin } from '../../../../test/fixtures/llama2cTokenizer.ts';
import type { FakeRepo } from './fakeHub.ts';

export const GPT2_COMMIT = 'a'.repeat(39) + '1';
export const TINYLLAMAS_COMMIT = 'b'.repeat(39) + '2';
export const TOKENIZER_COMMIT = 'c'.repeat(39) + '3';

/** A tiny GPT-2 checkpoint as a hub repository: config.json, model.safetensors and a README. */
export function tinyGpt2Repo(commit = GPT2_COMMIT): FakeRepo {
  const dir = mkdtempSync(join(tmpdir(), 'hooklens-hub-src-'));
  try {
    writeTinyGpt2(join(dir, 'ckpt'), { seed: 3 });
    const files = new Map<string, Uint8Array>();
    for (const name of readdirSync(join(dir, 'ckpt')).sort()) files.set(name, new Uint8Array(readFileSync(join(dir, 'ckpt', name))));
    files.set('README.md', new TextEncoder().encode('# tiny\n'));
    files.set('onnx/decoder.onnx', new Uint8Array(10));
    return { commit, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * karpathy/tinyllamas as far as the short names need it. Every file is a stand-in: stories260K
 * is a tiny random llama2.c checkpoint with a matching byte-level tok512.bin (so it loads),
 * stories15M.bin only bytes.
 */
export function tinyllamasRepo(): FakeRepo {
  const dir = mkdtempSync(join(tmpdir(), 'hooklens-hub-src-'));
  try {
    const tokenizer = standardEntries([]);
    writeTinyLlama2c(join(dir, 'stories260K.bin'), { seed: 5, vocab: tokenizer.length });
    writeTokenizerBin(join(dir, 'tok512.bin'), tokenizer);
    return {
      commit: TINYLLAMAS_COMMIT,
      files: new Map<string, Uint8Array>([
        ['stories260K/stories260K.bin', new Uint8Array(readFileSync(join(dir, 'stories260K.bin')))],
        ['stories260K/tok512.bin', new Uint8Array(readFileSync(join(dir, 'tok512.bin')))],
        ['stories15M.bin', new Uint8Array(4096).map((_, i) => i % 251)],
        ['stories15M.pt', new Uint8Array(16)],
      ]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function llamaTokenizerRepo(): FakeRepo {
  return { commit: TOKENIZER_COMMIT, files: new Map([['tokenizer.json', new TextEncoder().encode('{"model":{}}')]]) };
}
