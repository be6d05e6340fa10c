/**
 * `pnpm start` rebuilds the dashboard when any file the bundle was made from changed, including
 * workspace files outside packages/ui (the experiment schema from @hooklens/hooks).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildClient, INPUTS_FILE, REPO_ROOT, staleReason, workspaceSources } from '../../scripts/buildClient.ts';
import type { BuildInputs } from '../../scripts/buildClient.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fake repository with two sources and a built dashboard recorded at `builtAt`. */
function fakeBuild(name: string, builtAt: number, files = ['src/a.ts', 'lib/b.ts']): { root: string; outDir: string } {
  const root = join(scratch, name);
  const outDir = join(root, 'dist');
  mkdirSync(outDir, { recursive: true });
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), 'export {};\n');
    utimesSync(join(root, file), new Date(builtAt - 60_000), new Date(builtAt - 60_000));
  }
  writeFileSync(join(outDir, 'index.html'), '<div id="root"></div>');
  writeFileSync(join(outDir, INPUTS_FILE), JSON.stringify({ builtAt, files } satisfies BuildInputs));
  return { root, outDir };
}

describe('the dashboard staleness check', () => {
  const builtAt = Date.now() - 3_600_000;

  it('is up to date when every recorded input is older than the build', () => {
    const { root, outDir } = fakeBuild('fresh', builtAt);
    expect(staleReason(outDir, root)).toBeUndefined();
  });

  it('is stale when any recorded input, wherever it lives, changed after the build started', () => {
    const { root, outDir } = fakeBuild('changed', builtAt);
    utimesSync(join(root, 'lib/b.ts'), new Date(builtAt + 1000), new Date(builtAt + 1000));
    expect(staleReason(outDir, root)).toBe('lib/b.ts changed');
  });

  it('is stale when an input is gone, when nothing was recorded, or when nothing was built', () => {
    const gone = fakeBuild('gone', builtAt);
    rmSync(join(gone.root, 'src/a.ts'));
    expect(staleReason(gone.outDir, gone.root)).toBe('src/a.ts is gone');
    const unrecorded = fakeBuild('unrecorded', builtAt);
    rmSync(join(unrecorded.outDir, INPUTS_FILE));
    expect(staleReason(unrecorded.outDir, unrecorded.root)).toBe('not built yet');
    const garbled = fakeBuild('garbled', builtAt);
    writeFileSync(join(garbled.outDir, INPUTS_FILE), '{"builtAt": "soon"}');
    expect(staleReason(garbled.outDir, garbled.root)).toBe(`${INPUTS_FILE} is unreadable`);
    expect(staleReason(join(scratch, 'never-built'), scratch)).toBe('not built yet');
  });

  it('keeps only the repository\'s own files among the module ids', () => {
    const { root } = fakeBuild('ids', builtAt, ['packages/ui/src/client/App.tsx', 'packages/hooks/src/experiment/schema.ts', 'node_modules/react/index.js']);
    writeFileSync(join(scratch, 'elsewhere.ts'), 'export {};\n');
    const ids = [
      join(root, 'packages/ui/src/client/App.tsx'),
      `${join(root, 'packages/hooks/src/experiment/schema.ts')}?used`,
      join(root, 'node_modules/react/index.js'),
      '\0vite/modulepreload-polyfill.js',
      join(root, 'packages/ui/src/client/missing.ts'),
      join(scratch, 'elsewhere.ts'),
    ];
    expect(workspaceSources(ids, root)).toEqual(['packages/hooks/src/experiment/schema.ts', 'packages/ui/src/client/App.tsx']);
  });

  it('a real build records the experiment schema from @hooklens/hooks among its inputs', async () => {
    const outDir = join(scratch, 'client');
    const { built } = await buildClient({ quiet: true, outDir });
    expect(built).toBe(true);
    const { files, builtAt: started } = JSON.parse(readFileSync(join(outDir, INPUTS_FILE), 'utf8')) as BuildInputs;
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(files).toContain('packages/hooks/src/experiment/schema.ts');
    expect(files).toContain('packages/ui/src/client/main.tsx');
    expect(files).toContain('packages/ui/src/api/index.ts');
    expect(files).toContain('packages/ui/vite.config.ts');
    expect(files.filter((file) => file.includes('node_modules') || !/^packages\/(ui|hooks)\//.test(file))).toEqual([]);
    // Recorded relative to the repository, so the check reads the real files.
    expect(files.every((file) => readFileSync(join(REPO_ROOT, file)).length > 0)).toBe(true);
  }, 180_000);
});
