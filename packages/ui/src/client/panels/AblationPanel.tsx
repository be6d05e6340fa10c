/** Runs ablations of the chosen heads and the all-heads sweep (a job with progress). */
import type { AblateRequest, AblateResponse, AblationSweepRequest, AblationSweepResult, HeadRef } from '../../api/index.ts';
import { Placeholder } from '../charts/Status.tsx';
import { requestKey, useRequest, type RequestEntry } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { AblationView, type RequestView } from '../views/AblationView.tsx';

export function asView<T>(entry: RequestEntry<T>): RequestView<T> {
  return { data: entry.data, loading: entry.status === 'loading', error: entry.error, progress: entry.progress };
}

/** The sweep request for the current prompt, shared with the component table. */
export function sweepBody(session: Session): AblationSweepRequest | null {
  if (session.clean === null) return null;
  const metric = session.answer && session.wrong ? { answer: session.answer, wrong: session.wrong } : {};
  return { model: session.model.id, prompt: session.clean, mode: session.state.mode, ...metric };
}

export function useSweep(session: Session) {
  const body = sweepBody(session);
  return useRequest<AblationSweepResult>(body && requestKey('ablationSweep', body), async (signal, onProgress) => {
    return session.api.runJob('ablationSweep', body!, onProgress, signal);
  });
}

export function AblationPanel() {
  const session = useSession();
  const { api, model, state, update, clean } = session;
  const selected = state.ablate.filter((h) => h.layer < model.config.nLayers && h.head < model.config.nHeads);
  const metric = session.answer && session.wrong ? { answer: session.answer, wrong: session.wrong } : {};
  const body: AblateRequest | null = clean === null || selected.length === 0 ? null : { model: model.id, prompt: clean, heads: selected, mode: state.mode, ...metric };
  const ablation = useRequest<AblateResponse>(body && requestKey('ablate', body), (s) => api.call('ablate', body!, undefined, s));
  const sweep = useSweep(session);

  if (clean === null) return <Placeholder>Type a prompt above to ablate heads.</Placeholder>;
  const toggle = (h: HeadRef) => {
    const on = selected.some((x) => x.layer === h.layer && x.head === h.head);
    update({ ablate: on ? selected.filter((x) => x.layer !== h.layer || x.head !== h.head) : [...selected, h].sort((a, b) => a.layer - b.layer || a.head - b.head) });
  };
  return (
    <AblationView
      config={model.config}
      selected={selected}
      mode={state.mode}
      hasMetric={!!(session.answer && session.wrong)}
      ablation={asView(ablation)}
      sweep={asView(sweep)}
      onToggle={toggle}
      onClear={() => update({ ablate: [] })}
      onMode={(mode) => update({ mode })}
      onAblate={() => ablation.start(false)}
      onSweep={() => sweep.start(false)}
      onCancelSweep={() => sweep.cancel()}
      sweepShows={state.sweepShows}
      onSweepShows={(sweepShows) => update({ sweepShows })}
    />
  );
}
