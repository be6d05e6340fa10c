import { startBackend } from '../openModel.ts';
import type { Command } from './command.ts';
import { numberOption, stringOption } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import type { EvalResult, TrainingTask, TrainProgress } from '@hooklens/core/train';

const TASKS = ['induction', 'ioi', 'text'] as const;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a small model from scratch on a synthetic task or a text file; writes a hooklens checkpoint',
  usage: 'train --task induction|ioi|text [--text FILE] [--layers N] [--d-model N] [--heads N] [--d-mlp N] [--attn-only] [--positional learned|rotary] [--steps N] [--batch N] [--lr X] [--seed S] --out DIR [--json]',
  details: [
    'Tasks: induction — repeated random tokens (a random segment then its copy), the setting where induction heads form; ' +
      'ioi — indirect-object sentences ("When Mary and John went to the store , John gave a drink to" → Mary), word-level, ' +
      'with held-out (template, name) combinations; text — character-level language modelling on --text FILE (last tenth held out).',
    'Training: GPT-2-style seeded init, AdamW (weight decay 0.01 on matrices), linear warm-up then cosine decay of the learning rate, ' +
      'gradient clipping at global norm 1. The same --seed and options give the same model on the same backend.',
    'Progress goes to stderr (a bar with the loss when stderr is a terminal), held-out evaluations every tenth of the run. ' +
      '--out gets config.json, model.safetensors, tokenizer.json, tokenizer_config.json and training.json, written to a hidden ' +
      'directory beside it and renamed into place at the end, so an interrupted run leaves no half-written model. ' +
      'Load the result with any command: hooklens info --model DIR.',
  ],
  options: [
    { name: 'task', type: 'string', value: 'NAME', required: true, description: 'induction, ioi or text' },
    { name: 'text', type: 'string', value: 'FILE', description: 'plain-text file for --task text' },
    { name: 'out', type: 'string', value: 'DIR', required: true, description: 'checkpoint directory to write (replaced if it exists)' },
    { name: 'layers', type: 'string', value: 'N', description: 'transformer blocks (default 2)' },
    { name: 'd-model', type: 'string', value: 'N', description: 'residual width (default 64)' },
    { name: 'heads', type: 'string', value: 'N', description: 'attention heads per layer; must divide --d-model (default 4)' },
    { name: 'd-mlp', type: 'string', value: 'N', description: 'MLP width (default 4 × d-model)' },
    { name: 'attn-only', type: 'boolean', description: 'no MLPs (attention-only transformer)' },
    { name: 'positional', type: 'string', value: 'KIND', description: 'learned (absolute, GPT-2 style; default) or rotary' },
    { name: 'context', type: 'string', value: 'N', description: 'row length for induction and text (defaults 41 and 65)' },
    { name: 'steps', type: 'string', value: 'N', description: 'optimiser steps (default 1000)' },
    { name: 'batch', type: 'string', value: 'N', description: 'rows per step (default 32)' },
    { name: 'lr', type: 'string', value: 'X', description: 'peak learning rate (default 0.001)' },
    { name: 'seed', type: 'string', value: 'S', description: 'seed of the initial weights and the data stream (default 1)' },
    { name: 'json', type: 'boolean', description: 'print a JSON summary on stdout when done' },
  ],
  examples: [
    'hooklens train --task induction --layers 2 --attn-only --steps 2500 --seed 1 --out models/my-induction',
    'hooklens train --task text --text README.md --layers 2 --d-model 64 --steps 500 --out models/readme-chars',
  ],
  async run(values, globals) {
    const command = 'train';
    if (globals.engine === 'onnx') throw new UsageError('train: training runs on the tfjs engine (the onnx engine has no gradients); drop --engine onnx');
    const taskName = stringOption(values, 'task')!;
    if (!(TASKS as readonly string[]).includes(taskName)) throw new UsageError(`train: unknown --task '${taskName}'; tasks: ${TASKS.join(', ')}`);
    const textPath = stringOption(values, 'text');
    if (taskName === 'text' && textPath === undefined) throw new UsageError('train: --task text needs --text FILE');
    if (taskName !== 'text' && textPath !== undefined) throw new UsageError(`train: --text is only for --task text (got --task ${taskName})`);
    const out = stringOption(values, 'out')!;
    const int = (name: string, fallback: number, min = 1) => numberOption(values, name, command, { integer: true, min }) ?? fallback;
    const nLayers = int('layers', 2);
    const dModel = int('d-model', 64);
    const nHeads = int('heads', 4);
    if (dModel % nHeads !== 0) throw new UsageError(`train: --d-model ${dModel} must be a multiple of --heads ${nHeads}`);
    const attnOnly = values['attn-only'] === true;
    const dMlp = int('d-mlp', 4 * dModel);
    if (attnOnly && values['d-mlp'] !== undefined) throw new UsageError('train: --d-mlp has no effect with --attn-only');
    const positional = stringOption(values, 'positional') ?? 'learned';
    if (positional !== 'learned' && positional !== 'rotary') throw new UsageError(`train: --positional must be learned or rotary, got '${positional}'`);
    const context = numberOption(values, 'context', command, { integer: true, min: 9 });
    if (context !== undefined && taskName === 'ioi') throw new UsageError('train: --context is fixed by the templates for --task ioi');
    const steps = int('steps', 1000);
    const batchSize = int('batch', 32);
    const lr = numberOption(values, 'lr', command, { min: 0, minExclusive: true, max: 1 }) ?? 1e-3;
    const seed = int('seed', 1, 0);

    const { inductionTask, ioiTask, saveTrainedModel, textFileTask, trainModel } = await import('@hooklens/core/train');
    let task: TrainingTask;
    try {
      task = taskName === 'induction' ? inductionTask(context === undefined ? {} : { contextLength: context })
        : taskName === 'ioi' ? ioiTask()
        : textFileTask(textPath!, context === undefined ? {} : { contextLength: context });
    } catch (error) {
      throw new CliError((error as Error).message);
    }

    const backend = await startBackend(globals, 'tfjs');
    const shape = { nLayers, dModel, nHeads, attnOnly, positional, ...(attnOnly ? {} : { dMlp }) } as const;
    process.stderr.write(`training ${taskName}: ${nLayers} layers, d_model ${dModel}, ${nHeads} heads, ${attnOnly ? 'attention only' : `d_mlp ${dMlp}`}, ${positional} positions, vocab ${task.vocabulary.size}, context ${task.contextLength}; ${steps} steps of ${batchSize}, lr ${lr}, seed ${seed}\n`);
    const progress = progressReporter(process.stderr);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result;
    try {
      result = await trainModel({
        task, shape, steps, batchSize, lr, seed, signal: controller.signal,
        onProgress: progress.step,
        onEval: progress.eval,
      });
    } catch (error) {
      progress.end();
      if ((error as Error).name === 'AbortError') throw new CliError(`training interrupted; nothing written to ${out}`);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    progress.end();
    const { model, finalEval, finalTrainLoss, seconds, evals } = result;
    const summary = {
      out, task: taskName, ...(textPath !== undefined && { text: textPath }),
      config: model.config, parameters: model.numParams(),
      steps, batch: batchSize, lr, seed, backend: backend.name,
      seconds: Math.round(seconds * 10) / 10,
      finalTrainLoss, heldOut: { loss: finalEval.loss, ...finalEval.metrics },
      chanceLoss: Math.log(task.vocabulary.size),
      ...task.chanceLosses,
      evals: evals.map(({ step, loss, metrics }) => ({ step, loss, ...metrics })),
    };
    try {
      saveTrainedModel(out, model, task.vocabulary, { command: `hooklens ${process.argv.slice(2).join(' ')}`, ...summary });
    } finally {
      model.dispose();
    }
    const { evals: _evals, config: _config, ...brief } = summary;
    if (values.json) process.stdout.write(`${JSON.stringify(brief, null, 2)}\n`);
    else process.stdout.write(`${formatSummary(brief)}\n`);
  },
};

function formatSummary(summary: { out: string; seconds: number; finalTrainLoss: number; heldOut: Record<string, number>; chanceLoss: number; parameters: number }): string {
  const figures = Object.entries(summary.heldOut).map(([key, value]) => `${key} ${value.toFixed(4)}`).join(', ');
  return [
    `wrote ${summary.out} (${summary.parameters.toLocaleString('en-US')} parameters) in ${summary.seconds.toFixed(1)} s`,
    `train loss ${summary.finalTrainLoss.toFixed(4)} (chance ${summary.chanceLoss.toFixed(4)}); held out: ${figures}`,
  ].join('\n');
}

/** A progress bar on a terminal; otherwise a line every tenth of the run. Evaluations always get a line. */
function progressReporter(stream: NodeJS.WriteStream) {
  const tty = stream.isTTY === true;
  let drawn = false;
  let nextLine = 0;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  return {
    step(p: TrainProgress) {
      const eta = (p.elapsedMs / p.step) * (p.steps - p.step) / 1000;
      const text = `${p.step}/${p.steps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} eta ${formatSeconds(eta)}`;
      if (tty) {
        const width = 24;
        const filled = Math.round((p.step / p.steps) * width);
        stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
        drawn = true;
      } else if (p.step >= nextLine || p.step === p.steps) {
        stream.write(`step ${text}\n`);
        nextLine = p.step + Math.max(1, Math.round(p.steps / 10));
      }
    },
    eval(e: EvalResult) {
      clear();
      const metrics = Object.entries(e.metrics).map(([key, value]) => `, ${key} ${value.toFixed(4)}`).join('');
      stream.write(`eval step ${e.step}: held-out loss ${e.loss.toFixed(4)}${metrics}\n`);
    },
    end: clear,
  };
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
