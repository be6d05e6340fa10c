/**
 * How long `hooklens` takes to start: `--help` (no model) and `info --model toy-ioi` (tfjs, the
 * backend and a model), each as its own process, as a user runs them. The built CLI is what an
 * npm install runs (dist/main.js, every @hooklens/* import resolved to dist/); the repository's
 * bin adds its freshness check and a second node; the source path is tsx transpiling at start.
 * The best run is the figure to compare with the goals (others on the machine only add time);
 * the median shows the spread.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
// Plain JavaScript shared with bin/hooklens.js; its declarations are beside it.
import { staleDistReason } from '../../bin/builtDist.js';

const CLI = fileURLToPath(new URL('../../', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export interface StartupVariant {
  label: string;
  /** node arguments before the CLI's own. */
  node: string[];
  env?: Record<string, string>;
  /** Why it cannot run now, if so. */
  unavailable?: () => string | undefined;
}

export interface StartupCommand {
  args: string[];
  /** The goal for the built CLI, in seconds. */
  goal: number;
}

export const STARTUP_COMMANDS: StartupCommand[] = [
  { args: ['--help'], goal: 0.5 },
  { args: ['info', '--model', 'toy-ioi'], goal: 1 },
];

export const STARTUP_VARIANTS: StartupVariant[] = [
  { label: 'built (as installed)', node: ['--conditions=hooklens-dist', `${CLI}dist/main.js`], unavailable: staleDistReason },
  { label: 'bin/hooklens.js, built', node: [`${CLI}bin/hooklens.js`], unavailable: staleDistReason },
  { label: 'bin/hooklens.js, source', node: [`${CLI}bin/hooklens.js`], env: { HOOKLENS_FROM_SOURCE: '1' } },
];

export interface StartupOptions {
  runs?: number;
  commands?: StartupCommand[];
  variants?: StartupVariant[];
}

/** Seconds of one run, checked to exit 0. */
function timeRun(variant: StartupVariant, args: string[]): number {
  const before = performance.now();
  const run = spawnSync(process.execPath, [...variant.node, ...args], { cwd: REPO, env: { ...process.env, ...variant.env }, encoding: 'utf8' });
  const seconds = (performance.now() - before) / 1000;
  if (run.status !== 0) throw new Error(`hooklens ${args.join(' ')} (${variant.label}) exited ${run.status}: ${run.stderr.trim()}`);
  return seconds;
}

export async function startupBench(say: (line?: string) => void, { runs = 5, commands = STARTUP_COMMANDS, variants = STARTUP_VARIANTS }: StartupOptions = {}): Promise<void> {
  say(`CLI start-up (best / median of ${runs} runs; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
  for (const command of commands) {
    for (const variant of variants) {
      const name = `hooklens ${command.args.join(' ')}`.padEnd(32);
      const why = variant.unavailable?.();
      if (why !== undefined) {
        say(`  ${name} ${variant.label.padEnd(24)} not measured: ${why}`);
        continue;
      }
      timeRun(variant, command.args); // warm the file cache
      const times = Array.from({ length: runs }, () => timeRun(variant, command.args)).sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      const goal = variant === variants[0] ? `  (goal ≤ ${command.goal.toFixed(1)} s: ${times[0] <= command.goal ? 'met' : 'missed'})` : '';
      say(`  ${name} ${variant.label.padEnd(24)} ${times[0].toFixed(2)} s / ${median.toFixed(2)} s${goal}`);
    }
  }
}
