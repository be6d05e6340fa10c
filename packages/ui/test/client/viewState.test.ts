import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, parseViewState, serializeViewState } from '../../src/client/state/viewState.ts';

describe('view state in the URL', () => {
  it('is empty for the defaults and round-trips every field', () => {
    expect(serializeViewState(DEFAULT_STATE)).toBe('');
    const state = {
      ...DEFAULT_STATE,
      model: 'toy-ioi',
      view: 'ablation' as const,
      prompt: 'When Mary & John went, "John" gave',
      corrupted: 'x,y',
      answer: ' Mary',
      stat: 'kl' as const,
      run: 'side' as const,
      lensCell: { row: 3, col: 7 },
      head: { layer: 1, head: 4 },
      ablate: [{ layer: 0, head: 1 }, { layer: 2, head: 3 }],
      mode: 'mean' as const,
      patch: 'z' as const,
      patchCell: { row: 0, col: 2 },
      desc: false,
      ran: ['sweep' as const, 'patch' as const],
    };
    const search = serializeViewState(state);
    expect(search).toMatch(/^\?/);
    expect(parseViewState(search)).toEqual(state);
  });

  it('falls back to defaults for unknown or malformed values instead of failing', () => {
    const state = parseViewState('?view=nope&stat=42&lensCell=a,b&ablate=1.2,zz,3.0&mode=resample&token=abc');
    expect(state.view).toBe('lens');
    expect(state.stat).toBe('top');
    expect(state.lensCell).toBeNull();
    expect(state.ablate).toEqual([{ layer: 1, head: 2 }, { layer: 3, head: 0 }]);
    expect(state.mode).toBe('zero');
    expect(parseViewState('?run=both').run).toBe('clean');
    // Unknown parameters (e.g. a one-time ?token=) are not carried into the state.
    expect(serializeViewState(state)).toBe('?ablate=1.2%2C3.0');
  });
});
