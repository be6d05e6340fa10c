/** Model picker and what the server runs it on: engine (and its backend), parameter count, architecture. */
import type { ModelSummary } from '../../api/index.ts';

export interface HeaderProps {
  models: readonly ModelSummary[];
  backend: string;
  model: ModelSummary | null;
  onModel: (id: string) => void;
}

export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function Header({ models, backend, model, onModel }: HeaderProps) {
  const c = model?.config;
  return (
    <div className="topbar" data-testid="header">
      <span className="brand">hooklens</span>
      <label>
        model
        <select value={model?.id ?? ''} onChange={(e) => onModel(e.target.value)} data-testid="model-picker">
          {models.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
        </select>
      </label>
      {model && c && (
        <span className="model-facts" data-testid="model-facts">
          <span>engine <b data-testid="engine">{model.backend || backend}</b></span>
          <span>params <b data-testid="param-count">{formatParams(model.params)}</b></span>
          <span>{c.family}</span>
          <span><b>{c.nLayers}</b> layers × <b>{c.nHeads}</b> heads{c.nKvHeads !== c.nHeads ? ` (${c.nKvHeads} kv)` : ''}</span>
          <span>d_model <b>{c.dModel}</b></span>
          {c.dMlp !== null && <span>d_mlp <b>{c.dMlp}</b></span>}
          <span>vocab <b>{c.dVocab}</b></span>
          <span>n_ctx <b>{c.nCtx}</b></span>
          <span>{c.normType} · {c.positional}{c.attnOnly ? ' · attn-only' : ''}</span>
        </span>
      )}
    </div>
  );
}
