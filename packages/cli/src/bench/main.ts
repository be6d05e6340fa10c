/**
 * `pnpm bench`: how fast the forward pass of a GPT-2-small-shaped model runs on the chosen
 * backend, with and without the full activation cache, measured against a plain matmul of the
 * same token count on the same backend (the ratio says how much of the hardware the model uses).
 * Then the research-tool sweeps on the same model: a full resid_pre patching sweep and a full
 * head-ablation sweep (64 tokens), batched against one forward per cell (patchingBench.ts,
 * ablationBench.ts); several minutes on one WASM thread. `pnpm bench --quick` sweeps a sample
 * of each and extrapolates (about a minute each). First, how long the CLI takes to start
 * (startupBench.ts; `pnpm bench` builds the packages before it runs).
 * HOOKLENS_BACKEND=wasm|cpu|tensorflow picks the tfjs backend. Every section runs on both engines
 * (tfjs and, when onnxruntime-node loads, onnx) in the same run, with the onnx/tfjs ratio.
 */
import * as tf from '@tensorflow/tfjs-core';
import { chooseEngine, engineLine, HookedTransformer, initBackend, onnxMatMul, ortAvailability } from '@hooklens/core';
import type { EngineName } from '@hooklens/core';
import { formatCount, table } from '../format.ts';
import { forwardFlops, matmulFlops } from './flops.ts';
import { ablationBench } from './ablationBench.ts';
import { GPT2_SMALL, randomWeights } from './gpt2Small.ts';
import { patchingBench } from './patchingBench.ts';
import { startupBench } from './startupBench.ts';
import { timeMedian } from './timing.ts';

const SHAPES: [batch: number, positions: number][] = [[1, 64], [8, 64]];

const args = process.argv.slice(2);
const usage = 'usage: pnpm bench [--quick] | pnpm bench --capacity [--layers N] [--form llama|gemma2]';
if (args[0] === '--capacity') {
  // A separate run (capacityBench.ts): Gemma-2-2B-sized models on the onnx engine (Llama and Gemma 2 forms), or N of their layers.
  const { capacityBench } = await import('./capacityBench.ts');
  const { CHECKPOINT_FORMS } = await import('./randomCheckpoint.ts');
  const { parseArgs } = await import('node:util');
  let parsed;
  try {
    parsed = parseArgs({ args: args.slice(1), options: { layers: { type: 'string' }, form: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}; ${usage}\n`);
    process.exit(2);
  }
  const layers = parsed.layers === undefined ? undefined : Number(parsed.layers);
  if (layers !== undefined && !(Number.isInteger(layers) && layers > 0)) {
    process.stderr.write(`bench: --layers must be a positive integer, got ${parsed.layers}; ${usage}\n`);
    process.exit(2);
  }
  const formNames = parsed.form === undefined ? Object.keys(CHECKPOINT_FORMS) : [parsed.form];
  const unknownForm = formNames.find((name) => !Object.hasOwn(CHECKPOINT_FORMS, name));
  if (unknownForm !== undefined) {
    process.stderr.write(`bench: unknown --form ${unknownForm} (${Object.keys(CHECKPOINT_FORMS).join(', ')}); ${usage}\n`);
    process.exit(2);
  }
  for (const name of formNames) await capacityBench((line = '') => process.stdout.write(`${line}\n`), { layers, form: CHECKPOINT_FORMS[name]! });
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--quick');
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument ${unknown[0]}; ${usage}\n`);
  process.exit(2);
}
const quick = args.includes('--quick');

const started = performance.now();
const config = GPT2_SMALL;
const backend = await initBackend();
const say = (line = '') => process.stdout.write(`${line}\n`);
say(`hooklens bench: GPT-2 small shape (${config.nLayers} layers, d_model ${config.dModel}, ${config.nHeads} heads, d_mlp ${config.dMlp}, vocab ${config.dVocab}, n_ctx ${config.nCtx}), random weights`);
// Each section runs on both engines in the same process: tfjs on its backend, and onnx when onnxruntime-node loads.
const onnx = ortAvailability();
const engines: EngineName[] = onnx.available ? ['tfjs', 'onnx'] : ['tfjs'];
say(`engines: tfjs on ${backend.description}${onnx.available ? `; ${chooseEngine('onnx').description}` : `; onnx unavailable (${onnx.reason})`}`);
if (process.platform === 'linux') say(`allocator: ${allocatorLine()}`);
say(quick ? 'sweeps: --quick (sampled and extrapolated; run without --quick for the full sweeps)' : 'sweeps: full (pnpm bench --quick samples them)');

say();
await startupBench(say, { runs: quick ? 3 : 7 });
say();

let before = performance.now();
const weights = randomWeights(config);
const models = new Map(engines.map((engine) => [engine, new HookedTransformer(config, weights, { source: 'bench (random weights)', engine })]));
const label = (engine: EngineName) => engineLine(models.get(engine)!.engine, backend.description);
say(`models: ${formatCount(models.get('tfjs')!.numParams())} parameters, built in ${seconds(performance.now() - before)} (both engines, one set of weights)`);
say();

/** Waits for a result by reading one element: forces any asynchronous backend to finish. */
function settle(tensor: tf.Tensor): void {
  tf.tidy(() => tf.slice(tensor.reshape([-1]), [0], [1]).dataSync());
}

/** Matmul rate per engine and row count, GFLOP/s. */
const matmulRate = new Map<string, number>();
const matmulRows: [string, string][] = [];
for (const engine of engines) {
  for (const [batch, positions] of SHAPES) {
    const rows = batch * positions;
    let run: () => void;
    let release: () => void;
    if (engine === 'onnx') {
      const probe = onnxMatMul(rows, config.dModel, config.dMlp);
      run = probe.run;
      release = probe.dispose;
    } else {
      const a = tf.randomUniform([rows, config.dModel], -1, 1);
      const b = tf.randomUniform([config.dModel, config.dMlp], -0.05, 0.05);
      run = () => {
        const product = tf.matMul(a, b);
        settle(product);
        product.dispose();
      };
      release = () => tf.dispose([a, b]);
    }
    const timing = timeMedian(run, { runs: 9, budgetSeconds: 5 });
    release();
    const rate = matmulFlops(rows, config.dModel, config.dMlp) / timing.median / 1e9;
    matmulRate.set(`${engine}${rows}`, rate);
    matmulRows.push([`${engine}: matmul [${rows}×${config.dModel}] @ [${config.dModel}×${config.dMlp}]`, `${ms(timing.median)}  ${rate.toFixed(1)} GFLOP/s  (median of ${timing.runs})`]);
  }
}
say(table(matmulRows));
say();

/** Seconds by `${kind} ${engine} ${batch}×${positions}` (forward) or `${sweep} ${engine}` (sweeps), for the summary. */
const times = new Map<string, number>();
const forwardRows: [string, string][] = [];
for (const [batch, positions] of SHAPES) {
  const tokens = Array.from({ length: batch }, (_, row) => Array.from({ length: positions }, (_, i) => (row * 7919 + i * 104729) % config.dVocab));
  const flops = forwardFlops(config, batch, positions);
  const shape = `${batch}×${positions}`;
  for (const engine of engines) {
    const model = models.get(engine)!;
    const reference = matmulRate.get(`${engine}${batch * positions}`)!;
    const describe = (seconds: number) => {
      const rate = flops / seconds / 1e9;
      return `${ms(seconds)}  ${rate.toFixed(1)} GFLOP/s = ${(rate / reference).toFixed(2)}× matmul`;
    };
    const plain = timeMedian(() => {
      const logits = model.forward(tokens);
      settle(logits);
      logits.dispose();
    }, { runs: 5, budgetSeconds: 12, warmups: engine === 'onnx' ? 3 : 1 });
    let cacheBytes = 0;
    let cacheCount = 0;
    const cached = timeMedian(() => {
      const { logits, cache } = model.runWithCache(tokens);
      settle(logits);
      cacheBytes = cache.bytes;
      cacheCount = cache.names().length;
      logits.dispose();
      cache.dispose();
    }, { runs: 5, budgetSeconds: 12, warmups: engine === 'onnx' ? 3 : 1 });
    times.set(`plain ${engine} ${shape}`, plain.median);
    times.set(`cache ${engine} ${shape}`, cached.median);
    forwardRows.push([`${engine}: forward ${shape}, no hooks`, `${describe(plain.median)}  (${(flops / 1e9).toFixed(1)} GFLOP, median of ${plain.runs})`]);
    forwardRows.push([`${engine}: forward ${shape}, full cache`, `${describe(cached.median)}  (${cacheCount} activations, ${(cacheBytes / 2 ** 20).toFixed(0)} MiB; ${(cached.median / plain.median).toFixed(2)}× the time without, median of ${cached.runs})`]);
  }
  if (engines.includes('onnx')) {
    const speedup = (kind: string) => (times.get(`${kind} tfjs ${shape}`)! / times.get(`${kind} onnx ${shape}`)!).toFixed(2);
    forwardRows.push([`onnx vs tfjs, ${batch}×${positions}`, `${speedup('plain')}× faster without hooks, ${speedup('cache')}× with the full cache`]);
  }
}
say(table(forwardRows));
for (const engine of engines) {
  say();
  say(`— sweeps on ${label(engine)} —`);
  const model = models.get(engine)!;
  times.set(`patching ${engine}`, (await patchingBench(model, say, { quick })).batched);
  say();
  const ablation = await ablationBench(model, say, { quick });
  times.set(`ablation metric ${engine}`, ablation.metricOnly);
  times.set(`ablation loss ${engine}`, ablation.withLoss);
}
for (const model of models.values()) model.dispose();
if (engines.includes('onnx')) {
  say();
  say(`— onnx vs tfjs on ${backend.description}, this run —`);
  say(table(summary()));
}
say();
say(`total bench time ${seconds(performance.now() - started)}`);

/** The engines' ratios against the onnx engine's targets on a 2-core machine (issue 11). */
function summary(): [string, string][] {
  const ratio = (key: string) => times.get(`${key.replace('ENGINE', 'tfjs')}`)! / times.get(`${key.replace('ENGINE', 'onnx')}`)!;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const faster = (label: string, key: string, target: number): [string, string] => {
    const value = ratio(key);
    return [label, `${value.toFixed(2)}× faster on onnx  (target ≥ ${target}×: ${verdict(value >= target)})`];
  };
  const rows: [string, string][] = SHAPES.map(([batch, positions]) => {
    const rows = batch * positions;
    return [`matmul [${rows}×${config.dModel}] @ [${config.dModel}×${config.dMlp}]`, `tfjs ${matmulRate.get(`tfjs${rows}`)!.toFixed(1)} GFLOP/s, onnx ${matmulRate.get(`onnx${rows}`)!.toFixed(1)} GFLOP/s`];
  });
  rows.push(faster('forward 1×64', 'plain ENGINE 1×64', 4));
  const share = forwardFlops(config, 1, 64) / times.get('plain onnx 1×64')! / 1e9 / matmulRate.get('onnx64')!;
  rows.push(['forward 1×64 on onnx vs its matmul rate', `${(100 * share).toFixed(0)}%  (target ≥ 50%: ${verdict(share >= 0.5)})`]);
  rows.push(faster('forward 8×64', 'plain ENGINE 8×64', 5));
  for (const [batch, positions] of SHAPES) {
    const shape = `${batch}×${positions}`;
    const cost = times.get(`cache onnx ${shape}`)! / times.get(`plain onnx ${shape}`)!;
    rows.push([`full cache ${shape} on onnx`, `${cost.toFixed(2)}× a plain forward  (target ≤ 1.3×: ${verdict(cost <= 1.3)}); ${ratio(`cache ENGINE ${shape}`).toFixed(2)}× faster than tfjs`]);
  }
  rows.push(faster('head-ablation sweep, metric only', 'ablation metric ENGINE', 4));
  rows.push(faster('head-ablation sweep, with the loss', 'ablation loss ENGINE', 4));
  rows.push(faster('resid_pre patching sweep', 'patching ENGINE', 4));
  return rows;
}

function ms(secondsValue: number): string {
  return `${(secondsValue * 1000).toFixed(1).padStart(8)} ms`;
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * Whether glibc keeps freed memory mapped (README, "Large caches on Linux"): a full cache's cost
 * depends on it, so the figures say which setting they were measured with.
 */
function allocatorLine(): string {
  const settings = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'].filter((name) => process.env[name] !== undefined).map((name) => `${name}=${process.env[name]}`);
  return settings.length > 0 ? settings.join(' ') : 'glibc defaults (freed large blocks go back to the system; see the README on large caches)';
}
