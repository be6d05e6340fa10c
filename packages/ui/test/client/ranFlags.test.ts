import { describe, expect, it } from 'vitest';
import { applyViewPatch, withoutRan, withRan } from '../../src/client/state/ranFlags.ts';
import { COMPUTATIONS, DEFAULT_STATE, parseViewState, serializeViewState, type ViewState } from '../../src/client/state/viewState.ts';

const ALL = [...COMPUTATIONS];
const start: ViewState = { ...DEFAULT_STATE, model: 'toy-ioi', view: 'patching', prompt: 'When Mary and John', corrupted: 'When John and Mary', answer: 'Mary', wrong: 'John', ablate: [{ layer: 0, head: 1 }], ran: ALL };

/** A different value for every field, chosen by hand. */
const CHANGED: { [K in keyof ViewState]: ViewState[K] } = {
  model: 'toy-induction',
  view: 'lens',
  prompt: 'When Mary and John went',
  corrupted: 'When John and John',
  answer: 'John',
  wrong: 'Mary',
  stat: 'entropy',
  run: 'side',
  lensCell: { row: 1, col: 2 },
  head: { layer: 1, head: 0 },
  overlay: 'induction',
  ablate: [{ layer: 0, head: 1 }, { layer: 1, head: 1 }],
  mode: 'mean',
  sweepShows: 'loss',
  patch: 'z',
  patchCell: { row: 0, col: 3 },
  sort: 'patching',
  desc: false,
  ran: [],
};

// Which flags each field's change drops, read off the request bodies (AblationPanel useAblation / sweepBody,
// PatchingPanel patchingBody, ComponentsPanel): every request names the model, prompt(s) and, with answer + wrong, the metric.
const DROPS: Partial<Record<keyof ViewState, string[]>> = {
  model: ALL,
  prompt: ALL,
  corrupted: ALL,
  answer: ALL,
  wrong: ALL,
  run: ['ablate', 'sweep'], // which prompts the ablation view runs on
  ablate: ['ablate'], // the heads ablated together
  mode: ['ablate', 'sweep', 'components'], // zero or mean, in ablation requests only
  patch: ['patch'], // the patching view's kind (the table always patches z and mlp_out)
};

describe('which computation flags survive an update', () => {
  for (const key of Object.keys(CHANGED) as (keyof ViewState)[]) {
    if (key === 'ran') continue;
    it(`changing ${key} drops ${DROPS[key]?.join(', ') || 'nothing'}`, () => {
      expect(CHANGED[key]).not.toEqual(start[key]);
      const next = applyViewPatch(start, { [key]: CHANGED[key] });
      expect(next[key]).toEqual(CHANGED[key]);
      expect(next.ran).toEqual(ALL.filter((c) => !DROPS[key]?.includes(c)));
    });
  }

  it('keeps every flag when a field is set to the value it already has', () => {
    const same = applyViewPatch(start, { prompt: start.prompt, ablate: [{ layer: 0, head: 1 }], mode: 'zero', view: 'ablation' });
    expect(same.ran).toEqual(ALL);
  });

  it('flags a computation its button started, and unflags it when cancelled', () => {
    const none = { ...start, ran: [] };
    const swept = applyViewPatch(none, { ran: withRan(none.ran, 'sweep') });
    expect(swept.ran).toEqual(['sweep']);
    const both = applyViewPatch(swept, { ran: withRan(swept.ran, 'patch') });
    expect(both.ran).toEqual(['sweep', 'patch']);
    expect(withRan(both.ran, 'patch')).toEqual(['sweep', 'patch']);
    expect(applyViewPatch(both, { ran: withoutRan(both.ran, 'sweep') }).ran).toEqual(['patch']);
  });

  it('keeps a flag a patch newly sets with its inputs, but never one already set whose inputs change', () => {
    // A new flag set together with new inputs was computed on those inputs.
    const fresh = applyViewPatch({ ...start, ran: ['components'] }, { mode: 'mean', ran: ['components', 'sweep'] });
    expect(fresh.ran).toEqual(['sweep']);
    // Repeating an existing flag does not keep it across a change of its inputs.
    expect(applyViewPatch(start, { prompt: 'other', ran: ALL }).ran).toEqual([]);
  });

  it('lives in the URL as a comma list in one order, unknown names dropped', () => {
    expect(parseViewState('?ran=patch,bogus,sweep,patch').ran).toEqual(['sweep', 'patch']);
    expect(parseViewState('?ran=').ran).toEqual([]);
    const search = serializeViewState({ ...DEFAULT_STATE, ran: ['components', 'ablate'] });
    expect(search).toBe('?ran=ablate%2Ccomponents');
    expect(parseViewState(search).ran).toEqual(['ablate', 'components']);
    expect(serializeViewState({ ...DEFAULT_STATE, ran: [] })).toBe('');
  });
});
