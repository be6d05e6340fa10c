import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from './inProcess.ts';
import { errorLines, runCli } from './runCli.ts';

describe('hooklens help and usage errors', () => {
  it('--help lists every command and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['demo', 'info', 'cache', 'generate']) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(result.stderr).toBe('');
  });

  it.each([
    ['info', ['--model PATH', '--tokenizer PATH', '--json']],
    ['cache', ['--prompt TEXT', '--tokens-file FILE', '--out FILE', '--names REGEX', '--no-bos']],
    ['generate', ['--max-new-tokens N', '--temperature T', '--seed S', '--top-k K', '--top-p P', 'continuation']],
    ['demo', ['--dir DIR']],
  ])('%s --help documents its options', async (command, expected) => {
    const result = await runCliHere([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: hooklens ${command}`);
    for (const text of expected) expect(result.stdout).toContain(text);
    expect(result.stdout).toContain('--backend NAME');
  });

  it.each([
    ['run', 'run EXPERIMENT.json [', 'EXPERIMENT.json', '--experiment EXPERIMENT.json'],
    ['pull', 'pull NAME|ORG/NAME[/FILE] [', 'NAME', '--model NAME'],
  ])('%s --help lists its bare argument as the usage line writes it, not as a required option', async (command, usage, argument, alias) => {
    const { code, stdout } = await runCliHere([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: hooklens ${usage}`);
    const [, argumentsPart, optionsPart] = stdout.split(/^(?:Arguments|Options):$/m);
    expect(argumentsPart.trim()).toMatch(new RegExp(`^${argument.replace(/\./g, '\\.')} +\\S.*\\(required; or ${alias}\\)$`, 's'));
    expect(optionsPart).not.toContain(alias);
    expect(stdout).not.toContain('(required)');
  });

  it('help that points to the README\'s differences from TransformerLens finds that table there', async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = /^## Differences from TransformerLens\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
    expect(section, 'README section "Differences from TransformerLens"').toBeDefined();
    // One table, three cells a row, so lines added later stay one row each.
    const rows = section!.split('\n').filter((line) => line.startsWith('|'));
    expect(rows[0]).toBe('| where | TransformerLens | hooklens |');
    for (const row of rows) expect(row.replace(/`[^`]*`/g, '').split(' | ').length, row).toBe(3);
    const heads = rows.find((row) => row.startsWith('| head scores |'));
    expect(heads).toContain('detect_head');
    for (const args of [['--help'], ['heads', '--help']]) {
      const { code, stdout } = await runCliHere(args);
      expect(code).toBe(0);
      expect(stdout.replace(/\s+/g, ' ')).toContain('Differences from TransformerLens');
    }
  });

  it.each([
    [[], /missing command/],
    [['frobnicate'], /unknown command 'frobnicate'; commands: demo, info, cache, generate/],
    [['info'], /info: missing required option --model PATH/],
    [['info', '--model'], /option --model needs a value/],
    [['info', '--modle', 'x'], /unknown option --modle/],
    [['generate', '--model', 'x', '--prompt', 'a', '--max-new-tokens', 'ten'], /--max-new-tokens must be an integer, got 'ten'/],
    [['generate', '--model', 'x', '--prompt', 'a', '--max-new-tokens', '3', '--top-p', '1.5'], /--top-p must be > 0 and <= 1, got 1.5/],
    [['cache', '--model', 'x', '--out', 'y.safetensors'], /exactly one of --prompt TEXT or --tokens-file FILE/],
    [['info', '--model', 'x', '--backend', 'webgl'], /unknown backend 'webgl' for --backend; valid backends: tensorflow, wasm, cpu/],
  ])('usage error %j exits 2 with one line', async (args, message) => {
    const result = await runCliHere(args);
    expect(result.code).toBe(2);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hooklens: /);
    expect(lines[0]).toMatch(message);
  });

  it('a usage error from the real process exits 2 with one line and no stack', async () => {
    const result = await runCli(['info', '--modle', 'x']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('hooklens: info: unknown option --modle; did you mean --model? (see hooklens info --help)\n');
  });

  it('HOOKLENS_BACKEND with an unknown value is a one-line error listing the valid backends', async () => {
    // A path (not a bare name) is opened after the backend starts, so the backend's error comes first.
    const result = await runCli(['info', '--model', './nowhere'], { env: { HOOKLENS_BACKEND: 'gpu' } });
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual(["hooklens: HOOKLENS_BACKEND: unknown backend 'gpu'; valid backends: tensorflow, wasm, cpu"]);
  });

  it('--backend tensorflow without a working tfjs-node says what to install (with one, it is used)', async () => {
    const result = await runCli(['info', '--model', './nowhere', '--backend', 'tensorflow']);
    expect(result.code).toBe(1);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    // tfjs-node is an optional dependency: its install succeeds only where libtensorflow can be downloaded.
    // The backend line comes only once the tensorflow backend started.
    if (/^backend: /m.test(result.stderr)) expect(lines[0]).toContain('nowhere');
    else expect(lines[0]).toMatch(/needs @tensorflow\/tfjs-node-gpu .*or @tensorflow\/tfjs-node installed/);
  });

  it('a mistyped model name is one line listing the shipped and cached names, suggesting the nearest', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'hooklens-empty-hub-'));
    try {
      const result = await runCli(['lens', '--model', 'toy-iio', '--prompt', 'When'], { env: { HF_HUB_CACHE: cache } });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('hooklens: model toy-iio: no such file or folder, shipped model or cached hub model; did you mean toy-ioi? (shipped: toy-induction, toy-ioi; cached: none)\n');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('--verbose adds the stack trace', async () => {
    const result = await runCli(['info', '--model', 'nowhere', '--verbose']);
    expect(result.code).toBe(1);
    expect(errorLines(result).length).toBeGreaterThan(1);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});
