import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/io/detect.ts';
import { listCachedModels, pullModel, resolveModel } from '../../src/hub/index.ts';
import { closedPort } from './closedPort.ts';
import { blobName, startFakeHub, type FakeHub } from './fakeHub.ts';
import { GPT2_COMMIT, llamaTokenizerRepo, TINYLLAMAS_COMMIT, tinyGpt2Repo, tinyllamasRepo, TOKENIZER_COMMIT } from './fixtures.ts';

const REPO = 'test-org/tiny-gpt2';
const repoDir = (cache: string, repo = REPO) => join(cache, `models--${repo.replace('/', '--')}`);

describe('pullModel', () => {
  let hub: FakeHub;
  let cacheDir: string;
  beforeAll(async () => {
    hub = await startFakeHub(new Map([
      [REPO, tinyGpt2Repo()],
      ['karpathy/tinyllamas', tinyllamasRepo()],
      ['hf-internal-testing/llama-tokenizer', llamaTokenizerRepo()],
    ]));
  });
  afterAll(() => hub.close());
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'hooklens-hf-cache-'));
    hub.requests.length = 0;
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));
  const pull = (name: string, options = {}) => pullModel(name, { hubUrl: hub.url, cacheDir, ...options });

  it('lays a checkpoint out as huggingface_hub does: blobs by hash, snapshot links, refs/main', async () => {
    const events: { file: string; bytes: number; totalBytes: number }[] = [];
    const result = await pull(REPO, { onProgress: (p: { file: string; bytes: number; totalBytes: number }) => events.push(p) });
    const dir = repoDir(cacheDir);
    const snapshot = join(dir, 'snapshots', GPT2_COMMIT);
    expect(result.path).toBe(snapshot);
    expect(result.repos[0]).toMatchObject({ repo: REPO, commit: GPT2_COMMIT, files: ['config.json', 'model.safetensors'] });
    expect(readFileSync(join(dir, 'refs', 'main'), 'utf8')).toBe(GPT2_COMMIT);
    const source = hub.repos.get(REPO)!.files;
    const blobs = ['config.json', 'model.safetensors'].map((file) => blobName(file, source.get(file)!)).sort();
    expect(readdirSync(join(dir, 'blobs')).sort()).toEqual(blobs);
    expect(readdirSync(snapshot).sort()).toEqual(['config.json', 'model.safetensors']);
    for (const file of ['config.json', 'model.safetensors']) {
      const link = join(snapshot, file);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(`../../blobs/${blobName(file, source.get(file)!)}`);
      expect(new Uint8Array(readFileSync(link))).toEqual(source.get(file));
    }
    expect(readdirSync(dir).sort()).toEqual(['blobs', 'refs', 'snapshots']);
    expect(events.at(-1)).toMatchObject({ file: 'model.safetensors' });
    expect(events.at(-1)!.bytes).toBe(events.at(-1)!.totalBytes);
    expect(loadCheckpoint(resolveModel(REPO, { cacheDir }).path).config.nLayers).toBe(2);
    // Only the API and the two files; README and onnx/ are not fetched.
    expect(hub.requests.filter((r) => r.includes('/resolve/')).every((r) => /\/(config\.json|model\.safetensors)$/.test(r))).toBe(true);

    // Pulling again fetches no file bytes; the listing shows the snapshot.
    hub.requests.length = 0;
    await pull(REPO);
    expect(hub.requests.filter((r) => r.includes('/resolve/'))).toEqual([]);
    const listing = await listCachedModels(cacheDir);
    expect(listing.models).toEqual([expect.objectContaining({ repo: REPO, commit: GPT2_COMMIT, refs: ['main'], path: snapshot, files: ['config.json', 'model.safetensors'] })]);
    expect(listing.models[0].size).toBe(source.get('config.json')!.length + source.get('model.safetensors')!.length);
  });

  it('an interrupted download leaves no snapshot or ref, and the next pull resumes it', async () => {
    hub.truncate.add(`${REPO}/model.safetensors`);
    await expect(pull(REPO)).rejects.toThrow(/^download of test-org\/tiny-gpt2\/model\.safetensors from 127\.0\.0\.1:\d+ was interrupted \(.+\); run the pull again to resume$/);
    const dir = repoDir(cacheDir);
    expect(existsSync(join(dir, 'snapshots'))).toBe(false);
    expect(existsSync(join(dir, 'refs'))).toBe(false);
    expect(() => resolveModel(REPO, { cacheDir })).toThrow(/not in the Hugging Face cache/);
    const partial = readdirSync(join(dir, 'blobs')).filter((name) => name.endsWith('.incomplete'));
    expect(partial).toHaveLength(1);

    const partialSize = lstatSync(join(dir, 'blobs', partial[0])).size;
    expect(partialSize).toBeGreaterThan(0);
    hub.ranges.length = 0;
    const result = await pull(REPO);
    expect(hub.ranges).toEqual([`model.safetensors bytes=${partialSize}-${hub.repos.get(REPO)!.files.get('model.safetensors')!.length - 1}`]);
    expect(new Uint8Array(readFileSync(join(result.path, 'model.safetensors')))).toEqual(hub.repos.get(REPO)!.files.get('model.safetensors'));
    expect(readdirSync(join(dir, 'blobs')).filter((name) => name.endsWith('.incomplete'))).toEqual([]);
  });

  it('a checksum mismatch is reported and the bad download removed', async () => {
    hub.corrupt.add(`${REPO}/model.safetensors`);
    try {
      await expect(pull(REPO)).rejects.toThrow(/^test-org\/tiny-gpt2\/model\.safetensors: checksum mismatch \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\); removed the download, run the pull again$/);
    } finally {
      hub.corrupt.clear();
    }
    const dir = repoDir(cacheDir);
    expect(readdirSync(join(dir, 'blobs')).filter((name) => !name.startsWith(blobName('config.json', hub.repos.get(REPO)!.files.get('config.json')!)))).toEqual([]);
    expect(existsSync(join(dir, 'snapshots'))).toBe(false);
  });

  it('an unreachable hub is one line naming the host', async () => {
    const port = await closedPort();
    await expect(pullModel(REPO, { hubUrl: `http://127.0.0.1:${port}`, cacheDir })).rejects.toThrow(new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)$`));
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('unknown repositories, revisions and files are named', async () => {
    await expect(pull('test-org/nope')).rejects.toThrow(/^test-org\/nope@main: 127\.0\.0\.1:\d+ answered HTTP 404: Repository not found \(check the name/);
    await expect(pull(REPO, { revision: 'v9' })).rejects.toThrow(/^test-org\/tiny-gpt2@v9: .*HTTP 404: Invalid rev id: v9/);
    await expect(pull(`${REPO}/missing.bin`)).rejects.toThrow(/^test-org\/tiny-gpt2@main has no file missing\.bin \(files: /);
    await expect(pull('karpathy/tinyllamas')).rejects.toThrow(/^karpathy\/tinyllamas: no config\.json, .*hooklens pull karpathy\/tinyllamas\/stories15M\.bin/);
    await expect(pull('/abs/path')).rejects.toThrow(/^\/abs\/path: not a model name; give a short name \(gpt2, /);
  });

  it('a commit revision writes no ref', async () => {
    const result = await pull(REPO, { revision: GPT2_COMMIT });
    expect(result.repos[0].commit).toBe(GPT2_COMMIT);
    expect(existsSync(join(repoDir(cacheDir), 'refs'))).toBe(false);
    expect(resolveModel(`${REPO}@${GPT2_COMMIT}`, { cacheDir }).path).toBe(result.path);
    expect(resolveModel(REPO, { cacheDir }).path).toBe(result.path); // newest snapshot without refs/main
  });

  it('llama2.c short names fetch their files (and a tokenizer kept elsewhere) and resolve offline', async () => {
    const small = await pull('stories260K');
    expect(small.path).toBe(join(repoDir(cacheDir, 'karpathy/tinyllamas'), 'snapshots', TINYLLAMAS_COMMIT, 'stories260K', 'stories260K.bin'));
    expect(existsSync(join(small.path, '..', 'tok512.bin'))).toBe(true);
    expect(loadCheckpoint(resolveModel('stories260k', { cacheDir }).path).tokenizerPath).toMatch(/tok512\.bin$/);

    const big = await pull('stories15M');
    expect(big.repos.map((r) => r.repo)).toEqual(['karpathy/tinyllamas', 'hf-internal-testing/llama-tokenizer']);
    expect(big.tokenizer).toBe(join(repoDir(cacheDir, 'hf-internal-testing/llama-tokenizer'), 'snapshots', TOKENIZER_COMMIT, 'tokenizer.json'));
    // The second file joined the existing snapshot of the same commit.
    const snapshot = join(repoDir(cacheDir, 'karpathy/tinyllamas'), 'snapshots', TINYLLAMAS_COMMIT);
    expect(readdirSync(snapshot).sort()).toEqual(['stories15M.bin', 'stories260K']);
    expect(resolveModel('stories15M', { cacheDir })).toMatchObject({ path: big.path, tokenizer: big.tokenizer, source: 'cache', repo: 'karpathy/tinyllamas' });
  });
});

