/**
 * The dashboard's view as an experiment file (the format `hooklens run` replays and every CLI
 * command writes with --save-experiment), and an experiment file back to a view.
 *
 * Honest both ways: a view that is not one experiment (the component table, a difference of
 * two runs) cannot be exported, and an experiment with a setting the dashboard cannot show
 * (resample ablation, a subset of layers, token ids for a model with a tokenizer, …) is refused
 * with the field named, rather than shown as something it is not. Pure (no DOM): tested in Node.
 */
import type { ExperimentInput, Experiment, ExperimentPrompt, ExperimentToken, LogitDiffMetric } from '@hooklens/hooks/experiment-schema';
import type { ModelSummary } from '../../api/index.ts';
import { toPrompt } from './prompt.ts';
import { PATCH_VIEW_KINDS, type PatchViewKind, type ViewName, type ViewState } from '../state/viewState.ts';

/** How many top tokens the logit-lens view asks for per cell. */
export const LENS_TOP_K = 10;

export type ExportOutcome = { experiment: ExperimentInput; fileName: string } | { unavailable: string };
type Refusal = { refused: string };
export type ImportOutcome = { view: Partial<ViewState> } | Refusal;

const DESCRIPTION: Record<ViewName, string> = {
  lens: 'logit lens',
  attention: 'head scores (attention view)',
  ablation: 'head ablation',
  patching: 'activation patching',
  components: 'component table',
};

/** The experiment that reproduces what `state` shows on `model`, or why there is none. */
export function viewToExperiment(state: ViewState, model: ModelSummary): ExportOutcome {
  const base = {
    hooklens: 1 as const,
    description: `exported from the hooklens dashboard: ${DESCRIPTION[state.view]}`,
    model: { id: model.id },
    // The dashboard always runs with the model's own BOS convention and one prompt per run.
    tokenization: { prependBos: model.config.defaultPrependBos, paddingSide: 'right' as const },
  };
  const clean = toPrompt(state.prompt, model.hasTokenizer);
  const corrupted = toPrompt(state.corrupted, model.hasTokenizer);
  const metric = state.answer && state.wrong ? { type: 'logit-diff' as const, answer: state.answer, wrong: state.wrong } : undefined;
  const done = (experiment: ExperimentInput): ExportOutcome => ({ experiment, fileName: `${experiment.kind}-${model.id}.json` });

  switch (state.view) {
    case 'lens': {
      if (state.run === 'diff') return { unavailable: 'the lens shows clean − corrupted, the difference of two runs; pick the clean or the corrupted run to export one' };
      if (state.run === 'side') return { unavailable: 'the lens shows three runs side by side; pick the clean or the corrupted run to export one' };
      const prompt = state.run === 'corrupted' ? corrupted : clean;
      if (prompt === null) return { unavailable: `type a ${state.run === 'corrupted' ? 'corrupted ' : ''}prompt first` };
      return done({ ...base, kind: 'lens', prompts: { prompt }, topK: LENS_TOP_K, ...(state.answer && { target: state.answer }) });
    }
    case 'attention':
      // The view's score overlay: repeated random tokens at the server's defaults (no fields, so the same defaults replay).
      return done({ ...base, kind: 'head-scores', prompts: { repeatedRandomTokens: {} } });
    case 'ablation': {
      // The ablation view runs on the prompt the run choice names; a difference of runs is not one experiment.
      if (state.run === 'diff' || state.run === 'side') return { unavailable: `head ablation shows ${state.run === 'diff' ? 'clean − corrupted, the difference of two runs' : 'three runs side by side'}; pick the clean or the corrupted run to export one` };
      const prompt = state.run === 'corrupted' ? corrupted : clean;
      if (prompt === null) return { unavailable: `type a ${state.run === 'corrupted' ? 'corrupted ' : ''}prompt first` };
      const common = { ...base, prompts: { prompts: [prompt] }, mode: state.mode, ...(metric && { metric }) };
      return state.ablate.length > 0
        ? done({ ...common, kind: 'ablation', heads: state.ablate })
        : done({ ...common, kind: 'ablation-sweep' });
    }
    case 'patching': {
      if (clean === null || corrupted === null) return { unavailable: 'patching needs a clean and a corrupted prompt' };
      if (!metric) return { unavailable: 'patching needs the answer and wrong tokens (its metric is their logit difference)' };
      return done({ ...base, kind: 'patching', prompts: { clean, corrupted }, patch: { kind: state.patch }, metric });
    }
    case 'components':
      return { unavailable: 'the component table combines attribution, ablation and patching runs; export from the Head ablation or Activation patching view' };
  }
}

/**
 * The view that shows `experiment` on one of `models`, or why the dashboard cannot show it.
 * Only what the experiment says is changed; the rest of the view (the other prompt, colours) stays.
 * `ran` flags the experiment's own button-started computation (and only it), so the import runs
 * it as a link to the same view would; the lens and the head scores run by themselves.
 */
export function experimentToView(experiment: Experiment, models: readonly ModelSummary[]): ImportOutcome {
  const model = findModel(experiment.model.id, models);
  if (!model) return { refused: `experiment.model.id: ${JSON.stringify(experiment.model.id)} is not served here (served: ${models.map((m) => m.id).join(', ') || 'none'}); start the server with --model ${experiment.model.id}` };
  const refuse = (field: string, why: string): Refusal => ({ refused: `experiment.${field}: ${why}; replay it with \`hooklens run\`` });
  if (experiment.model.tokenizer !== undefined) return refuse('model.tokenizer', `the dashboard uses the tokenizer ${model.id} was served with`);
  if (experiment.tokenization.prependBos !== model.config.defaultPrependBos) {
    return refuse('tokenization.prependBos', `${experiment.tokenization.prependBos}, but the dashboard runs ${model.id} ${model.config.defaultPrependBos ? 'with' : 'without'} BOS (its default)`);
  }
  const promptText = (prompt: ExperimentPrompt, field: string): string | Refusal => {
    if (typeof prompt === 'string') return model.hasTokenizer ? prompt : refuse(field, `text, but ${model.id} has no tokenizer; give token ids`);
    return model.hasTokenizer ? refuse(field, `token ids, but the dashboard takes text for ${model.id}, which has a tokenizer`) : prompt.join(' ');
  };
  const metricFields = (metric: LogitDiffMetric | undefined, field: string): { answer: string; wrong: string } | Refusal => {
    if (!metric) return { answer: '', wrong: '' };
    if (!readsLastPosition(metric.position)) return refuse(`${field}.position`, 'the dashboard reads the metric at the last position');
    return { answer: tokenText(metric.answer), wrong: tokenText(metric.wrong) };
  };
  const view = { model: model.id };

  switch (experiment.kind) {
    case 'lens': {
      const prompt = promptText(experiment.prompts.prompt, 'prompts.prompt');
      if (typeof prompt !== 'string') return prompt;
      return { view: { ...view, view: 'lens', run: 'clean', prompt, ran: [], ...(experiment.target !== undefined && { answer: tokenText(experiment.target) }) } };
    }
    case 'head-scores': {
      const { seqLen, batch } = experiment.prompts.repeatedRandomTokens;
      if (seqLen !== undefined || batch !== undefined || experiment.seed !== undefined) {
        return refuse('prompts.repeatedRandomTokens', 'the attention view scores heads at the server defaults (no seqLen, batch or seed)');
      }
      return { view: { ...view, view: 'attention', overlay: 'induction', ran: [] } };
    }
    case 'ablation':
    case 'ablation-sweep': {
      const { prompts, reference } = experiment.prompts;
      if (prompts.length !== 1) return refuse('prompts.prompts', `${prompts.length} prompts; the dashboard ablates on one`);
      if (reference !== undefined) return refuse('prompts.reference', 'the dashboard uses the prompt itself as the mean reference');
      if (experiment.mode === 'resample') return refuse('mode', "'resample'; the dashboard offers zero and mean ablation");
      if (!readsLastPosition(experiment.position)) return refuse('position', 'the dashboard reads predictions at the last position');
      const prompt = promptText(prompts[0], 'prompts.prompts[0]');
      if (typeof prompt !== 'string') return prompt;
      const metric = metricFields(experiment.metric, 'metric');
      if ('refused' in metric) return metric;
      // The file's prompt becomes the clean one, so the view shows the clean run.
      const common = { ...view, view: 'ablation' as const, run: 'clean' as const, prompt, mode: experiment.mode, ...metric };
      if (experiment.kind === 'ablation-sweep') {
        if (experiment.layers !== undefined) return refuse('layers', 'the dashboard sweeps every layer');
        if (experiment.loss === false) return refuse('loss', 'false; the dashboard sweep always computes the loss');
        return { view: { ...common, ablate: [], ran: ['sweep'] } };
      }
      if (experiment.mlps.length > 0) return refuse('mlps', 'the ablation view ablates heads (MLP ablation is in the component table)');
      return { view: { ...common, ablate: experiment.heads, ran: ['ablate'] } };
    }
    case 'patching': {
      const { patch } = experiment;
      if (!(PATCH_VIEW_KINDS as readonly string[]).includes(patch.kind)) return refuse('patch.kind', `${JSON.stringify(patch.kind)}; the dashboard shows ${PATCH_VIEW_KINDS.join(', ')}`);
      for (const field of ['layers', 'heads', 'positions'] as const) {
        if (patch[field] !== undefined) return refuse(`patch.${field}`, 'the dashboard patches every layer, head and position');
      }
      const clean = promptText(experiment.prompts.clean, 'prompts.clean');
      if (typeof clean !== 'string') return clean;
      const corrupted = promptText(experiment.prompts.corrupted, 'prompts.corrupted');
      if (typeof corrupted !== 'string') return corrupted;
      const metric = metricFields(experiment.metric, 'metric');
      if ('refused' in metric) return metric;
      return { view: { ...view, view: 'patching', prompt: clean, corrupted, patch: patch.kind as PatchViewKind, patchCell: null, ...metric, ran: ['patch'] } };
    }
  }
}

/** A served model by id, or by a path's last component (`packages/core/models/toy-ioi`, `…/stories15M.bin`), as the server names them. */
function findModel(id: string, models: readonly ModelSummary[]): ModelSummary | undefined {
  const base = id.replace(/[\\/]+$/, '').split(/[\\/]/).at(-1)!.replace(/\.bin$/, '');
  return models.find((m) => m.id === id) ?? models.find((m) => m.id === base);
}

function readsLastPosition(position: number | undefined): boolean {
  return position === undefined || position === -1;
}

/** A token as the answer box takes it: text, or '#ID'. */
function tokenText(token: ExperimentToken): string {
  return typeof token === 'number' ? `#${token}` : token;
}
