/**
 * What each panel of the head-ablation view colours its grid by: the sweep of the clean
 * prompt, of the corrupted one, or per head the difference of the two effects. Pure,
 * tested in Node.
 */
import type { AblationSweepResult } from '../../api/index.ts';
import { sweepDifference, type Panel } from './runs.ts';

/** Which sweep result colours the grid: the logit-difference change, or the loss change. */
export type SweepMeasure = 'metric' | 'loss';

/**
 * The measure to show: the one asked for when some sweep has it, else the other. (A sweep
 * without answer and wrong has only the loss; one run with loss: false only the metric.)
 */
export function sweepMeasure(asked: SweepMeasure, sweeps: readonly (AblationSweepResult | undefined)[]): SweepMeasure {
  const has = (m: SweepMeasure) => sweeps.some((s) => (m === 'metric' ? s?.metricDelta : s?.lossDelta) !== undefined);
  if (has(asked)) return asked;
  const other: SweepMeasure = asked === 'metric' ? 'loss' : 'metric';
  return has(other) ? other : asked;
}

export const MEASURE_LABEL: Record<SweepMeasure, string> = {
  metric: 'Δ logit diff when ablated',
  loss: 'Δ loss when ablated (nats)',
};

export interface SweepPanel {
  /** [layer][head]; undefined until the sweep(s) the panel needs have finished. */
  values?: number[][];
  label: string;
}

/** The grid and legend of one panel (short: the panel's title names the prompt). */
export function sweepPanel(panel: Panel, measure: SweepMeasure, clean: AblationSweepResult | undefined, corrupted: AblationSweepResult | undefined): SweepPanel {
  const field = measure === 'metric' ? 'metricDelta' : 'lossDelta';
  if (panel === 'diff') {
    const label = `${measure === 'metric' ? 'Δ logit diff' : 'Δ loss'}, clean − corrupted`;
    return { values: clean && corrupted ? sweepDifference(clean, corrupted)[field] : undefined, label };
  }
  const result = panel === 'clean' ? clean : corrupted;
  return { values: result?.[field], label: MEASURE_LABEL[measure] };
}
