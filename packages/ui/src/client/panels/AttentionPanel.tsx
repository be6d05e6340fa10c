/** Fetches pattern thumbnails for every head, the selected head's full pattern, and head scores for the overlay. */
import type { AttentionRequest, AttentionResponse, HeadRef, HeadScoresResponse, Prompt } from '../../api/index.ts';
import { ErrorBox, Loading, Placeholder } from '../charts/Status.tsx';
import { namingBoxes, promptBoxes } from '../lib/fieldNames.ts';
import { thumbnailCells } from '../lib/thumbnails.ts';
import { usesCorrupted } from '../lib/runs.ts';
import { requestKey, useRequest } from '../state/requests.ts';
import { useSession, type Session } from '../state/session.tsx';
import { AttentionView } from '../views/AttentionView.tsx';
import { RunPicker } from './RunPicker.tsx';

function useAttention(session: Session, prompt: Prompt | null, which: 'clean' | 'corrupted', head: HeadRef | null | 'grid') {
  const { api, model } = session;
  const thumbnailSize = thumbnailCells(model.config.nLayers * model.config.nHeads);
  const body: AttentionRequest | null =
    prompt === null || head === null ? null : head === 'grid' ? { model: model.id, prompt, thumbnails: true, thumbnailSize } : { model: model.id, prompt, layer: head.layer, heads: [head.head] };
  return useRequest<AttentionResponse>(body && requestKey('attention', body), (s) => namingBoxes(api.call('attention', body!, undefined, s), promptBoxes(which)), { auto: true });
}

export function AttentionPanel() {
  const session = useSession();
  const { api, model, state, update, clean } = session;
  const head = state.head && state.head.layer < model.config.nLayers && state.head.head < model.config.nHeads ? state.head : null;
  const withCorrupted = usesCorrupted(state.run) ? session.corrupted : null;
  const grid = useAttention(session, clean, 'clean', 'grid');
  const detail = useAttention(session, clean, 'clean', head);
  const corruptedGrid = useAttention(session, withCorrupted, 'corrupted', 'grid');
  const corruptedDetail = useAttention(session, withCorrupted, 'corrupted', head);
  const scoresBody = state.overlay !== 'none' || head ? { model: model.id } : null;
  const scores = useRequest<HeadScoresResponse>(scoresBody && requestKey('headScores', scoresBody), (s) => api.call('headScores', scoresBody!, undefined, s), { auto: true });

  if (clean === null) return <Placeholder>Type a prompt above to see its attention patterns.</Placeholder>;
  const failed = [grid, corruptedGrid].find((r) => r.status === 'error');
  return (
    <>
      <RunPicker testId="attention-run" />
      {failed && <ErrorBox error={failed.error!} onRetry={() => failed.start()} />}
      {grid.data ? (
        <AttentionView
          attention={grid.data}
          corrupted={corruptedGrid.data}
          noCorrupted={session.corrupted === null ? 'enter a corrupted prompt to see its attention' : corruptedGrid.status === 'error' ? 'the corrupted run failed (see the error above)' : undefined}
          corruptedDetail={corruptedDetail.data}
          run={state.run}
          scores={scores.data}
          scoresState={{ loading: scores.status === 'loading', error: scores.error }}
          detail={detail.data}
          detailState={{ loading: detail.status === 'loading' || corruptedDetail.status === 'loading', error: detail.error ?? corruptedDetail.error }}
          selected={head}
          overlay={state.overlay}
          onSelect={(h) => update({ head: h })}
          onOverlay={(overlay) => update({ overlay })}
        />
      ) : (
        !failed && <Loading>loading attention patterns…</Loading>
      )}
    </>
  );
}
