import type { Command } from './command.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { numberOption } from '../args.ts';
import { openModel } from '../openModel.ts';
import { experimentPath, SAVE_EXPERIMENT_OPTION, saveExperiment } from '../saveExperiment.ts';

export const headsCommand: Command = {
  name: 'heads',
  summary: 'score every attention head as previous-token, duplicate-token and induction head',
  usage: 'heads --model PATH [--seq-len N] [--batch B] [--seed S] [--json]',
  details: [
    'Runs the model once on B sequences of N random tokens repeated twice (after BOS when the model prepends one by default) ' +
      'and scores each head\'s attention (head types after Olsson et al. 2022): ' +
      'previous-token = mean attention from each position to the one before; duplicate-token = mean attention from a second-copy token to the same token in the first copy; ' +
      'induction = mean attention from a second-copy token to the position right after its earlier occurrence. ' +
      'Each is a mean over the queries it is defined on, so it lies in [0, 1] and a perfect head scores 1; ' +
      'TransformerLens\' detect_head divides by every query instead (README: Differences from TransformerLens).',
    'Prints three [layer × head] grids and the top heads of each kind; --json prints { previousToken, duplicateToken, induction, seqLen, batch } with [layer][head] arrays.',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'seq-len', type: 'string', value: 'N', description: 'length of the random sequence that is repeated (default 50, or what fits the context)' },
    { name: 'batch', type: 'string', value: 'B', description: 'number of random sequences (default 8)' },
    { name: 'seed', type: 'string', value: 'S', description: 'seed for the random tokens (default 0)' },
    { name: 'json', type: 'boolean', description: 'print one JSON object instead of grids' },
    SAVE_EXPERIMENT_OPTION,
  ],
  examples: ['hooklens heads --model toy-induction --seq-len 20'],
  async run(values, globals) {
    const command = 'heads';
    const seqLen = numberOption(values, 'seq-len', command, { integer: true, min: 2 });
    const batch = numberOption(values, 'batch', command, { integer: true, min: 1 });
    const seed = numberOption(values, 'seed', command, { integer: true });
    const saveTo = experimentPath(values);
    const { headScores } = await import('@hooklens/hooks');
    const { model, path } = await openModel(values, globals);
    try {
      const scores = await headScores(model, {
        ...(seqLen !== undefined && { seqLen }),
        ...(batch !== undefined && { batch }),
        ...(seed !== undefined && { seed }),
      });
      await saveExperiment(saveTo, values, model, { kind: 'head-scores', prompts: { repeatedRandomTokens: { ...(seqLen !== undefined && { seqLen }), ...(batch !== undefined && { batch }) } }, ...(seed !== undefined && { seed }) });
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ model: path, ...scores })}\n`);
        return;
      }
      const sections: [string, number[][]][] = [
        ['previous-token score', scores.previousToken],
        ['duplicate-token score', scores.duplicateToken],
        ['induction score', scores.induction],
      ];
      const text = sections.map(([title, grid]) => [
        `${title} (${scores.batch} × ${scores.seqLen} random tokens, repeated)`,
        formatHeadGrid(grid, { digits: 2 }),
        `top: ${topHeads(grid, 3).map(({ layer, head, value }) => `${layer}.${head} (${value.toFixed(2)})`).join(', ')}`,
      ].join('\n'));
      process.stdout.write(`${text.join('\n\n')}\n`);
    } finally {
      model.dispose();
    }
  },
};

/**
 * A [layer][head] grid as an aligned table: one row per layer (L0, L1, …), one column per head.
 * `signed` prints a + on positive values, for deltas.
 */
export function formatHeadGrid(grid: number[][], { digits = 2, signed = false }: { digits?: number; signed?: boolean } = {}): string {
  const cell = (value: number) => `${signed && value > 0 ? '+' : ''}${value.toFixed(digits)}`;
  const cells = grid.map((row) => row.map(cell));
  const heads = grid[0]?.length ?? 0;
  const width = Math.max(...cells.flat().map((text) => text.length), `H${heads - 1}`.length);
  const label = `L${grid.length - 1}`.length;
  const header = `${''.padEnd(label)}  ${Array.from({ length: heads }, (_, head) => `H${head}`.padStart(width)).join(' ')}`;
  return [header, ...cells.map((row, layer) => `${`L${layer}`.padEnd(label)}  ${row.map((text) => text.padStart(width)).join(' ')}`)].join('\n');
}

/** The `count` heads with the largest values (most negative first with `ascending`). */
export function topHeads(grid: number[][], count: number, ascending = false): { layer: number; head: number; value: number }[] {
  const all = grid.flatMap((row, layer) => row.map((value, head) => ({ layer, head, value })));
  all.sort((a, b) => (ascending ? a.value - b.value : b.value - a.value));
  return all.slice(0, count);
}
