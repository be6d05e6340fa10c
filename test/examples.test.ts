/**
 * Every script in examples/ runs with its default model (one shipped in packages/core/models),
 * exits 0, and prints what is known about that model independently of the example: the claims
 * in packages/core/models/*\/TRAINING.md, checked by test/models.test.ts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function runExample(name: string, args: string[] = []): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', `examples/${name}.ts`, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The run's stdout, after checking it exited 0 (with stderr in the failure message). */
async function output(name: string): Promise<string> {
  const run = await runExample(name);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

/** The line that starts with `prefix` (after indentation). */
function line(text: string, prefix: string): string {
  const found = text.split('\n').find((l) => l.trimStart().startsWith(prefix));
  expect(found, `a line starting ${JSON.stringify(prefix)} in\n${text}`).toBeDefined();
  return found!;
}

/** The numbers on a line after its label. */
const numbers = (text: string) => [...text.matchAll(/-?\d+\.\d+/g)].map((m) => Number(m[0]));

describe('examples (default models)', () => {
  it('induction-heads on toy-induction: previous-token head L0H0, one induction head L1H0, each of which copying needs', async () => {
    const out = await output('induction-heads');
    // A sharp previous-token head (TRAINING.md: headScores 0.95) and the induction head (0.70).
    expect(line(out, 'previous-token heads:')).toMatch(/^previous-token heads: L0H0 \(0\.9\d\)$/);
    expect(line(out, 'induction heads:')).toMatch(/^induction heads: L1H0 \(0\.\d\d\)$/);
    // Ablating the induction head takes the repeated half from near 0 to worse than chance, the
    // previous-token head to about chance (TRAINING.md: 0.30 → 5.17 and 4.17).
    const clean = numbers(line(out, 'clean'))[1];
    expect(clean).toBeLessThan(0.5);
    expect(numbers(line(out, 'L1H0 zero-ablated'))[1]).toBeGreaterThan(Math.log(60));
    expect(numbers(line(out, 'L0H0 zero-ablated (previous-token)'))[1]).toBeGreaterThan(0.9 * Math.log(60));
  });

  it('activation-patching on toy-ioi: the repeated name at layer 0, the final position from layer 1 on', async () => {
    const out = await output('activation-patching');
    expect(line(out, 'metric:')).toContain('logit("Mary" #35) − logit("John" #36)');
    const row = (label: string) => numbers(line(out, label).slice(label.length));
    // Positions the two prompts share: patching them changes nothing (corrupted = 0).
    for (const label of ['pos 0: "<bos>"', 'pos 2: "Mary"']) {
      expect(row(label)).toHaveLength(4);
      for (const value of row(label)) expect(Math.abs(value), label).toBeLessThan(0.01);
    }
    // The one position that differs (the second "John"), before any layer ran: the whole clean run (1).
    expect(row('pos 10: "John"')[0]).toBeCloseTo(1, 2);
    // The final position, from layer 1 on: the information has moved there (TRAINING.md: 1.00).
    const last = row('pos 14: "to"');
    expect(last[0]).toBeCloseTo(0, 2);
    expect(last[3]).toBeGreaterThan(0.9);
  });

  it('logit-lens on toy-ioi: the final layer predicts the indirect object "Mary"', async () => {
    const out = await output('logit-lens');
    const atLast = out.slice(out.indexOf('at the last position'));
    expect(line(atLast, 'final')).toMatch(/top: "Mary" \d+\.\d%/);
  });

  it('head-ablation-sweep on toy-ioi: "Mary" beats "John"; L0H3, which reads the repeated name, matters most', async () => {
    const out = await output('head-ablation-sweep');
    const title = line(out, 'Δ logit difference');
    expect(title).toContain('" Mary" − " John"');
    expect(numbers(title.slice(title.indexOf('clean')))[0]).toBeGreaterThan(2);
    const grid = out.slice(out.indexOf(title)).split('\n').slice(2, 6).map((l) => numbers(l));
    const flat = grid.flatMap((row, layer) => row.map((delta, head) => ({ layer, head, delta })));
    expect(flat).toHaveLength(16);
    expect(flat.reduce((a, b) => (b.delta < a.delta ? b : a))).toMatchObject({ layer: 0, head: 3 });
  });

  it('attach-hooks on toy-ioi: predicts "Mary", one hook call per layer per pass, no tensors leaked', async () => {
    const out = await output('attach-hooks');
    expect(line(out, 'clean prediction:')).toContain('"Mary"');
    expect(line(out, '4. addHook')).toContain('8 calls over 2 forward passes (4 layers)');
    expect(line(out, 'tensors leaked')).toMatch(/: 0$/);
  });

  it('a model that is not there: exit 1 and one line on stderr naming it', async () => {
    const missing = '/nonexistent/hooklens-model.bin';
    const run = await runExample('logit-lens', ['--model', missing]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(missing);
  });
});
