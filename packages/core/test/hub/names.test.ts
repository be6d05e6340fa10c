import { describe, expect, it } from 'vitest';
import { pathInside } from '../../src/hub/cache.ts';
import { isSafeRepoPath, isValidRevision, parseHubName, shortName } from '../../src/hub/names.ts';
import { GPT2_COMMIT } from './fixtures.ts';

describe('hub names', () => {
  it('revisions follow the branch / tag / commit grammar', () => {
    for (const good of ['main', 'v1.0', 'refs/pr/1', 'refs/convert/parquet', 'release-2024_01', 'a+b', GPT2_COMMIT]) expect([good, isValidRevision(good)]).toEqual([good, true]);
    for (const bad of ['', '..', '../x', 'a/../b', 'a..b', '.hidden', 'a/.b', 'a//b', '/abs', 'x/', 'x.lock', 'x.', 'a\\b', 'a b', 'a:b', '-x', 'a\u0000', 'x'.repeat(256)]) {
      expect([bad, isValidRevision(bad)]).toEqual([bad, false]);
    }
    expect(parseHubName('org/name@../../x')).toBeUndefined();
    expect(parseHubName('org/name@v1.0')).toEqual({ repo: 'org/name', revision: 'v1.0' });
  });

  it('file paths from a listing stay below the snapshot', () => {
    for (const good of ['config.json', 'onnx/decoder.onnx', '.gitattributes', 'a b.txt']) expect([good, isSafeRepoPath(good)]).toEqual([good, true]);
    for (const bad of ['', '..', '../x', 'a/../../x', './x', 'a//b', '/etc/passwd', 'a\\..\\x', 'a\nb', 'x/']) expect([bad, isSafeRepoPath(bad)]).toEqual([bad, false]);
  });

  it('pathInside refuses whatever resolves outside its root', () => {
    expect(pathInside('/cache/blobs', 'abc')).toBe('/cache/blobs/abc');
    expect(() => pathInside('/cache/blobs', '../x')).toThrow(/^\.\.\/x: resolves to \/cache\/x, outside \/cache\/blobs; refusing to touch it$/);
    expect(() => pathInside('/cache/blobs', '/etc/passwd')).toThrow(/outside/);
    expect(() => pathInside('/cache/blobs', '.')).toThrow(/outside/);
    expect(pathInside('/cache/blobs', '..x')).toBe('/cache/blobs/..x');
  });

  it('short names for the Qwen3 and OLMo 2 checkpoints, in any case', () => {
    expect(shortName('qwen3-0.6b')?.target).toEqual({ repo: 'Qwen/Qwen3-0.6B' });
    expect(shortName('Qwen3-0.6B')?.name).toBe('qwen3-0.6b');
    expect(shortName('OLMo-2-1B')?.target).toEqual({ repo: 'allenai/OLMo-2-0425-1B' });
  });
});
