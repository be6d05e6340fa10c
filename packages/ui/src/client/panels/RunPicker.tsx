/** Which run a view shows: clean, corrupted, clean − corrupted, or all three side by side (one choice shared by the views that compare). */
import type { ReactNode } from 'react';
import { useSession } from '../state/session.tsx';
import { RUNS, type RunChoice } from '../state/viewState.ts';

const RUN_OPTION: Record<RunChoice, string> = {
  clean: 'clean',
  corrupted: 'corrupted',
  diff: 'clean − corrupted (Δ)',
  side: 'side by side: clean · corrupted · Δ',
};

export function RunPicker({ testId, children }: { testId: string; children?: ReactNode }) {
  const { state, update, corrupted } = useSession();
  return (
    <div className="toolbar">
      <label>
        show
        <select value={state.run} onChange={(e) => update({ run: e.target.value as RunChoice })} data-testid={testId}>
          {RUNS.map((r) => <option key={r} value={r}>{RUN_OPTION[r]}</option>)}
        </select>
      </label>
      {children}
      {state.run !== 'clean' && corrupted === null && <span className="status">enter a corrupted prompt to compare</span>}
    </div>
  );
}
