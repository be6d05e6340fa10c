/**
 * A button-started computation recorded in the URL's `ran` flags (state/ranFlags.ts): the
 * button flags it and starts its requests; a page opened with the flag set starts them by
 * itself once their inputs are ready (same progress bars, same cancel); cancelling unflags it.
 */
import { useEffect, useRef } from 'react';
import { withoutRan, withRan } from './ranFlags.ts';
import { useSession } from './session.tsx';
import type { Computation } from './viewState.ts';

/** What useRequest returns, as far as starting it goes. */
export interface Startable {
  /** null until the request's inputs are ready. */
  key: string | null;
  start: (force?: boolean) => unknown;
}

export function useRecordedRun(computation: Computation, requests: readonly Startable[]) {
  const { state, update } = useSession();
  const flagged = state.ran.includes(computation);
  const latest = useRef(requests);
  latest.current = requests;
  // The keys say what the requests ask: a new key (inputs became ready) is started too; one already running or done is not restarted.
  const keys = requests.map((r) => r.key ?? '').join('\n');
  useEffect(() => {
    if (flagged) latest.current.forEach((r) => r.start(false));
  }, [flagged, keys]);
  return {
    flagged,
    /** The button: flag it in the URL and start what is not running or done yet. */
    run: () => {
      update({ ran: withRan(state.ran, computation) });
      requests.forEach((r) => r.start(false));
    },
    /** Cancelled: a link no longer claims its result. */
    unflag: () => update({ ran: withoutRan(state.ran, computation) }),
  };
}
