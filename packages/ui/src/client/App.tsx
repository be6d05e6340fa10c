/** The dashboard shell: header, prompts, view tabs; the view state lives in the URL. */
import { useEffect, useMemo, useRef } from 'react';
import type { ModelsResponse } from '../api/index.ts';
import { ErrorBoundary } from './charts/ErrorBoundary.tsx';
import { ErrorBox, Loading } from './charts/Status.tsx';
import { createApiClient } from './lib/api.ts';
import { exampleView, landingView } from './lib/landing.ts';
import { toPrompt } from './lib/prompt.ts';
import { AblationPanel } from './panels/AblationPanel.tsx';
import { AttentionPanel } from './panels/AttentionPanel.tsx';
import { ComponentsPanel } from './panels/ComponentsPanel.tsx';
import { ExperimentPanel } from './panels/ExperimentPanel.tsx';
import { LensPanel } from './panels/LensPanel.tsx';
import { PatchingPanel } from './panels/PatchingPanel.tsx';
import { PromptPanel } from './panels/PromptPanel.tsx';
import { requestKey, useRequest } from './state/requests.ts';
import { SessionContext, useDebounced, type Session } from './state/session.tsx';
import { useViewState } from './state/useViewState.tsx';
import type { ViewName } from './state/viewState.ts';
import { Header } from './views/Header.tsx';

const api = createApiClient();

const TABS: [ViewName, string][] = [
  ['lens', 'Logit lens'],
  ['attention', 'Attention'],
  ['ablation', 'Head ablation'],
  ['patching', 'Activation patching'],
  ['components', 'Component table'],
];

export function App() {
  const [state, update] = useViewState();
  const models = useRequest<ModelsResponse>(requestKey('models', null), (s) => api.call('models', undefined, undefined, s), { auto: true });
  const list = models.data?.models ?? [];
  const model = list.find((m) => m.id === state.model) ?? list[0] ?? null;
  const example = model?.example;
  // Once the models are known: a page opened without any state starts on the first model's worked example.
  const landed = useRef(false);
  useEffect(() => {
    if (landed.current || !models.data) return;
    landed.current = true;
    const landing = landingView(window.location.search, models.data.models);
    if (landing) update(landing);
  }, [models.data, update]);
  const prompt = useDebounced(state.prompt, 350);
  const corrupted = useDebounced(state.corrupted, 350);
  const answer = useDebounced(state.answer, 350);
  const wrong = useDebounced(state.wrong, 350);

  const session = useMemo((): Session | null => {
    if (!model) return null;
    return {
      api,
      model,
      state,
      update,
      clean: toPrompt(prompt, model.hasTokenizer),
      corrupted: toPrompt(corrupted, model.hasTokenizer),
      answer: answer || undefined,
      wrong: wrong || undefined,
    };
  }, [model, state, update, prompt, corrupted, answer, wrong]);

  return (
    <div className="app">
      <Header models={list} backend={models.data?.backend ?? ''} model={model} onModel={(id) => update({ model: id })} />
      {models.status === 'error' && <main><ErrorBox error={`cannot list models: ${models.error}`} onRetry={() => models.start()} /></main>}
      {models.status === 'loading' && <main><Loading>connecting to the hooklens server…</Loading></main>}
      {models.data && !model && <main><ErrorBox error="the server has no models loaded (start it with --model PATH)" /></main>}
      {session && (
        <SessionContext.Provider value={session}>
          <ErrorBoundary resetKey={model?.id}>
            <PromptPanel />
          </ErrorBoundary>
          {model && example && (
            <div className="example-note" role="note" data-testid="example-note">
              {state.prompt === example.prompt ? (
                <>Worked example for {model.id}: {example.about}. Edit the prompts, or pick another view, to explore.</>
              ) : (
                <button type="button" onClick={() => update(exampleView(model.id, example))} data-testid="example-open">
                  Open the worked example for {model.id}
                </button>
              )}
            </div>
          )}
          <nav className="tabs" role="tablist">
            {TABS.map(([view, label]) => (
              <button key={view} type="button" role="tab" aria-selected={state.view === view} className={state.view === view ? 'active' : ''} onClick={() => update({ view })} data-testid={`tab-${view}`}>
                {label}
              </button>
            ))}
            <ExperimentPanel models={list} />
          </nav>
          <main data-testid={`view-${state.view}`}>
            <ErrorBoundary resetKey={`${model?.id} ${state.view}`}>
              {state.view === 'lens' && <LensPanel />}
              {state.view === 'attention' && <AttentionPanel />}
              {state.view === 'ablation' && <AblationPanel />}
              {state.view === 'patching' && <PatchingPanel />}
              {state.view === 'components' && <ComponentsPanel />}
            </ErrorBoundary>
          </main>
        </SessionContext.Provider>
      )}
    </div>
  );
}
