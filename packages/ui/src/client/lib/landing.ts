/**
 * What a page opened without any view state in its URL shows: the first model's worked example
 * (prompts, answer and wrong tokens the server checked against its tokenizer) in the logit lens,
 * a computed view rather than an empty form. A link with any state shows that state instead.
 * Pure (no DOM): tested in Node.
 */
import type { ModelSummary } from '../../api/index.ts';
import type { ViewState } from '../state/viewState.ts';

export function landingView(search: string, models: readonly ModelSummary[]): Partial<ViewState> | null {
  if (new URLSearchParams(search).size > 0) return null;
  const model = models[0];
  if (!model?.example) return null;
  const { prompt, corrupted, answer, wrong } = model.example;
  return { model: model.id, view: 'lens', prompt, corrupted, answer, wrong };
}
