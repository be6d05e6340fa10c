import { listCachedModels, listShippedModels, SHIPPED_MODELS_DIR } from '@hooklens/core/hub';
import type { Command } from './command.ts';
import { formatBytes } from './pull.ts';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the models --model NAME can open: shipped ones and those in the Hugging Face cache',
  usage: 'models [--json]',
  details: [
    'Shipped models live in packages/core/models; cached ones in the Hugging Face cache ($HF_HUB_CACHE, else ' +
      '$HF_HOME/hub, else ~/.cache/huggingface/hub), whether hooklens pull or Python put them there. For each cached ' +
      'revision: the repository, its branches and commit, size on disk, path, and short names that map to it.',
  ],
  options: [{ name: 'json', type: 'boolean', description: 'print one JSON object instead' }],
  examples: ['hooklens models', 'hooklens models --json'],
  async run(values) {
    const shipped = listShippedModels();
    const cache = await listCachedModels();
    for (const warning of cache.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ shipped: { dir: SHIPPED_MODELS_DIR, models: shipped }, cache: { dir: cache.dir, models: cache.models } }, null, 2)}\n`);
      return;
    }
    const lines = [`shipped (${SHIPPED_MODELS_DIR})`];
    lines.push(...columns(shipped.map((model) => [model.name, model.path])), ...(shipped.length ? [] : ['  none']));
    lines.push(`Hugging Face cache (${cache.dir})`);
    lines.push(...columns(cache.models.map((model) => [
      model.repo,
      model.refs.length ? model.refs.join(',') : '-',
      model.commit.slice(0, 7),
      formatBytes(model.size),
      model.path,
      model.names.length ? `(${model.names.join(', ')})` : '',
    ])));
    if (cache.models.length === 0) lines.push('  none; fetch one with: hooklens pull gpt2');
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

/** Rows as aligned, two-space indented columns. */
function columns(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd());
}
