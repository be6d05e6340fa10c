/**
 * What the CLI says about the GPT-NeoX and Phi-3 families: `hooklens info` names the family
 * (and a parallel residual), and `pull` knows the usual checkpoints by short name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHubName, SHORT_NAMES } from '@hooklens/core/hub';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../packages/cli/test/runCli.ts';
import { writeTinyGptNeox } from '../fixtures/gptneoxCheckpoint.ts';
import { writeTinyPhi3 } from '../fixtures/phi3Checkpoint.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-neoxphi-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const row = (stdout: string, key: string) => new RegExp(`^${key}\\s{2,}(.*)$`, 'm').exec(stdout)?.[1];

describe('hooklens info on GPT-NeoX and Phi-3', () => {
  it('names GPT-NeoX / Pythia, its parallel residual and partial rotary; no resid_mid hook', async () => {
    const { dir } = writeTinyGptNeox(join(scratch, 'neox'), { seed: 1601, nLayers: 1 });
    const result = await runCli(['info', '--model', dir]);
    expect(result.stderr).not.toMatch(/hooklens:/);
    expect(result.code).toBe(0);
    expect(row(result.stdout, 'family')).toBe('GPT-NeoX / Pythia (gptneox)');
    expect(row(result.stdout, 'residual')).toMatch(/^parallel/);
    expect(row(result.stdout, 'positional')).toBe('rotary (rotary dim 4, base 10000)');
    expect(row(result.stdout, 'activation')).toBe('gelu');
    expect(row(result.stdout, 'prepend BOS')).toMatch(/^no/);
    expect(result.stdout).not.toContain('hook_resid_mid');
  });

  it('names Phi-3 and its sequential residual', async () => {
    const { dir } = writeTinyPhi3(join(scratch, 'phi3'), { seed: 1602, nLayers: 1 });
    const result = await runCli(['info', '--model', dir, '--json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info.family).toBe('phi3');
    expect(info.architecture).toMatchObject({ parallelResidual: false, gatedMlp: true, nCtx: 40 });
    expect(info.hookNames).toContain('blocks.0.hook_resid_mid');
    expect(info.hookNames).toContain('blocks.0.mlp.hook_pre_linear');
  });
});

describe('pull short names', () => {
  it.each([
    ['pythia-70m', 'EleutherAI/pythia-70m'],
    ['pythia-160m', 'EleutherAI/pythia-160m'],
    ['pythia-410m', 'EleutherAI/pythia-410m'],
    ['pythia-1b', 'EleutherAI/pythia-1b'],
    ['Pythia-1.4B', 'EleutherAI/pythia-1.4b'],
    ['phi-3-mini', 'microsoft/Phi-3-mini-4k-instruct'],
  ])('%s is %s', (name, repo) => {
    expect(parseHubName(name)).toEqual({ repo });
    expect(parseHubName(`${name}@step3000`)).toEqual({ repo, revision: 'step3000' });
  });

  it('pull --help lists them', async () => {
    expect(Object.keys(SHORT_NAMES)).toEqual(expect.arrayContaining(['pythia-70m', 'pythia-1.4b', 'phi-3-mini']));
    const result = await runCli(['pull', '--help']);
    const text = result.stdout.replace(/\s+/g, ' '); // the help is wrapped to the terminal width
    expect(text).toContain('pythia-410m (EleutherAI/pythia-410m)');
    expect(text).toContain('phi-3-mini (microsoft/Phi-3-mini-4k-instruct)');
  });
});
