/** Which run a view shows: clean, corrupted, or clean − corrupted (shared by the views that compare). */
import { useSession } from '../state/session.tsx';
import { RUNS, type RunChoice } from '../state/viewState.ts';

export function RunPicker({ testId }: { testId: string }) {
  const { state, update, corrupted } = useSession();
  return (
    <div className="toolbar">
      <label>
        show
        <select value={state.run} onChange={(e) => update({ run: e.target.value as RunChoice })} data-testid={testId}>
          {RUNS.map((r) => <option key={r} value={r}>{r === 'diff' ? 'clean − corrupted (Δ)' : r}</option>)}
        </select>
      </label>
      {state.run !== 'clean' && corrupted === null && <span className="status">enter a corrupted prompt to compare</span>}
    </div>
  );
}
