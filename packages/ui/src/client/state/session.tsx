/**
 * What every panel needs: the API client, the chosen model, the view state (URL) and the
 * prompts as the API takes them. Provided once by App.
 */
import { createContext, useContext, useEffect, useState } from 'react';
import type { ModelSummary, Prompt } from '../../api/index.ts';
import type { ApiClient } from '../lib/api.ts';
import type { UpdateViewState } from './useViewState.tsx';
import type { ViewState } from './viewState.ts';

export interface Session {
  api: ApiClient;
  model: ModelSummary;
  state: ViewState;
  update: UpdateViewState;
  /** The prompts as sent (debounced while typing); null when empty or unparsable. */
  clean: Prompt | null;
  corrupted: Prompt | null;
  /** Answer / wrong tokens as typed ('#id' or one-token text); undefined when empty. */
  answer?: string;
  wrong?: string;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a SessionContext');
  return session;
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
