import { FAMILY_NAMES, type HookedTransformer, type ModelConfig } from '@hooklens/core';
import type { Command } from './command.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { openModel } from '../openModel.ts';
import { compactHookNames } from '../hookTemplates.ts';
import { formatCount, table } from '../format.ts';

export const infoCommand: Command = {
  name: 'info',
  summary: 'describe a checkpoint: architecture, parameter count, tokenizer, hook names',
  usage: 'info --model PATH|NAME [--tokenizer PATH] [--json]',
  details: [
    'Loads the checkpoint and prints its family, architecture numbers, parameter count, the backend in use, ' +
      'whether toTokens prepends BOS by default, where the tokenizer came from, and its hook point names ' +
      '(per-block names once, as blocks.{0..N}.name templates; --json lists every name).',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'json', type: 'boolean', description: 'print one JSON object instead (full config and every hook name)' },
  ],
  examples: ['hooklens info --model toy-ioi'],
  async run(values, globals) {
    const { model, backend, path } = await openModel(values, globals);
    const { engineLine } = await import('@hooklens/core');
    try {
      const summary = describeModel(model, path, engineLine(model.engine, backend.description));
      process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatInfo(summary)}\n`);
    } finally {
      model.dispose();
    }
  },
};

/** Sliding-window layers, when the model has any: how many, and their window. */
function windowLine(config: HookedTransformer['config']): string | undefined {
  const local = config.attnTypes?.filter((type) => type === 'local').length ?? 0;
  if (local === 0) return undefined;
  const base = config.rotaryBaseLocal === undefined ? '' : `, rotary base ${config.rotaryBaseLocal}`;
  return `sliding window ${config.windowSize} on ${local} of ${config.nLayers} layers${base}`;
}

/** Everything `info` reports, as plain data (the --json output). */
export function describeModel(model: HookedTransformer, path: string, backend: string) {
  const c = model.config;
  return {
    model: path,
    family: c.family,
    architecture: {
      nLayers: c.nLayers,
      dModel: c.dModel,
      nHeads: c.nHeads,
      nKvHeads: c.nKvHeads,
      dHead: c.dHead,
      dMlp: c.attnOnly ? null : c.dMlp,
      dVocab: c.dVocab,
      nCtx: c.nCtx,
      normType: c.normType,
      eps: c.eps,
      positional: c.positional,
      actFn: c.attnOnly ? null : c.actFn,
      gatedMlp: c.gatedMlp,
      parallelResidual: c.parallelResidual ?? false,
      attnOnly: c.attnOnly,
      tiedEmbeddings: c.tiedEmbeddings,
    },
    parameters: model.numParams(),
    backend,
    defaultPrependBos: c.defaultPrependBos,
    tokenizer: model.tokenizer?.source ?? null,
    config: c,
    hookNames: model.hookNames(),
  };
}

export function formatInfo(info: ReturnType<typeof describeModel>): string {
  const a = info.architecture;
  const rotary = info.config.positional === 'rotary' ? ` (rotary dim ${info.config.rotaryDim}, base ${info.config.rotaryBase})` : '';
  const mlp = a.attnOnly ? 'none (attention-only)' : `${a.dMlp}${a.gatedMlp ? ' (gated)' : ''}`;
  const hooks = compactHookNames(info.hookNames);
  const rows: [string, string][] = [
    ['model', info.model],
    ['family', `${FAMILY_NAMES[info.family]} (${info.family})`],
    ['layers', String(a.nLayers)],
    ['d_model', String(a.dModel)],
    ['heads', String(a.nHeads)],
    ['kv heads', String(a.nKvHeads)],
    ['d_head', String(a.dHead)],
    ['d_mlp', mlp],
    ['vocab', String(a.dVocab)],
    ['n_ctx', String(a.nCtx)],
    ['norm', `${a.normType} (eps ${a.eps})${normDetails(info.config)}`],
    ['positional', `${a.positional}${rotary}`],
    ['activation', a.actFn ?? 'none'],
    ['tied embed', a.tiedEmbeddings ? 'yes' : 'no'],
    ['residual', a.parallelResidual ? 'parallel (attention and MLP both read resid_pre; no resid_mid)' : 'sequential'],
    ...(windowLine(info.config) === undefined ? [] : [['local attn', windowLine(info.config)!] as [string, string]]),
    ['parameters', formatCount(info.parameters)],
    ['backend', info.backend],
    ['prepend BOS', info.defaultPrependBos ? 'yes (by default)' : 'no (by default)'],
    ['tokenizer', info.tokenizer ?? 'none (pass --tokenizer PATH to encode text)'],
    ['hooks', `${info.hookNames.length} (${hooks.perBlock} per block × ${hooks.blocks} blocks + ${info.hookNames.length - hooks.perBlock * hooks.blocks} others)`],
  ];
  return `${table(rows)}\n${hooks.lines.map((line) => `  ${line}`).join('\n')}`;
}

/** Where the norms sit when not in the usual place: after the sublayers (OLMo 2), on queries and keys (Qwen3, OLMo 2). */
function normDetails(config: ModelConfig): string {
  const details: string[] = [];
  if (config.normPlacement === 'post') details.push('ln1 / ln2 after attention / MLP');
  if (config.qkNorm === 'head') details.push('q/k norm per head');
  if (config.qkNorm === 'full') details.push('q/k norm over all heads');
  return details.length > 0 ? `; ${details.join('; ')}` : '';
}
