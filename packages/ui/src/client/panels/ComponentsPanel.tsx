/** Gathers DLA, ablation (head sweep + each MLP) and patching for the component table. */
import type { AblateRequest, AblateResponse, AttributionRequest, AttributionResponse } from '../../api/index.ts';
import { ErrorBox, Placeholder, ProgressBar } from '../charts/Status.tsx';
import { COLUMNS, type ColumnKey } from '../lib/componentRows.ts';
import { requestKey, useRequest } from '../state/requests.ts';
import { useSession } from '../state/session.tsx';
import { ComponentTableView } from '../views/ComponentTableView.tsx';
import { useSweep } from './AblationPanel.tsx';
import { usePatching } from './PatchingPanel.tsx';

export function ComponentsPanel() {
  const session = useSession();
  const { api, model, state, update, clean } = session;
  const attrBody: AttributionRequest | null = clean === null || !session.answer ? null : { model: model.id, prompt: clean, answer: session.answer, ...(session.wrong ? { wrong: session.wrong } : {}) };
  const attribution = useRequest<AttributionResponse>(attrBody && requestKey('attribution', attrBody), (s) => api.call('attribution', attrBody!, undefined, s), { auto: true });
  const sweep = useSweep(session);
  const patching = usePatching(session, model.config.attnOnly ? ['z'] : ['z', 'mlp_out']);
  const metric = session.answer && session.wrong ? { answer: session.answer, wrong: session.wrong } : {};
  const mlpBody = clean === null || model.config.attnOnly ? null : { model: model.id, prompt: clean, mode: state.mode, ...metric };
  const mlps = useRequest<(AblateResponse | undefined)[]>(mlpBody && requestKey('ablate-each-mlp', mlpBody), async (signal, onProgress) => {
    const out: AblateResponse[] = [];
    for (let layer = 0; layer < model.config.nLayers; layer++) {
      onProgress({ done: layer, total: model.config.nLayers });
      const body: AblateRequest = { ...mlpBody!, mlps: [layer] };
      out.push(await api.call('ablate', body, undefined, signal));
    }
    return out;
  });

  if (clean === null) return <Placeholder>Type a prompt above to fill the component table.</Placeholder>;
  const computeAll = () => {
    sweep.start(false);
    mlps.start(false);
    patching.start(false);
  };
  const running = [
    ['head ablation sweep', sweep],
    ['MLP ablations', mlps],
    ['patching', patching],
  ] as const;
  const sortKey: ColumnKey = (COLUMNS as readonly string[]).includes(state.sort) ? (state.sort as ColumnKey) : 'dla';
  return (
    <>
      <div className="toolbar">
        <button type="button" className="primary" onClick={computeAll} data-testid="components-compute">Compute ablation and patching effects</button>
        {!session.answer && <span className="status">set an answer token for DLA</span>}
        {session.corrupted === null && <span className="status">set a corrupted prompt (and answer + wrong) for patching</span>}
      </div>
      {running.map(([label, r]) => (r.status === 'loading' ? <ProgressBar key={label} label={label} progress={r.progress} onCancel={() => r.cancel()} /> : null))}
      {[attribution, ...running.map(([, r]) => r)].map((r, i) => (r.error ? <ErrorBox key={i} error={r.error} /> : null))}
      <ComponentTableView
        config={model.config}
        attribution={attribution.data}
        sweep={sweep.data}
        mlpAblations={mlps.data}
        patching={patching.data}
        sort={sortKey}
        desc={state.desc}
        onSort={(sort, desc) => update({ sort, desc })}
        onAction={(action, row) => {
          if (action === 'ablate' && row.head !== undefined) update({ view: 'ablation', ablate: [{ layer: row.layer, head: row.head }] });
          if (action === 'pattern' && row.head !== undefined) update({ view: 'attention', head: { layer: row.layer, head: row.head } });
          if (action === 'patch') update({ view: 'patching', patch: row.kind === 'head' ? 'z' : 'mlp_out', patchCell: row.kind === 'head' ? { row: row.layer, col: row.head! } : null });
        }}
      />
    </>
  );
}
