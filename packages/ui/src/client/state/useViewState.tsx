/** The view state, read from and written to the page URL (replaceState: typing does not flood history). */
import { useCallback, useEffect, useRef, useState } from 'react';
import { applyViewPatch } from './ranFlags.ts';
import { parseViewState, serializeViewState, type ViewState } from './viewState.ts';

export type UpdateViewState = (patch: Partial<ViewState>) => void;

export function useViewState(): [ViewState, UpdateViewState] {
  const [state, setState] = useState(() => parseViewState(window.location.search));
  const current = useRef(state);
  useEffect(() => {
    const onPop = () => {
      current.current = parseViewState(window.location.search);
      setState(current.current);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const update = useCallback<UpdateViewState>((patch) => {
    const prev = current.current;
    // A computation's flag goes when its inputs change: the URL never claims a result for other inputs.
    const next = applyViewPatch(prev, patch);
    current.current = next;
    const url = `${window.location.pathname}${serializeViewState(next)}${window.location.hash}`;
    // A new view is a history entry (Back returns to it); everything else edits the current one.
    if (patch.view !== undefined && patch.view !== prev.view) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    setState(next);
  }, []);
  return [state, update];
}
