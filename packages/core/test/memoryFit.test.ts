/**
 * A model too big for memory is refused from its config, before a weight is read, with a
 * message that says what it needs, what there is, and the way out.
 */
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '../src/index.ts';
import type { ModelConfig } from '../src/index.ts';
import { LoadError } from '../src/io/errors.ts';
import { saveCheckpoint } from '../src/io/hooklensFormat.ts';
import { checkModelFits, modelMemory } from '../src/memoryFit.ts';
import { llamaConfig, llamaTensors, writeHfDir, writeLlama2c } from './io/fixtures.ts';
import { tempDir } from './io/helpers.ts';
import { randomWeights, tinyConfig } from './randomModel.ts';

beforeAll(async () => { await initBackend(); });

/** Gemma-2-2B's dimensions in Llama form, tied. */
const GEMMA_2B: ModelConfig = {
  ...tinyConfig({ normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu' }),
  dModel: 2304, nLayers: 26, nHeads: 8, nKvHeads: 4, dHead: 256, dMlp: 9216, dVocab: 256000, nCtx: 8192, rotaryDim: 256, tiedEmbeddings: true,
};

const GiB = 2 ** 30;

describe('model memory from the config', () => {
  it('counts Gemma-2-2B-sized weights as their float32 bytes, each once', () => {
    // By hand: embedding 256000·2304; per layer q and o 2304·2048, k and v 2304·1024, three
    // 2304·9216 mlp matrices and two norms; one final norm.
    const perLayer = 2 * 2304 * 2048 + 2 * 2304 * 1024 + 3 * 2304 * 9216 + 2 * 2304;
    const parameters = 256000 * 2304 + 26 * perLayer + 2304;
    expect(parameters).toBe(2_614_222_080);
    const onnx = modelMemory(GEMMA_2B, 'onnx');
    expect(onnx.weightBytes).toBe(4 * parameters);
    // Resident on onnx: the weights (the tied unembedding is the embedding, not a copy), fused q|k|v per layer.
    expect(onnx.residentBytes).toBe(4 * (parameters + 26 * 2304 * (8 + 2 * 4) * 256));
    expect(onnx.backendBytes).toBe(0);
    const tfjs = modelMemory(GEMMA_2B, 'tfjs');
    expect(tfjs.backendBytes).toBe(4 * parameters);
  });

  it('refuses what the memory cannot hold, saying how much is needed and how much there is', () => {
    expect(() => checkModelFits(GEMMA_2B, 'gemma-dir', { engine: 'onnx', wasm: true, availableBytes: 8 * GiB }))
      .toThrow(/^gemma-dir: a model of 2\.61B parameters \(9\.7 GiB as float32\) needs about 11\.2 GiB of memory on the onnx engine, but only 8\.0 GiB is available/);
    expect(() => checkModelFits(GEMMA_2B, 'gemma-dir', { engine: 'onnx', wasm: true, availableBytes: 16 * GiB })).not.toThrow();
  });

  it('sends a model past the wasm heap to the onnx engine', () => {
    expect(() => checkModelFits(GEMMA_2B, 'gemma-dir', { engine: 'tfjs', wasm: true, availableBytes: 64 * GiB }))
      .toThrow(/wasm backend, whose memory stops at 4 GiB; load it on the onnx engine/);
    // Another tfjs backend has no 4 GiB wall, only the machine's memory.
    expect(() => checkModelFits(GEMMA_2B, 'gemma-dir', { engine: 'tfjs', wasm: false, availableBytes: 64 * GiB })).not.toThrow();
    expect(() => checkModelFits(GEMMA_2B, 'gemma-dir', { engine: 'tfjs', wasm: false, availableBytes: 16 * GiB })).toThrow(/or load it on the onnx engine/);
  });
});

describe('loadModel checks memory before reading weights', () => {
  async function refusal(path: string): Promise<LoadError> {
    const error = await loadModel(path, { engine: 'onnx', availableMemory: 1000 }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as Error).message).toContain(`${path}: a model of`);
    expect((error as Error).message).toMatch(/but only 0\.0 GiB is available/);
    return error as LoadError;
  }

  it('for a Hugging Face directory, whose weights file is never opened', async () => {
    const dir = writeHfDir(tempDir(), llamaConfig(), llamaTensors());
    const model = await loadModel(dir, { engine: 'onnx', availableMemory: GiB });
    model.dispose();
    truncateSync(join(dir, 'model.safetensors'), 0);
    await refusal(dir);
  });

  it('for a hooklens directory, whose weights file is never opened', async () => {
    const dir = tempDir();
    const config = tinyConfig();
    saveCheckpoint(dir, config, randomWeights(config, 1));
    truncateSync(join(dir, 'model.safetensors'), 0);
    await refusal(dir);
  });

  it('for a llama2.c checkpoint', async () => {
    const path = join(tempDir(), 'model.bin');
    writeLlama2c(path);
    await refusal(path);
  });
});
