import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listShippedModels, pullModel } from '@hooklens/core/hub';
import { startFakeHub } from '../../core/test/hub/fakeHub.ts';
import { GPT2_COMMIT, llamaTokenizerRepo, TINYLLAMAS_COMMIT, tinyGpt2Repo, tinyllamasRepo } from '../../core/test/hub/fixtures.ts';
import { runCli } from './runCli.ts';

describe('hooklens models', () => {
  let home: string;
  const env = (dir: string) => ({ HF_HOME: dir, HF_HUB_CACHE: join(dir, 'hub') });
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hooklens-models-'));
    const hub = await startFakeHub(new Map([
      ['openai-community/gpt2', tinyGpt2Repo()],
      ['karpathy/tinyllamas', tinyllamasRepo()],
      ['hf-internal-testing/llama-tokenizer', llamaTokenizerRepo()],
    ]));
    try {
      for (const name of ['gpt2', 'stories260K']) await pullModel(name, { hubUrl: hub.url, cacheDir: join(home, 'hub') });
    } finally {
      await hub.close();
    }
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('lists cached revisions with refs, commit, size, path and short names', async () => {
    const result = await runCli(['models'], { env: env(home) });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const gpt2 = lines.find((line) => line.includes('openai-community/gpt2'))!;
    expect(gpt2).toMatch(new RegExp(`^  openai-community/gpt2\\s+main\\s+${GPT2_COMMIT.slice(0, 7)}\\s+[\\d.]+ kB\\s+\\S+/snapshots/${GPT2_COMMIT}\\s+\\(gpt2\\)$`));
    expect(lines.find((line) => line.includes('karpathy/tinyllamas'))).toMatch(/\(stories260K, stories15M, stories42M, stories110M\)$/);
    expect(lines).toContain(`Hugging Face cache (${join(home, 'hub')})`);
    for (const model of listShippedModels()) expect(result.stdout).toContain(`  ${model.name}`);
  });

  it('--json gives the same as data', async () => {
    const result = await runCli(['models', '--json'], { env: env(home) });
    expect(result.code).toBe(0);
    const listing = JSON.parse(result.stdout);
    expect(listing.shipped.models).toEqual(listShippedModels());
    expect(listing.cache.dir).toBe(join(home, 'hub'));
    expect(listing.cache.models.map((m: { repo: string }) => m.repo)).toEqual(['karpathy/tinyllamas', 'openai-community/gpt2']);
    const tinyllamas = listing.cache.models[0];
    expect(tinyllamas).toMatchObject({ commit: TINYLLAMAS_COMMIT, refs: ['main'], files: ['stories260K/stories260K.bin', 'stories260K/tok512.bin'] });
    expect(tinyllamas.size).toBeGreaterThan(1000);
  });

  it('an empty cache says how to fill it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hooklens-models-empty-'));
    try {
      const result = await runCli(['models'], { env: env(empty) });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('  none; fetch one with: hooklens pull gpt2');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('short names resolve from the cache in other commands', async () => {
    const result = await runCli(['info', '--model', 'stories260K', '--json'], { env: env(home) });
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.model).toMatch(/stories260K\.bin$/);
    expect(info.tokenizer).toMatch(/tok512\.bin$/);
  });
});
