/** Loading, progress and error states, the same everywhere. */
import type { ReactNode } from 'react';
import type { JobProgress } from '../../api/index.ts';

export function Loading({ children = 'running…' }: { children?: ReactNode }) {
  return (
    <div className="status" role="status" data-testid="loading">
      <span className="spinner" /> {children}
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: string; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert" data-testid="error">
      {error} {onRetry && <button type="button" onClick={onRetry}>retry</button>}
    </div>
  );
}

export function ProgressBar({ progress, label, onCancel }: { progress?: JobProgress; label?: string; onCancel?: () => void }) {
  const fraction = progress && progress.total > 0 ? progress.done / progress.total : 0;
  return (
    <div className="status" data-testid="progress">
      <span className="spinner" />
      {label ?? 'running'}
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={progress?.total ?? 1} aria-valuenow={progress?.done ?? 0}>
        <div style={{ width: `${Math.round(fraction * 100)}%` }} />
      </div>
      {/* A job reports its total once it starts; until then it waits in the server's queue. */}
      <span>{progress && progress.total > 0 ? `${progress.done} / ${progress.total}` : 'queued'}</span>
      {onCancel && <button type="button" onClick={onCancel}>cancel</button>}
    </div>
  );
}

/** Where a cancelled job's progress bar was: what was cancelled, so an empty result does not look like a silent failure. */
export function Cancelled({ what }: { what: string }) {
  return (
    <div className="status" role="status" data-testid="cancelled">
      {what}: cancelled
    </div>
  );
}

export function Placeholder({ children }: { children: ReactNode }) {
  return <div className="placeholder">{children}</div>;
}
