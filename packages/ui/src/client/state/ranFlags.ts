/**
 * The URL's `ran` flags say which button-started computations the view shows, so a link
 * reruns them. A flag is a claim about the inputs it was computed on: an update that changes
 * any input its request is built from (panels/AblationPanel.tsx, PatchingPanel.tsx,
 * ComponentsPanel.tsx) drops it, so a link never reruns a computation the user had not
 * asked for on those inputs. Pure (no DOM): tested in Node.
 */
import { COMPUTATIONS, type Computation, type ViewState } from './viewState.ts';

/** The view-state fields each computation's requests are built from. */
export const COMPUTATION_INPUTS: Record<Computation, readonly (keyof ViewState)[]> = {
  // Which prompts are ablated follows the run choice; answer + wrong add the logit-difference metric.
  ablate: ['model', 'prompt', 'corrupted', 'answer', 'wrong', 'mode', 'run', 'ablate'],
  sweep: ['model', 'prompt', 'corrupted', 'answer', 'wrong', 'mode', 'run'],
  patch: ['model', 'prompt', 'corrupted', 'answer', 'wrong', 'patch'],
  // The table always uses both prompts and patches z (and mlp_out): neither the run choice nor the patch kind.
  components: ['model', 'prompt', 'corrupted', 'answer', 'wrong', 'mode'],
};

function sameInputs(computation: Computation, a: ViewState, b: ViewState): boolean {
  // Every input is a string or an array of plain objects: JSON compares them by value.
  return COMPUTATION_INPUTS[computation].every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

/**
 * The state after `patch`: its fields applied, and of the flags, those the patch newly sets
 * plus those whose inputs it leaves unchanged (a flag already set never survives a change of
 * its inputs, even when the patch repeats it).
 */
export function applyViewPatch(prev: ViewState, patch: Partial<ViewState>): ViewState {
  const next = { ...prev, ...patch };
  const added = (c: Computation) => !prev.ran.includes(c);
  const ran = next.ran.filter((c) => (patch.ran !== undefined && added(c)) || sameInputs(c, prev, next));
  return { ...next, ran };
}

/** `ran` with `computation` flagged (after its button was clicked). */
export function withRan(ran: readonly Computation[], computation: Computation): Computation[] {
  return COMPUTATIONS.filter((c) => c === computation || ran.includes(c));
}

/** `ran` without `computation` (after it was cancelled). */
export function withoutRan(ran: readonly Computation[], computation: Computation): Computation[] {
  return ran.filter((c) => c !== computation);
}
