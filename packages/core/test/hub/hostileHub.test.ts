/**
 * A hub (or a user) that sends names meant to escape the cache, blobs that are not what they claim,
 * and silence. The cache lives in root/cache; anything appearing elsewhere under root is a write that
 * escaped it.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullModel } from '../../src/hub/index.ts';
import { blobName, sha256, startFakeHub, type FakeHub, type TreeEntry } from './fakeHub.ts';
import { GPT2_COMMIT, tinyGpt2Repo } from './fixtures.ts';

const REPO = 'test-org/tiny-gpt2';
const VICTIM_TEXT = 'root:x:0:0:root:/root:/bin/bash\n';

describe('pullModel against a hostile hub', () => {
  let hub: FakeHub;
  let root: string;
  let cacheDir: string;
  let victim: string;
  const repoDir = () => join(cacheDir, 'models--test-org--tiny-gpt2');
  const blobsDir = () => join(repoDir(), 'blobs');
  const source = (file: string) => hub.repos.get(REPO)!.files.get(file)!;
  const pull = (name: string, options = {}) => pullModel(name, { hubUrl: hub.url, cacheDir, timeoutMs: 20_000, ...options });
  /** Everything under root but the cache: only the victim may be there, unchanged. */
  const expectNothingOutsideCache = () => {
    expect(readdirSync(root).sort()).toEqual(['cache', 'victim']);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
  };
  const editEntry = (file: string, edit: (entry: TreeEntry) => TreeEntry) => {
    hub.editListing = (_repo, entries) => entries.map((entry) => (entry.path === file ? edit(entry) : entry));
  };

  beforeAll(async () => {
    hub = await startFakeHub(new Map([[REPO, tinyGpt2Repo()]]));
  });
  afterAll(() => hub.close());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hooklens-hostile-'));
    cacheDir = join(root, 'cache');
    mkdirSync(cacheDir);
    victim = join(root, 'victim');
    writeFileSync(victim, VICTIM_TEXT);
    hub.requests.length = 0;
  });
  afterEach(() => {
    Object.assign(hub, { anyRevision: false, editListing: undefined, silent: false });
    hub.stall.clear();
    rmSync(root, { recursive: true, force: true });
  });

  it('a revision that climbs out of refs/ is refused before any request, even when the hub answers it', async () => {
    hub.anyRevision = true;
    await expect(pull(REPO, { revision: '../../../victim' })).rejects.toThrow(/^\.\.\/\.\.\/\.\.\/victim: not a revision \(a branch or tag name/);
    await expect(pull(REPO, { revision: '../../../somewhere/file' })).rejects.toThrow(/not a revision/);
    // Through the name too: NAME@REV with such a revision is not a hub name at all.
    await expect(pull(`${REPO}@../../../somewhere/file`)).rejects.toThrow(/not a model name/);
    expect(hub.requests).toEqual([]);
    expectNothingOutsideCache();
    expect(readdirSync(cacheDir)).toEqual([]);

    // Branches and tags with dots and slashes are still revisions (refs/pr/N is how the hub names PRs).
    const result = await pull(REPO, { revision: 'refs/pr/1' });
    expect(readFileSync(join(repoDir(), 'refs', 'refs', 'pr', '1'), 'utf8')).toBe(GPT2_COMMIT);
    expect(result.repos[0].commit).toBe(GPT2_COMMIT);
  });

  it('an lfs.oid that is a path is refused: no link to a file outside the cache, nothing written there', async () => {
    // With the victim's size, an unchecked oid made config.json a link to it without a download.
    const escape = relative(join(cacheDir, 'models--test-org--tiny-gpt2', 'blobs'), victim);
    editEntry('config.json', (entry) => ({ ...entry, lfs: { oid: escape, size: VICTIM_TEXT.length, pointerSize: 134 } }));
    await expect(pull(REPO)).rejects.toThrow(/^test-org\/tiny-gpt2\/config\.json: the hub's listing gives lfs\.oid "\.\.\/\.\.\/\.\.\/victim", not 64 hex digits$/);
    expect(existsSync(join(repoDir(), 'snapshots'))).toBe(false);
    expectNothingOutsideCache();

    // Another size: the download would have gone to <victim>.incomplete.
    editEntry('config.json', (entry) => ({ ...entry, lfs: { oid: `${escape}-new`, size: 5, pointerSize: 134 } }));
    await expect(pull(REPO)).rejects.toThrow(/lfs\.oid "\.\.\/\.\.\/\.\.\/victim-new", not 64 hex digits/);
    expectNothingOutsideCache();
  });

  it('git oids and sizes are checked too', async () => {
    editEntry('config.json', (entry) => ({ ...entry, oid: '../x' }));
    await expect(pull(REPO)).rejects.toThrow(/^test-org\/tiny-gpt2\/config\.json: the hub's listing gives oid "\.\.\/x", not 40 hex digits$/);
    editEntry('config.json', (entry) => ({ ...entry, oid: entry.oid.toUpperCase() }));
    await expect(pull(REPO)).rejects.toThrow(/oid "[0-9A-F]{40}", not 40 hex digits/);
    editEntry('model.safetensors', (entry) => ({ ...entry, lfs: { ...entry.lfs!, size: -1 } }));
    await expect(pull(REPO)).rejects.toThrow(/^test-org\/tiny-gpt2\/model\.safetensors: the hub's listing gives size -1, not a byte count$/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('an existing blob of the right size but the wrong bytes is hashed, not trusted, and replaced', async () => {
    const file = 'model.safetensors';
    mkdirSync(blobsDir(), { recursive: true });
    const blob = join(blobsDir(), blobName(file, source(file)));
    writeFileSync(blob, new Uint8Array(source(file).length)); // zeros, the right length
    const result = await pull(REPO);
    expect(new Uint8Array(readFileSync(join(result.path, file)))).toEqual(source(file));
    expect(hub.requests.filter((r) => r.endsWith(`/resolve/${GPT2_COMMIT}/${file}`)).length).toBeGreaterThan(0);

    // An intact blob is reused: nothing fetched.
    hub.requests.length = 0;
    await pull(REPO);
    expect(hub.requests.filter((r) => r.includes('/resolve/'))).toEqual([]);
  });

  it('a symlink planted as a blob or as a partial download is replaced, never read or written through', async () => {
    const file = 'model.safetensors';
    const size = source(file).length;
    const outside = join(root, 'victim');
    writeFileSync(outside, new Uint8Array(size).fill(1)); // the right size, so only the hash tells
    const before = readFileSync(outside);
    mkdirSync(blobsDir(), { recursive: true });
    const blob = join(blobsDir(), blobName(file, source(file)));
    symlinkSync(outside, blob);
    // An earlier version of this content as a "partial" download that would be resumed (appended to).
    const config = join(blobsDir(), blobName('config.json', source('config.json')));
    symlinkSync(outside, `${config}.incomplete`);

    const result = await pull(REPO);
    expect(readFileSync(outside)).toEqual(before);
    expect(lstatSync(blob).isSymbolicLink()).toBe(false);
    expect(lstatSync(config).isSymbolicLink()).toBe(false);
    expect(existsSync(`${config}.incomplete`)).toBe(false);
    expect(new Uint8Array(readFileSync(join(result.path, file)))).toEqual(source(file));
    expect(new Uint8Array(readFileSync(join(result.path, 'config.json')))).toEqual(source('config.json'));
    expect(readdirSync(root).sort()).toEqual(['cache', 'victim']);
  });

  it('a hub that accepts the connection and never answers fails after the timeout, naming the host', async () => {
    hub.silent = true;
    await expect(pull(REPO, { timeoutMs: 300 })).rejects.toThrow(/^test-org\/tiny-gpt2@main: 127\.0\.0\.1:\d+ did not answer within 0\.3 s$/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('a hub that goes silent in the middle of a file fails after the timeout, and the next pull resumes', async () => {
    const file = 'model.safetensors';
    hub.stall.add(`${REPO}/${file}`);
    await expect(pull(REPO, { timeoutMs: 300 })).rejects.toThrow(
      /^download of test-org\/tiny-gpt2\/model\.safetensors stopped: 127\.0\.0\.1:\d+ sent no data for 0\.3 s; run the pull again to resume$/);
    const partial = join(blobsDir(), `${sha256(source(file))}.incomplete`);
    expect(lstatSync(partial).size).toBe(source(file).length >> 1);
    hub.stall.clear();
    hub.ranges.length = 0;
    const result = await pull(REPO, { timeoutMs: 300 });
    expect(hub.ranges).toEqual([`${file} bytes=${source(file).length >> 1}-${source(file).length - 1}`]);
    expect(new Uint8Array(readFileSync(join(result.path, file)))).toEqual(source(file));
  });
});
