/**
 * What a page opened without any view state in its URL shows: the first model's worked example
 * (prompts, answer and wrong tokens the server checked against its tokenizer) in the logit lens,
 * a computed view rather than an empty form. A link with any state shows that state instead.
 * Pure (no DOM): tested in Node.
 */
import type { ModelExample, ModelSummary } from '../../api/index.ts';
import type { ViewState } from '../state/viewState.ts';

export function landingView(search: string, models: readonly ModelSummary[]): Partial<ViewState> | null {
  if (new URLSearchParams(search).size > 0) return null;
  const model = models[0];
  return model?.example ? exampleView(model.id, model.example) : null;
}

/** The view of a model's worked example in the logit lens (also what its "open the worked example" button shows). */
export function exampleView(model: string, { prompt, corrupted, answer, wrong }: ModelExample): Partial<ViewState> {
  return { model, view: 'lens', prompt, corrupted, answer, wrong };
}
