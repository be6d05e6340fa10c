import { describe, expect, it } from 'vitest';
import type { ConfigSummary, PatchingResult } from '../../src/api/index.ts';
import { componentRows, sortRows } from '../../src/client/lib/componentRows.ts';

const config = { nLayers: 2, nHeads: 2, attnOnly: false } as ConfigSummary;

describe('component table rows', () => {
  it('joins DLA, ablation and patching per head and MLP', () => {
    const patching: PatchingResult = {
      metricClean: 2,
      metricCorrupted: 0,
      grids: [
        { kind: 'z', rows: ['L0', 'L1'], cols: ['H0', 'H1'], values: [[0.1, 0.2], [0.3, 0.4]], clean: 2, corrupted: 0 },
        { kind: 'mlp_out', rows: ['L0', 'L1'], cols: ['pos 0: "a"', 'pos 1: "b"'], values: [[0.05, -0.7], [0.2, 0.1]], clean: 2, corrupted: 0 },
      ],
    };
    const rows = componentRows(config, {
      attribution: {
        heads: [[1, 2], [3, 4]],
        layers: [{ label: 'embed', value: 0 }, { label: 'L0 attn', value: 3 }, { label: 'L0 mlp', value: 5 }, { label: 'L1 attn', value: 7 }, { label: 'L1 mlp', value: 6 }],
        biases: 0,
        biasTerms: { attnOutBias: 0, normBias: 0, unembedBias: 0 },
        total: 1,
        position: 1,
        answerToken: { id: 1, token: 'a' },
      },
      sweep: { lossDelta: [[9, 9], [9, 9]], metricDelta: [[-1, -2], [-3, -4]] },
      mlpAblations: [{ lossClean: 1, lossAblated: 2, lossDelta: 1, position: 1, predictions: [] }, undefined],
      patching,
    });
    expect(rows.map((r) => r.name)).toEqual(['L0H0', 'L0H1', 'L0 MLP', 'L1H0', 'L1H1', 'L1 MLP']);
    expect(rows[3]).toMatchObject({ dla: 3, ablation: -3, patching: 0.3 });
    // MLPs: the metric-less ablation falls back to the loss change; patching shows the strongest position.
    expect(rows[2]).toMatchObject({ dla: 5, ablation: 1, patching: -0.7 });
    expect(rows[5]).toMatchObject({ dla: 6, ablation: undefined, patching: 0.2 });
  });

  it('sorts by a column with missing values last, either direction', () => {
    const rows = componentRows(config, { sweep: { lossDelta: [[0.5, -1], [2, NaN]] } });
    expect(sortRows(rows, 'ablation', true).map((r) => r.name).slice(0, 3)).toEqual(['L1H0', 'L0H0', 'L0H1']);
    expect(sortRows(rows, 'ablation', false).map((r) => r.name).slice(0, 3)).toEqual(['L0H1', 'L0H0', 'L1H0']);
    expect(sortRows(rows, 'name', false).map((r) => r.name)).toEqual(['L0H0', 'L0H1', 'L0 MLP', 'L1H0', 'L1H1', 'L1 MLP']);
  });
});
