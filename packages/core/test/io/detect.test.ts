import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/detect.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { expectLoadError, tempDir, writeJson } from './helpers.ts';
import { gpt2Config, gpt2Tensors, llamaConfig, llamaTensors, writeBrokenCheckpoints, writeHfDir, writeLlama2c } from './fixtures.ts';

describe('loadCheckpoint detection', () => {
  it('detects Hugging Face GPT-2 and Llama directories (single and sharded), and their tokenizer.json', () => {
    const gpt2 = loadCheckpoint(writeHfDir(tempDir(), gpt2Config(), gpt2Tensors(), { tokenizer: true }));
    expect(gpt2.format).toBe('huggingface-gpt2');
    expect(gpt2.tokenizerPath).toMatch(/tokenizer\.json$/);
    const llama = loadCheckpoint(writeHfDir(tempDir(), llamaConfig(), llamaTensors(), { shards: 2 }));
    expect(llama.format).toBe('huggingface-llama');
    expect(llama.tokenizerPath).toBeUndefined();
    // Naming a file inside the directory means the directory.
    const dir = writeHfDir(tempDir(), gpt2Config(), gpt2Tensors());
    expect(loadCheckpoint(join(dir, 'config.json')).source).toBe(dir);
    expect(loadCheckpoint(join(dir, 'model.safetensors')).format).toBe('huggingface-gpt2');
  });

  it('detects a llama2.c .bin by its header, whatever its name, and a directory holding exactly one', () => {
    const dir = tempDir();
    writeLlama2c(join(dir, 'weights.dat'));
    expect(loadCheckpoint(join(dir, 'weights.dat')).format).toBe('llama2c');
    const modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    writeLlama2c(join(modelDir, 'stories.bin'));
    // A tokenizer .bin beside it is not a checkpoint (its first ints are no header).
    writeFileSync(join(modelDir, 'tok10.bin'), Buffer.from(new Int32Array([7, 0, 5, 1802401084, 62, 1280, 1933314560]).buffer));
    writeFileSync(join(modelDir, 'notes.txt'), 'hello');
    const loaded = loadCheckpoint(modelDir);
    expect(loaded.format).toBe('llama2c');
    expect(loaded.source).toBe(join(modelDir, 'stories.bin'));
    expect(loaded.tokenizerPath).toBe(join(modelDir, 'tok10.bin'));
    writeLlama2c(join(modelDir, 'other.bin'));
    expectLoadError(() => loadCheckpoint(modelDir), modelDir, 'other.bin', 'stories.bin');
  });

  it('says what it found and what is supported otherwise', () => {
    const dir = tempDir();
    expectLoadError(() => loadCheckpoint(join(dir, 'absent')), join(dir, 'absent'), 'no such file', 'supported');
    expectLoadError(() => loadCheckpoint(dir), dir, 'empty directory', 'supported');
    writeFileSync(join(dir, 'readme.md'), '# hi');
    writeFileSync(join(dir, 'garbage.bin'), Buffer.alloc(100, 0xff));
    expectLoadError(() => loadCheckpoint(dir), 'readme.md', 'garbage.bin', 'supported', 'llama2.c');
    expectLoadError(() => loadCheckpoint(join(dir, 'garbage.bin')), 'garbage.bin', 'not a llama2.c checkpoint', 'supported');
    expectLoadError(() => loadCheckpoint(join(dir, 'readme.md')), 'readme.md', 'supported');
    // safetensors without a config
    writeSafetensors(join(dir, 'model.safetensors'), { w: { shape: [1], data: new Float32Array(1) } });
    expectLoadError(() => loadCheckpoint(dir), 'no config.json', 'model.safetensors');
  });

  it('names an unknown architecture and a config without weights', () => {
    const dir = writeHfDir(tempDir(), { model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 8 }, gpt2Tensors());
    expectLoadError(() => loadCheckpoint(dir), join(dir, 'config.json'), '"bert"', 'BertForMaskedLM', 'supported');
    const bare = tempDir();
    writeJson(join(bare, 'config.json'), gpt2Config());
    writeFileSync(join(bare, 'pytorch_model.bin'), 'PK');
    expectLoadError(() => loadCheckpoint(bare), 'no model.safetensors', 'pytorch_model.bin');
  });

  it('names what is wrong in each broken checkpoint the CLI tests also use, in one line', () => {
    for (const { dir, fragments } of writeBrokenCheckpoints(tempDir())) {
      const error = expectLoadError(() => loadCheckpoint(dir), ...fragments);
      expect(error.message).not.toContain('\n');
    }
  });

  it('names a config.json that is not JSON', () => {
    const dir = writeHfDir(tempDir(), gpt2Config(), gpt2Tensors());
    writeFileSync(join(dir, 'config.json'), '{ oops');
    expectLoadError(() => loadCheckpoint(dir), join(dir, 'config.json'), 'not valid JSON');
  });
});
