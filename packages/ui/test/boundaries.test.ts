/**
 * The package boundaries, read from the import statements:
 * - the dashboard talks to the models only over HTTP: nothing the client bundle is made of
 *   (src/client and everything it imports from the workspace, followed transitively) imports
 *   @hooklens/core, @hooklens/hooks (but for its zod-only '@hooklens/hooks/experiment-schema' and the
 *   constants file it imports, experiment/kinds.ts),
 *   a Node module, or the server;
 * - @hooklens/hooks uses @hooklens/core only through the core's package exports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const packageDir = (name: string) => join(REPO, 'packages', name);
const SCHEMA_SPECIFIER = '@hooklens/hooks/experiment-schema';
const SCHEMA_FILE = join(packageDir('hooks'), 'src', 'experiment', 'schema.ts');
const SCHEMA_KINDS_FILE = join(packageDir('hooks'), 'src', 'experiment', 'kinds.ts');
const NODE_BUILTINS = new Set(builtinModules);

/** Every module specifier a file imports or re-exports, type-only and dynamic imports included (comments ignored). */
function specifiersOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((imported) => imported.fileName);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);
const shown = (path: string) => relative(REPO, path).split(sep).join('/');

/** Where a workspace specifier leads (a relative path, or the experiment schema), else undefined. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (specifier === SCHEMA_SPECIFIER) return SCHEMA_FILE;
  return specifier.startsWith('.') ? resolve(dirname(from), specifier) : undefined;
}

/** Why the client bundle may not import `specifier` from `from`, or undefined when it may. */
function clientImportViolation(from: string, specifier: string): string | undefined {
  if (specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0])) return 'a Node module';
  if (specifier === '@hooklens/core' || specifier.startsWith('@hooklens/core/')) return 'the core (tensors run on the server)';
  if ((specifier === '@hooklens/hooks' || specifier.startsWith('@hooklens/hooks/')) && specifier !== SCHEMA_SPECIFIER) return `@hooklens/hooks beyond ${SCHEMA_SPECIFIER}`;
  if (specifier.startsWith('@hooklens/ui/server') || specifier.startsWith('@hooklens/cli')) return 'the server side';
  const target = resolveLocal(from, specifier);
  if (target === undefined) return undefined;
  if (inside(target, join(packageDir('ui'), 'src', 'server'))) return 'the server';
  if (inside(target, packageDir('ui'))) return undefined;
  if (target === SCHEMA_FILE || target === SCHEMA_KINDS_FILE) return undefined;
  return 'a workspace file outside packages/ui';
}

/** The files of the client bundle: src/client and what they import from the workspace, transitively. */
function clientBundleFiles(): { files: string[]; violations: string[] } {
  const queue = sourceFiles(join(packageDir('ui'), 'src', 'client'));
  const seen = new Set(queue);
  const violations: string[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const specifier of specifiersOf(file)) {
      const violation = clientImportViolation(file, specifier);
      if (violation) violations.push(`${shown(file)} imports '${specifier}': ${violation}`);
      const target = resolveLocal(file, specifier);
      if (target && /\.tsx?$/.test(target) && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return { files: [...seen].map(shown).sort(), violations };
}

describe('the dashboard talks to the models only over HTTP', () => {
  it('the client bundle imports no core, no hooks but the schema, no Node module and no server code', () => {
    const { files, violations } = clientBundleFiles();
    expect(violations).toEqual([]);
    // The walk followed the imports out of src/client: into the shared API schemas and the experiment schema.
    expect(files).toContain('packages/ui/src/client/main.tsx');
    expect(files).toContain('packages/ui/src/api/index.ts');
    expect(files).toContain('packages/hooks/src/experiment/schema.ts');
    expect(files.length).toBeGreaterThan(20);
  });

  it('the check refuses each forbidden import', () => {
    const client = join(packageDir('ui'), 'src', 'client', 'views', 'Some.tsx');
    const refused = ['@hooklens/core', '@hooklens/core/hub', '@hooklens/hooks', '@hooklens/hooks/src/lens.ts', 'node:fs', 'fs', 'path/posix', '../../server/app.ts', '@hooklens/ui/server', '../../../../hooks/src/lens.ts', '../../../../core/src/index.ts'];
    for (const specifier of refused) expect(clientImportViolation(client, specifier), specifier).toBeDefined();
    const allowed = ['react', 'recharts', 'zod', SCHEMA_SPECIFIER, '../lib/api.ts', '../../api/index.ts', '../styles.css'];
    for (const specifier of allowed) expect(clientImportViolation(client, specifier), specifier).toBeUndefined();
  });
});

describe('@hooklens/hooks uses the core through its package exports', () => {
  const coreExports = Object.keys((JSON.parse(readFileSync(join(packageDir('core'), 'package.json'), 'utf8')) as { exports: Record<string, string> }).exports);
  const allowed = new Set(coreExports.map((key) => (key === '.' ? '@hooklens/core' : `@hooklens/core/${key.slice(2)}`)));

  it('imports @hooklens/core or its exported subpaths only, never its files', () => {
    const files = sourceFiles(join(packageDir('hooks'), 'src'));
    expect(files.length).toBeGreaterThan(10);
    const violations: string[] = [];
    let coreImports = 0;
    for (const file of files) {
      for (const specifier of specifiersOf(file)) {
        if (specifier.startsWith('@hooklens/core')) {
          coreImports++;
          if (!allowed.has(specifier)) violations.push(`${shown(file)} imports '${specifier}' (the core exports ${[...allowed].join(', ')})`);
        } else if (specifier.startsWith('.') && !inside(resolve(dirname(file), specifier), packageDir('hooks'))) {
          violations.push(`${shown(file)} imports '${specifier}', outside packages/hooks`);
        }
      }
    }
    expect(violations).toEqual([]);
    expect(coreImports).toBeGreaterThan(0);
    expect(allowed).toContain('@hooklens/core');
    expect(allowed.has('@hooklens/core/src/index.ts')).toBe(false);
  });
});
