import { describe, expect, it } from 'vitest';
import type { AblateResponse } from '../../src/api/index.ts';
import { sweepMeasure, sweepPanel } from '../../src/client/lib/ablationPanels.ts';
import { ablationDifference, gridDifference, nestedDifference, panelsFor, panelTestId, sweepDifference, usesClean, usesCorrupted } from '../../src/client/lib/runs.ts';

const ablated = (lossDelta: number, metricDelta?: number): AblateResponse => ({ lossClean: 1, lossAblated: 1 + lossDelta, lossDelta, ...(metricDelta !== undefined && { metricDelta }), position: 3, predictions: [] });

describe('clean vs corrupted runs', () => {
  it('side by side shows clean, corrupted and their difference; each choice fetches only what it shows', () => {
    expect(panelsFor('side')).toEqual(['clean', 'corrupted', 'diff']);
    expect(panelsFor('corrupted')).toEqual(['corrupted']);
    expect([usesClean('corrupted'), usesCorrupted('corrupted')]).toEqual([false, true]);
    expect([usesClean('clean'), usesCorrupted('clean')]).toEqual([true, false]);
    expect([usesClean('side'), usesCorrupted('side'), usesClean('diff'), usesCorrupted('diff')]).toEqual([true, true, true, true]);
    expect(panelTestId('lens-heatmap', 'diff', 'diff')).toBe('lens-heatmap');
    expect(panelTestId('lens-heatmap', 'diff', 'side')).toBe('lens-heatmap-diff');
  });

  it('differences only grids of the same shape', () => {
    expect(gridDifference([[1, 2]], [[0.5, 3]])).toEqual([[0.5, -1]]);
    expect(gridDifference([[1, 2]], [[1]])).toMatch(/different lengths \(2 vs 1 tokens\)/);
    expect(nestedDifference([[[1, 0.25]], [[0, 1]]], [[[0.5, 0.25]], [[1, 0]]])).toEqual([[[0.5, 0]], [[-1, 1]]]);
  });

  it('an ablation effect difference is clean effect − corrupted effect; the metric only when both runs have it', () => {
    expect(ablationDifference(ablated(0.5, -2), ablated(0.125, -0.5))).toEqual({ lossDelta: 0.375, metricDelta: -1.5 });
    expect(ablationDifference(ablated(0.5, -2), ablated(0.125))).toEqual({ lossDelta: 0.375 });
  });

  it('a sweep difference is per head, for each grid both sweeps have', () => {
    expect(sweepDifference({ lossDelta: [[1, 2]], metricDelta: [[-1, 0]] }, { lossDelta: [[0.5, 2]] })).toEqual({ lossDelta: [[0.5, 0]] });
  });
});

describe('head ablation panels', () => {
  const clean = { lossDelta: [[0.25, 0]], metricDelta: [[-2, 1]], lossClean: 3, metricClean: 4 };
  const corrupted = { lossDelta: [[0.5, 0]], metricDelta: [[-0.5, 1]], lossClean: 3.5, metricClean: -1 };

  it('shows the asked measure when a sweep has it, else the other', () => {
    expect(sweepMeasure('metric', [clean])).toBe('metric');
    expect(sweepMeasure('metric', [{ lossDelta: [[1]] }])).toBe('loss');
    expect(sweepMeasure('loss', [{ metricDelta: [[1]] }])).toBe('metric');
    expect(sweepMeasure('loss', [undefined])).toBe('loss');
  });

  it('colours each panel by its run, or by clean − corrupted per head', () => {
    expect(sweepPanel('clean', 'metric', clean, corrupted)).toEqual({ values: [[-2, 1]], label: 'Δ logit diff when ablated' });
    expect(sweepPanel('corrupted', 'loss', clean, corrupted)).toEqual({ values: [[0.5, 0]], label: 'Δ loss when ablated (nats)' });
    expect(sweepPanel('diff', 'metric', clean, corrupted)).toEqual({ values: [[-1.5, 0]], label: 'Δ logit diff, clean − corrupted' });
    expect(sweepPanel('diff', 'metric', clean, undefined).values).toBeUndefined();
  });
});
