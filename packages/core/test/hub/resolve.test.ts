import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listShippedModels, parseHubName, resolveModel, resolveModelPath, SHORT_NAMES } from '../../src/hub/index.ts';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);

/** A cached repo written by hand, the way Python's huggingface_hub leaves it. */
function cacheRepo(cacheDir: string, repo: string, commit: string, files: string[], ref?: string): string {
  const dir = join(cacheDir, `models--${repo.replace('/', '--')}`);
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  for (const file of files) {
    const blob = join(dir, 'blobs', `${commit}-${file.replace(/\//g, '_')}`);
    writeFileSync(blob, file);
    const link = join(dir, 'snapshots', commit, file);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(blob, link);
  }
  if (ref) {
    mkdirSync(join(dir, 'refs'), { recursive: true });
    writeFileSync(join(dir, 'refs', ref), commit);
  }
  return join(dir, 'snapshots', commit);
}

describe('resolveModel', () => {
  let root: string;
  let cacheDir: string;
  let shippedDir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hooklens-resolve-'));
    cacheDir = join(root, 'hub');
    shippedDir = join(root, 'models');
    mkdirSync(cacheDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const options = () => ({ cacheDir, shippedDir });

  it('an existing path wins over everything', () => {
    cacheRepo(cacheDir, 'org/model', C1, ['config.json'], 'main');
    mkdirSync(join(root, 'org', 'model'), { recursive: true });
    const local = join(root, 'org', 'model');
    expect(resolveModel(local, options())).toEqual({ path: local, source: 'path' });
  });

  it('shipped models come before the cache', () => {
    mkdirSync(join(shippedDir, 'toy-ioi'), { recursive: true });
    writeFileSync(join(shippedDir, 'toy-ioi', 'config.json'), '{}');
    mkdirSync(join(shippedDir, 'no-config'), { recursive: true });
    expect(listShippedModels(shippedDir)).toEqual([{ name: 'toy-ioi', path: join(shippedDir, 'toy-ioi') }]);
    expect(resolveModel('toy-ioi', options())).toEqual({ path: join(shippedDir, 'toy-ioi'), source: 'shipped' });
  });

  it('finds a short name or ORG/NAME through refs/main', () => {
    cacheRepo(cacheDir, 'openai-community/gpt2', C1, ['config.json', 'model.safetensors']);
    const current = cacheRepo(cacheDir, 'openai-community/gpt2', C2, ['config.json', 'model.safetensors'], 'main');
    expect(resolveModel('gpt2', options())).toEqual({ path: current, source: 'cache', repo: 'openai-community/gpt2', commit: C2 });
    expect(resolveModelPath('GPT2', options())).toBe(current);
    expect(resolveModelPath('openai-community/gpt2', options())).toBe(current);
    expect(resolveModelPath(`openai-community/gpt2@${C1}`, options())).toBe(join(cacheDir, 'models--openai-community--gpt2', 'snapshots', C1));
  });

  it('without refs/main takes the newest snapshot', () => {
    const old = cacheRepo(cacheDir, 'org/m', C1, ['config.json']);
    const newer = cacheRepo(cacheDir, 'org/m', C2, ['config.json']);
    utimesSync(old, new Date(1000), new Date(1000));
    expect(resolveModelPath('org/m', options())).toBe(newer);
  });

  it('llama2.c names point at the .bin, with the tokenizer when cached', () => {
    const snapshot = cacheRepo(cacheDir, 'karpathy/tinyllamas', C1, ['stories15M.bin'], 'main');
    expect(resolveModel('stories15M', options())).toEqual({ path: join(snapshot, 'stories15M.bin'), source: 'cache', repo: 'karpathy/tinyllamas', commit: C1 });
    const tok = cacheRepo(cacheDir, 'hf-internal-testing/llama-tokenizer', C2, ['tokenizer.json'], 'main');
    expect(resolveModel('stories15M', options()).tokenizer).toBe(join(tok, 'tokenizer.json'));
    // stories42M is not in that snapshot.
    expect(() => resolveModel('stories42M', options())).toThrow(/^model stories42M is not a path and not in the Hugging Face cache/);
  });

  it('a name in neither place says where it looked and what to run', () => {
    expect(() => resolveModel('TinyLlama', options())).toThrow(
      `model TinyLlama is not a path and not in the Hugging Face cache (${cacheDir}); run \`hooklens pull TinyLlama\``,
    );
    expect(() => resolveModel('org/absent', options())).toThrow(/run `hooklens pull org\/absent`$/);
  });

  it('a mistyped bare name lists the shipped and cached names and suggests the nearest', () => {
    for (const name of ['toy-ioi', 'toy-induction']) {
      mkdirSync(join(shippedDir, name), { recursive: true });
      writeFileSync(join(shippedDir, name, 'config.json'), '{}');
    }
    cacheRepo(cacheDir, 'openai-community/gpt2', C1, ['config.json'], 'main');
    cacheRepo(cacheDir, 'karpathy/tinyllamas', C1, ['stories15M.bin'], 'main');
    const names = 'shipped: toy-induction, toy-ioi; cached: gpt2, stories15M, karpathy/tinyllamas, openai-community/gpt2';
    expect(() => resolveModel('toy-iio', options())).toThrow(`model toy-iio: no such file or folder, shipped model or cached hub model; did you mean toy-ioi? (${names})`);
    expect(() => resolveModel('TOY-INDUCTON', options())).toThrow(/; did you mean toy-induction\? \(/);
    expect(() => resolveModel('gtp2', options())).toThrow(/; did you mean gpt2\? \(/);
    // A short name that is not cached is suggested with the command that fetches it.
    expect(() => resolveModel('storie110M', options())).toThrow(/; did you mean stories110M \(`hooklens pull stories110M` fetches it\)\? \(/);
    expect(() => resolveModel('xyzzy', options())).toThrow(`model xyzzy: no such file or folder, shipped model or cached hub model (${names})`);
    // An ORG/NAME close to a cached one; a known short name that is not cached gets no guess.
    expect(() => resolveModel('openai-community/gtp2', options())).toThrow(/run `hooklens pull openai-community\/gtp2`, or did you mean openai-community\/gpt2\?$/);
    expect(() => resolveModel('stories42M', options())).toThrow(/run `hooklens pull stories42M`$/);
  });

  it('with nothing shipped or cached the list says so', () => {
    expect(() => resolveModel('gpt', options())).toThrow('model gpt: no such file or folder, shipped model or cached hub model; did you mean gpt2 (`hooklens pull gpt2` fetches it)? (shipped: none; cached: none)');
  });

  it('something that is no hub name is left for the loader to report', () => {
    const missing = join(root, 'nope', 'model.bin');
    expect(resolveModel(missing, options())).toEqual({ path: missing, source: 'path' });
    expect(resolveModel('./nope', options())).toEqual({ path: './nope', source: 'path' });
  });
});

describe('parseHubName', () => {
  it('knows the short names, in any case', () => {
    expect(parseHubName('gpt2')).toEqual({ repo: 'openai-community/gpt2' });
    expect(parseHubName('gpt2-medium')).toEqual({ repo: 'openai-community/gpt2-medium' });
    expect(parseHubName('tinyllama')).toEqual({ repo: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0' });
    expect(parseHubName('SmolLM')).toEqual({ repo: 'HuggingFaceTB/SmolLM-135M' });
    expect(parseHubName('stories110M')).toMatchObject({ repo: 'karpathy/tinyllamas', file: 'stories110M.bin' });
    expect(Object.keys(SHORT_NAMES)).toEqual(expect.arrayContaining(['gpt2', 'stories15M', 'stories42M', 'stories110M', 'TinyLlama', 'SmolLM']));
  });

  it('reads ORG/NAME, ORG/NAME/FILE and @REVISION', () => {
    expect(parseHubName('org/name')).toEqual({ repo: 'org/name' });
    expect(parseHubName('org/name/sub/file.bin@v1')).toEqual({ repo: 'org/name', file: 'sub/file.bin', revision: 'v1' });
    expect(parseHubName('gpt2@abc')).toEqual({ repo: 'openai-community/gpt2', revision: 'abc' });
    for (const bad of ['/abs/x', './x', 'x', 'org/../y', '', 'org//y']) expect(parseHubName(bad)).toBeUndefined();
  });
});
