/** Runs ablations of the chosen heads and the all-heads sweep (a job with progress), on the clean and/or the corrupted prompt. */
import type { AblateRequest, AblateResponse, AblationSweepRequest, AblationSweepResult, HeadRef } from '../../api/index.ts';
import { Placeholder } from '../charts/Status.tsx';
import { namingBoxes, promptBoxes } from '../lib/fieldNames.ts';
import { usesClean, usesCorrupted } from '../lib/runs.ts';
import { requestKey, useRequest, type RequestEntry } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { useRecordedRun } from '../state/useRecordedRun.tsx';
import { AblationView, type RequestView } from '../views/AblationView.tsx';
import { RunPicker } from './RunPicker.tsx';

export type Which = 'clean' | 'corrupted';

export function asView<T>(entry: RequestEntry<T>): RequestView<T> {
  return { data: entry.data, loading: entry.status === 'loading', error: entry.error, progress: entry.progress, cancelled: entry.cancelled };
}

/** The prompt a run choice reads: the clean one or the corrupted one. */
export function promptOf(session: Session, which: Which) {
  return which === 'clean' ? session.clean : session.corrupted;
}

/** The metric fields every request takes: both tokens, or none. */
export function metricOf(session: Session) {
  return session.answer && session.wrong ? { answer: session.answer, wrong: session.wrong } : {};
}

/** The sweep request for one prompt, shared with the component table (same request, same stored result). */
export function sweepBody(session: Session, which: Which): AblationSweepRequest | null {
  const prompt = promptOf(session, which);
  if (prompt === null) return null;
  return { model: session.model.id, prompt, mode: session.state.mode, ...metricOf(session) };
}

export function useSweep(session: Session, which: Which) {
  const body = sweepBody(session, which);
  return useRequest<AblationSweepResult>(body && requestKey('ablationSweep', body), (signal, onProgress) =>
    namingBoxes(session.api.runJob('ablationSweep', body!, onProgress, signal), promptBoxes(which)),
  );
}

function useAblation(session: Session, which: Which, heads: HeadRef[]) {
  const prompt = promptOf(session, which);
  const body: AblateRequest | null = prompt === null || heads.length === 0 ? null : { model: session.model.id, prompt, heads, mode: session.state.mode, ...metricOf(session) };
  return useRequest<AblateResponse>(body && requestKey('ablate', body), (s) => namingBoxes(session.api.call('ablate', body!, undefined, s), promptBoxes(which)));
}

export function AblationPanel() {
  const session = useSession();
  const { model, state, update, clean } = session;
  const selected = state.ablate.filter((h) => h.layer < model.config.nLayers && h.head < model.config.nHeads);
  const ablation = { clean: useAblation(session, 'clean', selected), corrupted: useAblation(session, 'corrupted', selected) };
  const sweep = { clean: useSweep(session, 'clean'), corrupted: useSweep(session, 'corrupted') };
  // Only the runs the choice shows are started.
  const needed: Which[] = [...(usesClean(state.run) ? ['clean' as const] : []), ...(usesCorrupted(state.run) ? ['corrupted' as const] : [])];
  // Both recorded in the URL, so a link shows the same ablation and sweep again.
  const ablate = useRecordedRun('ablate', needed.map((w) => ablation[w]));
  const sweepAll = useRecordedRun('sweep', needed.map((w) => sweep[w]));

  if (clean === null) return <Placeholder>Type a prompt above to ablate heads.</Placeholder>;
  const toggle = (h: HeadRef) => {
    const on = selected.some((x) => x.layer === h.layer && x.head === h.head);
    update({ ablate: on ? selected.filter((x) => x.layer !== h.layer || x.head !== h.head) : [...selected, h].sort((a, b) => a.layer - b.layer || a.head - b.head) });
  };
  return (
    <AblationView
      runPicker={<RunPicker testId="ablation-run" />}
      run={state.run}
      noCorrupted={session.corrupted === null ? 'enter a corrupted prompt to ablate on it' : undefined}
      config={model.config}
      selected={selected}
      mode={state.mode}
      ablation={{ clean: asView(ablation.clean), corrupted: asView(ablation.corrupted) }}
      sweep={{ clean: asView(sweep.clean), corrupted: asView(sweep.corrupted) }}
      onToggle={toggle}
      onClear={() => update({ ablate: [] })}
      onMode={(mode) => update({ mode })}
      onAblate={ablate.run}
      onSweep={sweepAll.run}
      onCancelSweep={(which) => {
        sweep[which].cancel();
        sweepAll.unflag();
      }}
      sweepShows={state.sweepShows}
      onSweepShows={(sweepShows) => update({ sweepShows })}
    />
  );
}
