import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from './command.ts';
import { describeModel, formatInfo } from './info.ts';
import { runAndCollect } from './cache.ts';
import { stringOption } from '../args.ts';
import { BYTE_TOKENIZER_VOCAB, writeByteTokenizer } from '../demo/byteTokenizer.ts';
import { startBackend } from '../openModel.ts';

const DEMO_PROMPT = 'The quick brown fox';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'offline tour: write a small random-weight GPT-2 checkpoint, describe it, cache its activations',
  usage: 'demo [--dir DIR]',
  details: [
    'Needs no download. Writes a 2-layer GPT-2-style checkpoint with random weights and a byte-level tokenizer ' +
      'into DIR, prints what `hooklens info` says about it, runs `hooklens cache` on a prompt and reads the ' +
      'activations file back, then prints commands to try next on the same checkpoint.',
  ],
  options: [{ name: 'dir', type: 'string', value: 'DIR', description: `where to write the checkpoint and activations (default: ${join(tmpdir(), 'hooklens-demo')})` }],
  examples: ['hooklens demo', 'hooklens demo --dir /tmp/hl'],
  async run(values, globals) {
    const dir = stringOption(values, 'dir') ?? join(tmpdir(), 'hooklens-demo');
    const modelDir = join(dir, 'tiny-gpt2');
    const out = join(dir, 'activations.safetensors');
    const say = (line = '') => process.stdout.write(`${line}\n`);

    const [{ engineLine, loadModel, readSafetensors, writeSafetensors }, { writeRandomGpt2 }] = await Promise.all([import('@hooklens/core'), import('../demo/randomGpt2.ts')]);
    const backend = await startBackend(globals);
    mkdirSync(modelDir, { recursive: true });
    writeRandomGpt2(modelDir, { nLayers: 2, dModel: 64, nHeads: 4, dMlp: 256, dVocab: BYTE_TOKENIZER_VOCAB, nCtx: 128 }, 0);
    writeByteTokenizer(modelDir);
    say(`Wrote a random-weight GPT-2-style checkpoint to ${modelDir}`);
    say();
    say(`$ hooklens info --model ${modelDir}`);
    const model = await loadModel(modelDir, globals.backend ? { backend: globals.backend } : {});
    try {
      say(formatInfo(describeModel(model, modelDir, engineLine(model.engine, backend.description))));
      say();
      say(`$ hooklens cache --model ${modelDir} --prompt "${DEMO_PROMPT}" --out ${out}`);
      const tokens = model.toTokens(DEMO_PROMPT);
      say(`tokens: ${JSON.stringify(model.toStrTokens(tokens))}`);
      writeSafetensors(out, runAndCollect(model, [tokens], model.hookNames(), undefined), { metadata: { format: 'hooklens-cache', model: modelDir, tokens: JSON.stringify([tokens]) } });
      const saved = readSafetensors(out).tensors;
      say(`wrote ${saved.size} tensors to ${out}, e.g.`);
      for (const name of ['logits', 'hook_embed', 'blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_result', 'blocks.1.mlp.hook_post', 'ln_final.hook_normalized']) {
        const tensor = saved.get(name);
        if (tensor) say(`  ${name.padEnd(28)} [${tensor.shape.join(', ')}]`);
      }
      const pattern = saved.get('blocks.0.attn.hook_pattern');
      if (pattern) {
        const [, , queries, keys] = pattern.shape;
        const lastRow = Array.from(pattern.data.subarray((queries - 1) * keys, queries * keys), (p) => p.toFixed(3));
        say(`  layer 0 head 0: how the last token attends to each position: [${lastRow.join(', ')}]`);
      }
      say();
      say('Next, on the same checkpoint:');
      say(`  hooklens cache --model ${modelDir} --prompt "Hello" --names 'hook_pattern$' --out ${join(dir, 'patterns.safetensors')}`);
      say(`  hooklens generate --model ${modelDir} --prompt "Hello" --max-new-tokens 20 --temperature 1 --seed 1   (random weights: random bytes)`);
      say('  hooklens generate --model path/to/stories260K.bin --prompt "Once upon a time" --max-new-tokens 40');
    } finally {
      model.dispose();
    }
  },
};
