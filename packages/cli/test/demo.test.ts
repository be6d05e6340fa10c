import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../core/src/io/safetensors.ts';
import { runCli } from './runCli.ts';

describe('hooklens demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklens-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a checkpoint, describes it, caches its activations; the checkpoint then works with the other commands', async () => {
    const result = await runCli(['demo', '--dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('family       GPT-2 (gpt2)');
    expect(result.stdout).toContain('blocks.{0..1}.attn.hook_pattern');
    const file = readSafetensors(join(dir, 'activations.safetensors'));
    expect(file.tensors.get('logits')!.shape[2]).toBe(257);

    const generated = await runCli(['generate', '--model', join(dir, 'tiny-gpt2'), '--prompt', 'Hello', '--max-new-tokens', '5', '--temperature', '1', '--seed', '1']);
    expect(generated.code, generated.stderr).toBe(0);
  });
});
