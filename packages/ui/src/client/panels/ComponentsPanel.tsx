/** Gathers DLA and ablation (head sweep + each MLP) on both prompts, and patching, for the component table. */
import type { AblateRequest, AblateResponse, AttributionRequest, AttributionResponse } from '../../api/index.ts';
import { Cancelled, ErrorBox, Placeholder, ProgressBar } from '../charts/Status.tsx';
import { componentUnits, sortKey } from '../lib/componentRows.ts';
import { namingBoxes, promptBoxes } from '../lib/fieldNames.ts';
import { requestKey, useRequest } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { useRecordedRun } from '../state/useRecordedRun.tsx';
import { ComponentTableView } from '../views/ComponentTableView.tsx';
import { metricOf, promptOf, useSweep, type Which } from './AblationPanel.tsx';
import { usePatching } from './PatchingPanel.tsx';

function useAttribution(session: Session, which: Which) {
  const prompt = promptOf(session, which);
  const body: AttributionRequest | null = prompt === null || !session.answer ? null : { model: session.model.id, prompt, answer: session.answer, ...(session.wrong ? { wrong: session.wrong } : {}) };
  return useRequest<AttributionResponse>(body && requestKey('attribution', body), (s) => namingBoxes(session.api.call('attribution', body!, undefined, s), promptBoxes(which)), { auto: true });
}

/** Each MLP layer ablated alone, one request per layer (the sweep covers heads only). */
function useMlpAblations(session: Session, which: Which) {
  const { model, state } = session;
  const prompt = promptOf(session, which);
  const body = prompt === null || model.config.attnOnly ? null : { model: model.id, prompt, mode: state.mode, ...metricOf(session) };
  return useRequest<(AblateResponse | undefined)[]>(body && requestKey('ablate-each-mlp', body), async (signal, onProgress) => {
    const out: AblateResponse[] = [];
    for (let layer = 0; layer < model.config.nLayers; layer++) {
      onProgress({ done: layer, total: model.config.nLayers });
      const request: AblateRequest = { ...body!, mlps: [layer] };
      out.push(await namingBoxes(session.api.call('ablate', request, undefined, signal), promptBoxes(which)));
    }
    return out;
  });
}

export function ComponentsPanel() {
  const session = useSession();
  const { model, state, update, clean } = session;
  const attribution = { clean: useAttribution(session, 'clean'), corrupted: useAttribution(session, 'corrupted') };
  const sweep = { clean: useSweep(session, 'clean'), corrupted: useSweep(session, 'corrupted') };
  const mlps = { clean: useMlpAblations(session, 'clean'), corrupted: useMlpAblations(session, 'corrupted') };
  const patching = usePatching(session, model.config.attnOnly ? ['z'] : ['z', 'mlp_out']);
  // Requests without a prompt (no corrupted one) have no key: starting them does nothing.
  const computeAll = useRecordedRun('components', [sweep.clean, sweep.corrupted, mlps.clean, mlps.corrupted, patching]);

  if (clean === null) return <Placeholder>Type a prompt above to fill the component table.</Placeholder>;
  const running = [
    ['head ablation sweep (clean)', sweep.clean],
    ['head ablation sweep (corrupted)', sweep.corrupted],
    ['MLP ablations (clean)', mlps.clean],
    ['MLP ablations (corrupted)', mlps.corrupted],
    ['patching', patching],
  ] as const;
  const failed = [['attribution (clean)', attribution.clean], ['attribution (corrupted)', attribution.corrupted], ...running] as const;
  return (
    <>
      <div className="toolbar">
        <button type="button" className="primary" onClick={computeAll.run} data-testid="components-compute">Compute ablation and patching effects</button>
        {!session.answer && <span className="status">set an answer token for DLA</span>}
        {session.corrupted === null && <span className="status">set a corrupted prompt (and answer + wrong) for the corrupted, Δ and patching columns</span>}
      </div>
      {running.map(([label, r]) => {
        if (r.cancelled) return <Cancelled key={label} what={label} />;
        if (r.status !== 'loading') return null;
        const cancel = () => {
          r.cancel();
          computeAll.unflag();
        };
        return <ProgressBar key={label} label={label} progress={r.progress} onCancel={cancel} />;
      })}
      {failed.map(([label, r]) => (r.error ? <ErrorBox key={label} error={`${label}: ${r.error}`} onRetry={() => r.start()} /> : null))}
      <ComponentTableView
        config={model.config}
        clean={{ attribution: attribution.clean.data, sweep: sweep.clean.data, mlpAblations: mlps.clean.data }}
        corrupted={{ attribution: attribution.corrupted.data, sweep: sweep.corrupted.data, mlpAblations: mlps.corrupted.data }}
        patching={patching.data}
        units={componentUnits(session)}
        sort={sortKey(state.sort)}
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
