/** Fetches the logit lens for the clean and corrupted prompts (and, for the logit difference, with the wrong token as target). */
import type { LensRequest } from '../../api/index.ts';
import { ErrorBox, Loading, Placeholder } from '../charts/Status.tsx';
import { LENS_TOP_K } from '../lib/experiment.ts';
import { promptBoxes } from '../lib/fieldNames.ts';
import { fetchLens, type LensFetch } from '../lib/lensRequest.ts';
import { STAT_INFO, type LensBundle } from '../lib/lensStats.ts';
import { usesCorrupted } from '../lib/runs.ts';
import { requestKey, useRequest, type RequestEntry } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { LENS_STATS, type LensStat } from '../state/viewState.ts';
import { LogitLensView } from '../views/LogitLensView.tsx';
import { RunPicker } from './RunPicker.tsx';


/** The lens of `prompt` with the `box` token as target (`fallback`: the lens without it when the server refuses the token). */
function useLens(session: Session, prompt: Session['clean'], which: 'clean' | 'corrupted', box: 'answer' | 'wrong', fallback: boolean) {
  const target = box === 'answer' ? session.answer : session.wrong;
  const body: LensRequest | null = prompt === null ? null : { model: session.model.id, prompt, topK: LENS_TOP_K, ...(target ? { target } : {}) };
  return useRequest<LensFetch>(body && requestKey(`lens (${box} as target)`, body), (signal) =>
    fetchLens((b) => session.api.call('lens', b, undefined, signal), body!, promptBoxes(which, { target: box }), fallback),
  { auto: true });
}

function bundle(main: RequestEntry<LensFetch>, wrong: RequestEntry<LensFetch>): LensBundle | undefined {
  const lens = main.data?.lens;
  return lens && { lens, wrong: wrong.data?.lens, targetError: main.data?.targetError, wrongError: wrong.data?.targetError };
}

export function LensPanel() {
  const session = useSession();
  const { state, update } = session;
  const needCorrupted = usesCorrupted(state.run);
  const needWrong = state.stat === 'logitdiff';
  const clean = useLens(session, session.clean, 'clean', 'answer', true);
  const cleanWrong = useLens(session, needWrong ? session.clean : null, 'clean', 'wrong', false);
  const corrupted = useLens(session, needCorrupted ? session.corrupted : null, 'corrupted', 'answer', true);
  const corruptedWrong = useLens(session, needCorrupted && needWrong ? session.corrupted : null, 'corrupted', 'wrong', false);

  if (session.clean === null) return <Placeholder>Type a prompt above to run the logit lens.</Placeholder>;
  const all = [clean, cleanWrong, corrupted, corruptedWrong];
  const error = all.find((r) => r.status === 'error')?.error;
  const cleanBundle = bundle(clean, cleanWrong);
  const corruptedBundle = bundle(corrupted, corruptedWrong);
  // A refused answer token costs only the statistics that need it; when the chosen one does not, say so here.
  const answerError = !STAT_INFO[state.stat].needs ? cleanBundle?.targetError : undefined;
  const noCorrupted =
    session.corrupted === null ? 'enter a corrupted prompt to compare' : corrupted.status === 'error' ? 'the corrupted run failed (see the error above)' : 'running the lens on the corrupted prompt…';

  return (
    <>
      <RunPicker testId="lens-run">
        <label>
          colour by
          <select value={state.stat} onChange={(e) => update({ stat: e.target.value as LensStat })} data-testid="lens-stat">
            {LENS_STATS.map((s) => <option key={s} value={s}>{STAT_INFO[s].label}</option>)}
          </select>
        </label>
      </RunPicker>
      {all.some((r) => r.status === 'loading') && <Loading>running the lens…</Loading>}
      {error && <ErrorBox error={error} onRetry={() => all.forEach((r) => r.status === 'error' && r.start())} />}
      {answerError && <ErrorBox error={`${answerError} — the answer statistics are unavailable; the rest of the lens is shown`} />}
      {cleanBundle ? (
        <LogitLensView
          clean={cleanBundle}
          corrupted={corruptedBundle}
          noCorrupted={noCorrupted}
          stat={state.stat}
          run={state.run}
          selected={state.lensCell}
          onSelect={(cell) => update({ lensCell: cell })}
        />
      ) : null}
    </>
  );
}
