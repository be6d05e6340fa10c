import { parseExperiment, type ExperimentInput } from '@hooklens/hooks/experiment-schema';
import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../src/api/index.ts';
import { experimentToView, viewToExperiment } from '../../src/client/lib/experiment.ts';
import { DEFAULT_STATE, type ViewState } from '../../src/client/state/viewState.ts';

const config = {
  family: 'gpt2', nLayers: 4, nHeads: 4, nKvHeads: 4, dModel: 64, dHead: 16, dMlp: 256, dVocab: 60, nCtx: 32,
  normType: 'LayerNorm', positional: 'learned', attnOnly: false, defaultPrependBos: true,
};
const toyIoi: ModelSummary = { id: 'toy-ioi', config, backend: 'wasm', params: 1000, hasTokenizer: true };
const noTokenizer: ModelSummary = { id: 'stories260K', config: { ...config, family: 'llama2c' }, backend: 'wasm', params: 1000, hasTokenizer: false };
const MODELS = [toyIoi, noTokenizer];

const CLEAN = 'When Mary and John went to the store , John gave a drink to';
const CORRUPTED = 'When Mary and John went to the store , Mary gave a drink to';
const state = (patch: Partial<ViewState>): ViewState => ({ ...DEFAULT_STATE, model: 'toy-ioi', prompt: CLEAN, corrupted: CORRUPTED, answer: 'Mary', wrong: 'John', ...patch });

/** Exports `view`, checks the file is valid for `hooklens run` (the shared schema), and returns it validated. */
function exported(view: ViewState, model = toyIoi) {
  const outcome = viewToExperiment(view, model);
  if ('unavailable' in outcome) throw new Error(`unexpectedly unavailable: ${outcome.unavailable}`);
  // Through JSON, as the file is written and read.
  return { ...outcome, experiment: parseExperiment(JSON.parse(JSON.stringify(outcome.experiment)), outcome.fileName) };
}

function imported(experiment: ExperimentInput) {
  const outcome = experimentToView(parseExperiment(experiment), MODELS);
  if ('refused' in outcome) throw new Error(`unexpectedly refused: ${outcome.refused}`);
  return outcome.view;
}

function refusal(experiment: ExperimentInput): string {
  const outcome = experimentToView(parseExperiment(experiment), MODELS);
  if (!('refused' in outcome)) throw new Error('expected a refusal');
  return outcome.refused;
}

const base = { hooklens: 1, model: { id: 'toy-ioi' }, tokenization: { prependBos: true } } as const;

describe('dashboard view → experiment file', () => {
  it('lens: the shown run, its target, with the model and its BOS convention', () => {
    const { experiment, fileName } = exported(state({ view: 'lens' }));
    expect(fileName).toBe('lens-toy-ioi.json');
    expect(experiment).toMatchObject({ kind: 'lens', model: { id: 'toy-ioi' }, tokenization: { prependBos: true, paddingSide: 'right' }, prompts: { prompt: CLEAN }, target: 'Mary', topK: 10 });
    expect(exported(state({ view: 'lens', run: 'corrupted' })).experiment).toMatchObject({ prompts: { prompt: CORRUPTED } });
    expect(viewToExperiment(state({ view: 'lens', run: 'diff' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('difference of two runs') });
    expect(viewToExperiment(state({ view: 'lens', run: 'side' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('side by side') });
  });

  it('ablation: the chosen heads, or the sweep when none is chosen; the metric only with both tokens', () => {
    const heads = [{ layer: 0, head: 3 }, { layer: 1, head: 2 }];
    expect(exported(state({ view: 'ablation', ablate: heads, mode: 'mean' })).experiment).toMatchObject({
      kind: 'ablation', heads, mlps: [], mode: 'mean', prompts: { prompts: [CLEAN] }, metric: { type: 'logit-diff', answer: 'Mary', wrong: 'John' },
    });
    // The run choice names the prompt ablated; a difference of runs, or runs side by side, is not one experiment.
    expect(exported(state({ view: 'ablation', ablate: heads, run: 'corrupted' })).experiment).toMatchObject({ prompts: { prompts: [CORRUPTED] } });
    expect(viewToExperiment(state({ view: 'ablation', run: 'diff' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('difference of two runs') });
    expect(viewToExperiment(state({ view: 'ablation', run: 'side' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('side by side') });
    const sweep = exported(state({ view: 'ablation', wrong: '' })).experiment;
    expect(sweep).toMatchObject({ kind: 'ablation-sweep', mode: 'zero' });
    expect(sweep).not.toHaveProperty('metric');
  });

  it('patching: both prompts, the kind and the metric; without answer and wrong there is nothing to export', () => {
    expect(exported(state({ view: 'patching', patch: 'z' })).experiment).toMatchObject({
      kind: 'patching', prompts: { clean: CLEAN, corrupted: CORRUPTED }, patch: { kind: 'z' }, metric: { answer: 'Mary', wrong: 'John' },
    });
    expect(viewToExperiment(state({ view: 'patching', answer: '' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('answer and wrong') });
    expect(viewToExperiment(state({ view: 'patching', corrupted: '' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('corrupted prompt') });
  });

  it('attention: head scores at the server defaults; the component table is not one experiment', () => {
    expect(exported(state({ view: 'attention' })).experiment).toMatchObject({ kind: 'head-scores', prompts: { repeatedRandomTokens: {} } });
    expect(viewToExperiment(state({ view: 'components' }), toyIoi)).toEqual({ unavailable: expect.stringContaining('component table') });
  });

  it('a model without a tokenizer exports token ids', () => {
    const { experiment } = exported(state({ model: 'stories260K', view: 'lens', prompt: '1 403 #9', answer: '' }), noTokenizer);
    expect(experiment).toMatchObject({ model: { id: 'stories260K' }, prompts: { prompt: [1, 403, 9] } });
    expect(experiment).not.toHaveProperty('target');
  });
});

describe('experiment file → dashboard view', () => {
  it('every exportable view comes back as it was', () => {
    const views: Partial<ViewState>[] = [
      { view: 'lens' },
      { view: 'ablation', ablate: [{ layer: 2, head: 1 }], mode: 'mean' },
      { view: 'ablation', ablate: [{ layer: 2, head: 1 }], run: 'clean' },
      { view: 'ablation', ablate: [] },
      { view: 'patching', patch: 'resid_mid' },
    ];
    for (const patch of views) {
      const original = state(patch);
      const restored = { ...DEFAULT_STATE, ...imported(exported(original).experiment) };
      for (const key of Object.keys(patch) as (keyof ViewState)[]) expect(restored[key], key).toEqual(original[key]);
      expect(restored.model).toBe('toy-ioi');
      expect(restored.prompt).toBe(CLEAN);
    }
      // An ablation of the corrupted prompt comes back as the clean prompt, shown as the clean run.
    expect(imported(exported(state({ view: 'ablation', ablate: [{ layer: 1, head: 0 }], run: 'corrupted' })).experiment)).toMatchObject({ prompt: CORRUPTED, run: 'clean' });
  });

  it('flags the experiment\'s own computation, and only it, so the import runs it as a link would', () => {
    const ablation = { ...base, prompts: { prompts: [CLEAN] }, mode: 'zero' as const, metric: { type: 'logit-diff' as const, answer: 'Mary', wrong: 'John' } };
    expect(imported({ ...ablation, kind: 'ablation', heads: [{ layer: 0, head: 3 }], mlps: [] }).ran).toEqual(['ablate']);
    expect(imported({ ...ablation, kind: 'ablation-sweep' }).ran).toEqual(['sweep']);
    expect(imported({ ...base, kind: 'patching', prompts: { clean: CLEAN, corrupted: CORRUPTED }, patch: { kind: 'z' }, metric: { type: 'logit-diff', answer: 'Mary', wrong: 'John' } }).ran).toEqual(['patch']);
    // The lens runs by itself: no flag, and none left over from the view before.
    expect(imported({ ...base, kind: 'lens', prompts: { prompt: CLEAN } }).ran).toEqual([]);
  });

  it('reads what the CLI writes: ids as #ID, a model named by its path, the attention overlay for head scores', () => {
    expect(imported({ ...base, model: { id: 'packages/core/models/toy-ioi' }, kind: 'patching', prompts: { clean: CLEAN, corrupted: CORRUPTED }, patch: { kind: 'attn_out' }, metric: { type: 'logit-diff', answer: 35, wrong: '#36' } }))
      .toMatchObject({ model: 'toy-ioi', view: 'patching', patch: 'attn_out', answer: '#35', wrong: '#36', prompt: CLEAN, corrupted: CORRUPTED });
    expect(imported({ ...base, kind: 'head-scores', prompts: { repeatedRandomTokens: {} } })).toEqual({ model: 'toy-ioi', view: 'attention', overlay: 'induction', ran: [] });
    expect(imported({ ...base, model: { id: '/models/stories260K.bin' }, tokenization: { prependBos: true }, kind: 'lens', prompts: { prompt: [1, 2, 3] } }))
      .toMatchObject({ model: 'stories260K', prompt: '1 2 3' });
  });

  it('refuses, naming the field, what the dashboard cannot show', () => {
    const lens = { ...base, kind: 'lens' as const, prompts: { prompt: CLEAN } };
    const ablation = { ...base, kind: 'ablation' as const, prompts: { prompts: [CLEAN] }, heads: [{ layer: 0, head: 0 }] };
    const patching = { ...base, kind: 'patching' as const, prompts: { clean: CLEAN, corrupted: CORRUPTED }, patch: { kind: 'z' as const }, metric: { type: 'logit-diff' as const, answer: 'Mary', wrong: 'John' } };
    const cases: [ExperimentInput, string][] = [
      [{ ...lens, model: { id: 'gpt2' } }, 'experiment.model.id: "gpt2" is not served here (served: toy-ioi, stories260K)'],
      [{ ...lens, tokenization: { prependBos: false } }, 'experiment.tokenization.prependBos'],
      [{ ...lens, prompts: { prompt: [1, 2] } }, 'experiment.prompts.prompt: token ids'],
      [{ ...lens, model: { id: 'stories260K' } }, 'experiment.prompts.prompt: text, but stories260K has no tokenizer'],
      [{ ...ablation, mode: 'resample' }, 'experiment.mode'],
      [{ ...ablation, mlps: [1] }, 'experiment.mlps'],
      [{ ...ablation, prompts: { prompts: [CLEAN, CORRUPTED] } }, 'experiment.prompts.prompts: 2 prompts'],
      [{ ...ablation, metric: { type: 'logit-diff', answer: 'Mary', wrong: 'John', position: 3 } }, 'experiment.metric.position'],
      [{ ...base, kind: 'ablation-sweep', prompts: { prompts: [CLEAN] }, layers: [0] }, 'experiment.layers'],
      [{ ...patching, patch: { kind: 'z_by_pos' } }, 'experiment.patch.kind'],
      [{ ...patching, patch: { kind: 'z', layers: [0] } }, 'experiment.patch.layers'],
      [{ ...base, kind: 'head-scores', prompts: { repeatedRandomTokens: { seqLen: 20 } } }, 'experiment.prompts.repeatedRandomTokens'],
    ];
    for (const [experiment, message] of cases) expect(refusal(experiment)).toContain(message);
  });
});
