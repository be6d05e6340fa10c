/** Tokenizes both prompts and runs the patching job for the chosen kind. */
import type { PatchingRequest, PatchingResult, PatchKind, TokenizeResponse } from '../../api/index.ts';
import { requestKey, useRequest } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { useRecordedRun } from '../state/useRecordedRun.tsx';
import { PatchingView } from '../views/PatchingView.tsx';
import { asView } from './AblationPanel.tsx';

export function useTokens(session: Session, prompt: Session['clean']) {
  const body = prompt === null ? null : { model: session.model.id, prompt };
  return useRequest<TokenizeResponse>(body && requestKey('tokenize', body), (s) => session.api.call('tokenize', body!, undefined, s), { auto: true });
}

export function patchingBody(session: Session, kinds: PatchKind[]): PatchingRequest | null {
  if (session.clean === null || session.corrupted === null || !session.answer || !session.wrong) return null;
  return { model: session.model.id, clean: session.clean, corrupted: session.corrupted, answer: session.answer, wrong: session.wrong, kinds };
}

export function usePatching(session: Session, kinds: PatchKind[]) {
  const body = patchingBody(session, kinds);
  return useRequest<PatchingResult>(body && requestKey('patching', body), async (signal, onProgress) => {
    return session.api.runJob('patching', body!, onProgress, signal);
  });
}

export function PatchingPanel() {
  const session = useSession();
  const { state, update } = session;
  const clean = useTokens(session, session.clean);
  const corrupted = useTokens(session, session.corrupted);
  const patching = usePatching(session, [state.patch]);
  const recorded = useRecordedRun('patch', [patching]);
  const blocked =
    session.clean === null ? 'enter a clean prompt' : session.corrupted === null ? 'enter a corrupted prompt' : !session.answer || !session.wrong ? 'set the answer and wrong tokens' : undefined;
  return (
    <PatchingView
      clean={clean.data}
      corrupted={corrupted.data}
      answer={session.answer ?? ''}
      wrong={session.wrong ?? ''}
      kind={state.patch}
      blocked={blocked}
      result={asView(patching)}
      selected={state.patchCell}
      onSelect={(cell) => update({ patchCell: cell })}
      onKind={(patch) => update({ patch, patchCell: null })}
      onRun={recorded.run}
      onCancel={() => {
        patching.cancel();
        recorded.unflag();
      }}
    />
  );
}
