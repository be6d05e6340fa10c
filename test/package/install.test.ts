/**
 * The packages as npm users get them: build (`pnpm build`, skipped when up to date), `pnpm pack`
 * every published package, `npm install` the tarballs into an empty project outside the
 * repository, and there (a) run the README's library snippet with plain `node`, (b) run
 * `npx hooklens lens` and (c) `hooklens serve`, each checked against the in-repo source
 * computing the same thing in this process, and (d) type-check a TypeScript user of the
 * declarations. One install for the whole file: it is the slow part.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { resolveModelPath } from '@hooklens/core/hub';
import { activationPatching, logitLens, resolveToken } from '@hooklens/hooks';
import { buildPackages } from '../../scripts/build.ts';
import { BUILT_PACKAGES, REPO_ROOT } from '../../packages/cli/bin/builtDist.js';
import { spawnServing } from '../../packages/cli/test/spawnServing.ts';

const CLEAN = 'When Mary and John went to the store , John gave a drink to';
const CORRUPTED = 'When Mary and John went to the store , Mary gave a drink to';
const run = promisify(execFile);

/** The README's "Library" code block, exactly as printed there. */
function readmeSnippet(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /^## Library\n[\s\S]*?^```js\n([\s\S]*?)^```$/m.exec(readme);
  if (!block) throw new Error('README.md: no ```js block under "## Library"');
  return block[1];
}

/** The range the repository itself uses for a dev dependency (the root package.json). */
function devVersion(name: string): string {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  return root.devDependencies[name];
}

/** The rows of a console.table printout, cells trimmed, index column dropped. */
function consoleTableRows(text: string): string[][] {
  return text.split('\n').filter((line) => line.startsWith('│')).map((line) => line.split('│').slice(2, -1).map((cell) => cell.trim().replace(/^'|'$/g, '')));
}

describe('the packed packages installed with npm into an empty project', () => {
  const project = mkdtempSync(join(tmpdir(), 'hooklens-install-'));
  const timings: string[] = [];
  let model: HookedTransformer;

  async function timed<T>(step: string, body: () => T | Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await body();
    } finally {
      timings.push(`${step} ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  }

  beforeAll(async () => {
    await timed('build', () => buildPackages({ quiet: true }));
    const packs = join(project, 'packs');
    await timed('pack', () => {
      for (const name of BUILT_PACKAGES) {
        const packed = spawnSync('pnpm', ['pack', '--pack-destination', packs], { cwd: join(REPO_ROOT, 'packages', name), encoding: 'utf8' });
        if (packed.status !== 0) throw new Error(`pnpm pack in packages/${name} failed:\n${packed.stdout}${packed.stderr}`);
      }
    });
    const tarballs = readdirSync(packs).filter((file) => file.endsWith('.tgz'));
    expect(tarballs).toHaveLength(BUILT_PACKAGES.length);
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'hooklens-install-test', private: true, type: 'module' })}\n`);
    // Without the optional native tfjs bindings: their install script downloads libtensorflow,
    // which CI cannot reach (hooklens then runs on wasm, as here).
    await timed('npm install', () =>
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', '@tensorflow/tfjs-core@4.22.0', `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`, ...tarballs.map((file) => `./packs/${file}`)], { cwd: project }),
    );
    await initBackend('wasm');
    model = await loadModel(resolveModelPath('toy-ioi'));
  }, 1_200_000);

  afterAll(() => {
    model?.dispose();
    rmSync(project, { recursive: true, force: true });
    process.stdout.write(`package install test: ${timings.join(', ')}\n`);
  });

  it('installs JavaScript only: dist/ and the shipped models, no TypeScript source and no tsx', () => {
    const installed = join(project, 'node_modules', '@hooklens');
    expect(readdirSync(installed).sort()).toEqual(['cli', 'core', 'hooks', 'ui']);
    for (const name of BUILT_PACKAGES) {
      expect(existsSync(join(installed, name, 'src')), `@hooklens/${name} ships src/`).toBe(false);
      expect(existsSync(join(installed, name, 'README.md')), `@hooklens/${name} has a README`).toBe(true);
    }
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(installed, 'core', 'models', 'toy-ioi', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(installed, 'ui', 'dist', 'client', 'index.html'))).toBe(true);
  });

  it("runs the README's library snippet as plain .mjs with node, with the in-repo tools' numbers", async () => {
    writeFileSync(join(project, 'snippet.mjs'), readmeSnippet());
    const { stdout } = await run(process.execPath, ['snippet.mjs'], { cwd: project });

    const tokens = model.toStrTokens(model.toTokens(CLEAN));
    expect(stdout).toContain(`'${tokens[1]}'`);
    expect(stdout).toContain(`[ 1, ${model.config.nHeads}, ${tokens.length}, ${tokens.length} ]`);
    const expected = await activationPatching(model, model.toTokens(CLEAN), model.toTokens(CORRUPTED), {
      kind: 'z', answer: resolveToken(model, 'Mary'), wrong: resolveToken(model, 'John'),
    });
    const printed = consoleTableRows(stdout).slice(1);
    expect(printed.map((row) => row.map(Number))).toHaveLength(model.config.nLayers);
    printed.forEach((row, layer) => row.forEach((cell, head) => expect(Number(cell)).toBeCloseTo(expected.values[layer][head], 2)));
  }, 300_000);

  it('npx hooklens lens prints the logit lens the in-repo tool computes', async () => {
    const { stdout, stderr } = await run('npx', ['--no-install', 'hooklens', 'lens', '--model', 'toy-ioi', '--prompt', CLEAN, '--target', 'Mary', '--json'], { cwd: project });
    // onnx where npm installed onnxruntime-node (it does here despite --omit=optional), else tfjs
    // with the reason on the same line.
    expect(stderr).toMatch(/^backend: (onnx \(CPU, \d+ threads?\)|tfjs on wasm \(SIMD, 1 thread\); onnx unavailable: [^\n]+)$/m);
    const printed = JSON.parse(stdout) as { layers: string[]; top: { token: string; prob: number }[][][]; target: { prob: number; rank: number }[][] };
    const expected = logitLens(model, model.toTokens(CLEAN), { topK: 5, target: resolveToken(model, 'Mary') });
    expect(printed.layers).toEqual(expected.layers);
    expect(printed.top.map((layer) => layer.map((cell) => cell[0].token))).toEqual(expected.top.map((layer) => layer.map((cell) => cell[0].token)));
    printed.target.forEach((layer, l) => layer.forEach((cell, p) => {
      expect(cell.prob).toBeCloseTo(expected.target![l][p].prob, 6);
      expect(cell.rank).toBe(expected.target![l][p].rank);
    }));
  }, 300_000);

  it('gives a TypeScript user typed declarations (Node16 resolution), chained tensor methods included', async () => {
    writeFileSync(join(project, 'typed.ts'), [
      "import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';",
      "import { resolveModelPath } from '@hooklens/core/hub';",
      "import { logitLens } from '@hooklens/hooks';",
      "import { ROUTES } from '@hooklens/ui/api';",
      "import { startServer } from '@hooklens/ui/server';",
      'await initBackend();',
      "const model: HookedTransformer = await loadModel(resolveModelPath('toy-ioi'));",
      "const logits = model.forward(model.toTokens('When Mary and John'));",
      'const flat = logits.add(logits).reshape([-1]);',
      'const layers: number = logitLens(model, [0, 1], { topK: 1 }).layers.length;',
      '// @ts-expect-error: the declarations are typed, not any',
      'const wrong: string = layers;',
      'console.log(flat.shape, wrong, ROUTES, startServer);',
      '',
    ].join('\n'));
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    // skipLibCheck as usual: tfjs-core's own declarations name a `Long` type they do not depend on.
    // A declaration of ours that failed to resolve would still show: its types would become `any`.
    const checked = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'node16', '--types', 'node', 'typed.ts'], { cwd: project, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  }, 300_000);

  it('hooklens serve serves the prebuilt dashboard and the API with the shipped model', async () => {
    const bin = join(project, 'node_modules', '.bin', 'hooklens');
    const served = spawnServing([bin, 'serve', '--model', 'toy-ioi', '--port', '0'], { cwd: project });
    try {
      const url = await served.url;
      const html = await (await fetch(`${url}/`)).text();
      expect(html).toMatch(/<div id="root">/);
      const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${url}${script}`)).status).toBe(200);
      const { models } = (await (await fetch(`${url}/api/models`)).json()) as { models: { id: string; hasTokenizer: boolean }[] };
      expect(models.map((entry) => [entry.id, entry.hasTokenizer])).toEqual([['toy-ioi', true]]);
    } finally {
      served.child.kill('SIGTERM');
    }
  }, 300_000);
});
