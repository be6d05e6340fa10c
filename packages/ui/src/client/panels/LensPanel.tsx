/** Fetches the logit lens for the clean and corrupted prompts (and, for the logit difference, with the wrong token as target). */
import type { LensRequest, LensResponse } from '../../api/index.ts';
import { ErrorBox, Loading, Placeholder } from '../charts/Status.tsx';
import type { LensBundle } from '../lib/lensStats.ts';
import { requestKey, useRequest } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { LogitLensView } from '../views/LogitLensView.tsx';
import { RunPicker } from './RunPicker.tsx';

const TOP_K = 10;

function useLens(session: Session, prompt: Session['clean'], target: string | undefined) {
  const body: LensRequest | null = prompt === null ? null : { model: session.model.id, prompt, topK: TOP_K, ...(target ? { target } : {}) };
  return useRequest<LensResponse>(body && requestKey('lens', body), (signal) => session.api.call('lens', body!, undefined, signal), { auto: true });
}

export function LensPanel() {
  const session = useSession();
  const { state, update } = session;
  const needCorrupted = state.run !== 'clean';
  const needWrong = state.stat === 'logitdiff';
  const clean = useLens(session, session.clean, session.answer);
  const cleanWrong = useLens(session, needWrong ? session.clean : null, session.wrong);
  const corrupted = useLens(session, needCorrupted ? session.corrupted : null, session.answer);
  const corruptedWrong = useLens(session, needCorrupted && needWrong ? session.corrupted : null, session.wrong);

  if (session.clean === null) return <Placeholder>Type a prompt above to run the logit lens.</Placeholder>;
  const all = [clean, cleanWrong, corrupted, corruptedWrong];
  const error = all.find((r) => r.status === 'error')?.error;
  const bundle = (lens?: LensResponse, wrong?: LensResponse): LensBundle | undefined => (lens ? { lens, wrong } : undefined);

  return (
    <>
      <RunPicker testId="lens-run" />
      {all.some((r) => r.status === 'loading') && <Loading>running the lens…</Loading>}
      {error && <ErrorBox error={error} onRetry={() => all.forEach((r) => r.status === 'error' && r.start())} />}
      {clean.data ? (
        <LogitLensView
          clean={bundle(clean.data, cleanWrong.data)!}
          corrupted={bundle(corrupted.data, corruptedWrong.data)}
          stat={state.stat}
          run={state.run}
          selected={state.lensCell}
          onSelect={(cell) => update({ lensCell: cell })}
          onStat={(stat) => update({ stat })}
        />
      ) : null}
    </>
  );
}
