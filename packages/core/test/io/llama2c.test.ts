import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';
import { checkWeights } from '../../src/io/checkpoint.ts';
import { llama2cExpectedBytes, loadLlama2c, parseLlama2cHeader } from '../../src/io/llama2c.ts';
import { loadCheckpoint } from '../../src/io/detect.ts';
import { at, expectLoadError, tempDir } from './helpers.ts';
import { LLAMA2C_SPEC as SPEC, writeLlama2c } from './fixtures.ts';

describe('llama2.c checkpoints', () => {
  for (const shared of [true, false]) {
    it(`maps every weight to its canonical place (${shared ? 'shared' : 'separate'} classifier)`, () => {
      const dir = tempDir();
      const path = join(dir, 'model.bin');
      const spec = { ...SPEC, shared };
      const raw = writeLlama2c(path, spec);
      const loaded = loadLlama2c(path);
      const { dim, hidden, layers, heads, kvHeads, vocab } = spec;
      const headSize = dim / heads;
      expect(loaded.format).toBe('llama2c');
      expect(loaded.source).toBe(path);
      expect(loaded.tokenizerPath).toBeUndefined();
      expect(loaded.config).toEqual({
        family: 'llama2c', dModel: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, dHead: 2, dMlp: 6, dVocab: 10, nCtx: 3,
        actFn: 'silu', gatedMlp: true, normType: 'rmsnorm', eps: 1e-5, positional: 'rotary', rotaryBase: 10000, rotaryDim: 2,
        rotaryPairing: 'adjacent', tiedEmbeddings: shared, attnOnly: false, defaultPrependBos: true, bosTokenId: 1, eosTokenId: 2,
        stopTokenIds: [1],
      });
      checkWeights(loaded.config, loaded.weights, path);
      const w = (name: string) => loaded.weights.get(name)!;
      expect(w('embed.W_E')).toEqual(raw.embed[0]);
      expect(w('ln_final.w')).toEqual(raw.rms_final[0]);
      for (let l = 0; l < layers; l++) {
        const b = `blocks.${l}`;
        expect(w(`${b}.ln1.w`)).toEqual(raw.rms_att[l]);
        expect(w(`${b}.ln2.w`)).toEqual(raw.rms_ffn[l]);
        for (let i = 0; i < dim; i++) {
          for (let j = 0; j < headSize; j++) {
            for (let h = 0; h < heads; h++) {
              expect(at(w(`${b}.attn.W_Q`), h, i, j)).toBe(at(raw.wq[l], h * headSize + j, i));
              expect(at(w(`${b}.attn.W_O`), h, j, i)).toBe(at(raw.wo[l], i, h * headSize + j));
            }
            for (let h = 0; h < kvHeads; h++) {
              expect(at(w(`${b}.attn.W_K`), h, i, j)).toBe(at(raw.wk[l], h * headSize + j, i));
              expect(at(w(`${b}.attn.W_V`), h, i, j)).toBe(at(raw.wv[l], h * headSize + j, i));
            }
          }
          for (let m = 0; m < hidden; m++) {
            expect(at(w(`${b}.mlp.W_gate`), i, m)).toBe(at(raw.w1[l], m, i));
            expect(at(w(`${b}.mlp.W_out`), m, i)).toBe(at(raw.w2[l], i, m));
            expect(at(w(`${b}.mlp.W_in`), i, m)).toBe(at(raw.w3[l], m, i));
          }
        }
      }
      const classifier = shared ? raw.embed[0] : raw.wcls[0];
      for (let t = 0; t < vocab; t++) for (let i = 0; i < dim; i++) expect(at(w('unembed.W_U'), i, t)).toBe(at(classifier, t, i));
    });
  }

  it('finds the tokenizer beside it, preferring tokenizer.bin then tok<vocab>.bin', () => {
    const dir = tempDir();
    const path = join(dir, 'model.bin');
    writeLlama2c(path);
    writeFileSync(join(dir, 'tok4096.bin'), 'x');
    expect(loadLlama2c(path).tokenizerPath).toBe(join(dir, 'tok4096.bin'));
    writeFileSync(join(dir, 'tok10.bin'), 'x');
    expect(loadLlama2c(path).tokenizerPath).toBe(join(dir, 'tok10.bin'));
    writeFileSync(join(dir, 'tokenizer.bin'), 'x');
    expect(loadLlama2c(path).tokenizerPath).toBe(join(dir, 'tokenizer.bin'));
  });

  it('rejects a truncated file with expected and actual sizes', () => {
    const path = join(tempDir(), 'model.bin');
    writeLlama2c(path);
    const expected = readFileSync(path).byteLength;
    truncateSync(path, expected - 8);
    expectLoadError(() => loadLlama2c(path), path, 'truncated', String(expected), String(expected - 8));
    expectLoadError(() => loadCheckpoint(path), path, 'truncated');
    truncateSync(path, 10);
    expectLoadError(() => loadLlama2c(path), path, 'truncated', '10 bytes');
  });

  it('rejects trailing data', () => {
    const path = join(tempDir(), 'model.bin');
    writeLlama2c(path);
    appendFileSync(path, Buffer.alloc(4));
    expectLoadError(() => loadLlama2c(path), path, 'trailing');
  });

  it('rejects implausible headers', () => {
    const bytes = (values: number[]) => new Uint8Array(new Int32Array(values).buffer);
    expect('header' in parseLlama2cHeader(bytes([64, 172, 5, 8, 4, 512, 512]))).toBe(true);
    expect('header' in parseLlama2cHeader(bytes([64, 172, 5, 8, 4, -512, 512]))).toBe(true);
    expect(parseLlama2cHeader(bytes([7, 0, 5, 1802401084, 62, 1280, 1933314560]))).toMatchObject({ reason: expect.stringContaining('hiddenDim') });
    expect(parseLlama2cHeader(bytes([64, 172, 5, 8, 3, 512, 512]))).toMatchObject({ reason: expect.stringContaining('n_kv_heads') });
    expect(parseLlama2cHeader(bytes([60, 172, 5, 8, 4, 512, 512]))).toMatchObject({ reason: expect.stringContaining('multiple of n_heads') });
    expect(parseLlama2cHeader(bytes([1, 2, 3]))).toMatchObject({ reason: expect.stringContaining('12 bytes') });
    const path = join(tempDir(), 'weird.bin');
    writeFileSync(path, bytes([0, 0, 0, 0, 0, 0, 0, 0]));
    expectLoadError(() => loadLlama2c(path), path, 'not a llama2.c header');
  });

  it('rejects a missing file, naming it', () => {
    const path = join(tempDir(), 'absent.bin');
    expectLoadError(() => loadLlama2c(path), path, 'ENOENT');
  });

  const stories = TEST_MODELS.stories260K;
  it.skipIf(!stories)('reads the real stories260K checkpoint', () => {
    const real = stories!.bin;
    const bytes = readFileSync(real);
    const header = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 28));
    expect(Array.from(header)).toEqual([64, 172, 5, 8, 4, 512, 512]);
    const parsed = parseLlama2cHeader(bytes.subarray(0, 28));
    expect('header' in parsed && llama2cExpectedBytes(parsed.header)).toBe(bytes.byteLength);

    const loaded = loadCheckpoint(stories!.dir);
    expect(loaded.format).toBe('llama2c');
    expect(loaded.source).toBe(real);
    expect(loaded.tokenizerPath).toBe(stories!.tokenizer);
    expect(loaded.config).toMatchObject({
      family: 'llama2c', dModel: 64, dMlp: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, dHead: 8, dVocab: 512, nCtx: 512,
      tiedEmbeddings: true, rotaryPairing: 'adjacent', rotaryDim: 8,
    });
    const w = loaded.weights;
    expect(w.get('blocks.4.attn.W_K')!.shape).toEqual([4, 64, 8]);
    expect(w.get('blocks.4.mlp.W_out')!.shape).toEqual([172, 64]);
    expect(w.get('unembed.W_U')!.shape).toEqual([64, 512]);
    // First and last floats of the embedding, read straight from the file.
    const floats = (offset: number, count: number) => new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + 4 * count));
    expect(w.get('embed.W_E')!.data).toEqual(floats(28, 512 * 64));
    expect(at(w.get('unembed.W_U')!, 3, 7)).toBe(at(w.get('embed.W_E')!, 7, 3));
    // The first wq matrix starts after the embedding and rms_att_weight; W_Q[h, i, j] = wq[h*8 + j, i].
    const wq0 = floats(28 + 4 * (512 * 64 + 5 * 64), 64 * 64);
    expect(at(w.get('blocks.0.attn.W_Q')!, 5, 11, 3)).toBe(wq0[(5 * 8 + 3) * 64 + 11]);
    for (const [name, t] of w) expect(t.data.every(Number.isFinite), name).toBe(true);
  });
});
