import { describe, expect, it } from 'vitest';
import type { AttributionResponse, ConfigSummary, PatchingResult } from '../../src/api/index.ts';
import { columnValues, componentRows, componentUnits, sortKey, sortRows } from '../../src/client/lib/componentRows.ts';

const config = { nLayers: 2, nHeads: 2, attnOnly: false } as ConfigSummary;

const attribution = (heads: number[][], mlps: [number, number]): AttributionResponse => ({
  heads,
  layers: [{ label: 'embed', value: 0 }, { label: 'L0 attn', value: 3 }, { label: 'L0 mlp', value: mlps[0] }, { label: 'L1 attn', value: 7 }, { label: 'L1 mlp', value: mlps[1] }],
  biases: 0,
  biasTerms: { attnOutBias: 0, normBias: 0, unembedBias: 0 },
  total: 1,
  position: 1,
  answerToken: { id: 1, token: 'a' },
});

describe('component table rows', () => {
  it('joins DLA and ablation of both runs, their difference, and patching, per head and MLP', () => {
    const patching: PatchingResult = {
      metricClean: 2,
      metricCorrupted: 0,
      grids: [
        { kind: 'z', rows: ['L0', 'L1'], cols: ['H0', 'H1'], values: [[0.1, 0.2], [0.3, 0.4]], clean: 2, corrupted: 0 },
        { kind: 'mlp_out', rows: ['L0', 'L1'], cols: ['pos 0: "a"', 'pos 1: "b"'], values: [[0.05, -0.7], [0.2, 0.1]], clean: 2, corrupted: 0 },
      ],
    };
    const rows = componentRows(config, {
      clean: {
        attribution: attribution([[1, 2], [3, 4]], [5, 6]),
        sweep: { lossDelta: [[9, 9], [9, 9]], metricDelta: [[-1, -2], [-3, -4]] },
        mlpAblations: [{ lossClean: 1, lossAblated: 2, lossDelta: 1, position: 1, predictions: [] }, undefined],
      },
      corrupted: {
        attribution: attribution([[0.5, 2], [4, -1]], [1, 6.5]),
        sweep: { metricDelta: [[0, -2], [-0.5, 1]] },
        mlpAblations: [{ lossClean: 1, lossAblated: 1.25, lossDelta: 0.25, position: 1, predictions: [] }, { lossClean: 1, lossAblated: 3, lossDelta: 2, position: 1, predictions: [] }],
      },
      patching,
    });
    expect(rows.map((r) => r.name)).toEqual(['L0H0', 'L0H1', 'L0 MLP', 'L1H0', 'L1H1', 'L1 MLP']);
    // L1H0: DLA 3 vs 4, ablation (metric) −3 vs −0.5, patching from the z grid.
    expect(rows[3]).toMatchObject({ dlaClean: 3, dlaCorrupted: 4, dlaDelta: -1, ablationClean: -3, ablationCorrupted: -0.5, ablationDelta: -2.5, patching: 0.3 });
    expect(rows[4]).toMatchObject({ dlaClean: 4, dlaCorrupted: -1, dlaDelta: 5, ablationDelta: -5 });
    // MLPs: the metric-less ablation falls back to the loss change; patching shows the strongest position.
    expect(rows[2]).toMatchObject({ dlaClean: 5, dlaCorrupted: 1, dlaDelta: 4, ablationClean: 1, ablationCorrupted: 0.25, ablationDelta: 0.75, patching: -0.7 });
    // No clean MLP ablation for L1: no Δ either.
    expect(rows[5]).toMatchObject({ dlaClean: 6, dlaDelta: -0.5, ablationClean: undefined, ablationCorrupted: 2, ablationDelta: undefined, patching: 0.2 });
  });

  it('without a corrupted run, only the clean columns are filled', () => {
    const rows = componentRows(config, { clean: { sweep: { lossDelta: [[0.5, -1], [2, 0]] } } });
    expect(rows[1]).toMatchObject({ ablationClean: -1, ablationCorrupted: undefined, ablationDelta: undefined, dlaClean: undefined });
  });

  it('sorts by any column with missing values last, either direction', () => {
    const rows = componentRows(config, { clean: { sweep: { lossDelta: [[0.5, -1], [2, NaN]] } }, corrupted: { sweep: { lossDelta: [[0, 0], [3, 0]] } } });
    expect(sortRows(rows, 'ablationClean', true).map((r) => r.name).slice(0, 3)).toEqual(['L1H0', 'L0H0', 'L0H1']);
    expect(sortRows(rows, 'ablationClean', false).map((r) => r.name).slice(0, 3)).toEqual(['L0H1', 'L0H0', 'L1H0']);
    // Δ: 0.5, −1, −1, NaN → 0.5 first; NaN and the MLPs (no value) last.
    expect(sortRows(rows, 'ablationDelta', true).map((r) => r.name).slice(0, 3)).toEqual(['L0H0', 'L0H1', 'L1H0']);
    expect(sortRows(rows, 'ablationDelta', true).slice(3).every((r) => r.ablationDelta === undefined || Number.isNaN(r.ablationDelta))).toBe(true);
    expect(sortRows(rows, 'name', false).map((r) => r.name)).toEqual(['L0H0', 'L0H1', 'L0 MLP', 'L1H0', 'L1H1', 'L1 MLP']);
  });

  it('reads a sort key from the URL, falling back to clean DLA', () => {
    expect(sortKey('ablationDelta')).toBe('ablationDelta');
    expect(sortKey('dla')).toBe('dlaClean');
    expect(sortKey('nope')).toBe('dlaClean');
  });

  it('gathers a group of columns for one shared colour scale, missing as NaN', () => {
    const rows = componentRows({ nLayers: 1, nHeads: 1, attnOnly: true } as ConfigSummary, { clean: { sweep: { lossDelta: [[2]] } }, corrupted: { sweep: { lossDelta: [[0.5]] } } });
    expect(columnValues(rows, ['ablationClean', 'ablationCorrupted', 'ablationDelta', 'dlaClean'])).toEqual([[2], [0.5], [1.5], [NaN]]);
  });

  it('names the units from the boxes the requests use, so the caption means the same before and after computing', () => {
    expect(componentUnits({ answer: 'Mary', wrong: 'John' })).toEqual({ dla: 'logit[answer] − logit[wrong]', ablation: 'Δ logit diff' });
    expect(componentUnits({ answer: 'Mary' })).toEqual({ dla: 'logit[answer]', ablation: 'Δ loss' });
    expect(componentUnits({ answer: 'Mary', wrong: '' })).toEqual({ dla: 'logit[answer]', ablation: 'Δ loss' });
    expect(componentUnits({})).toEqual({ dla: 'logit[answer]', ablation: 'Δ loss' });
  });
});
