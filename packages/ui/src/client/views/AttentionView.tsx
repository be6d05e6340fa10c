/**
 * Attention: every layer's heads as small pattern thumbnails (optionally tinted by a head
 * score: previous-token, induction, duplicate-token); click one for its full query × key
 * pattern with token labels.
 */
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue, makeScale } from '../charts/colorScale.ts';
import { Heatmap, showWhitespace } from '../charts/Heatmap.tsx';
import { PatternGrid } from '../charts/PatternGrid.tsx';
import { ErrorBox, Loading, Placeholder } from '../charts/Status.tsx';
import type { AttentionResponse, HeadRef, HeadScoresResponse } from '../../api/index.ts';
import { matrixCsv } from '../lib/exportData.ts';
import { OVERLAYS, type Overlay, type RunChoice } from '../state/viewState.ts';

export interface AttentionViewProps {
  /** /api/attention with thumbnails, for the clean prompt. */
  attention: AttentionResponse;
  /** The same for the corrupted prompt (run 'corrupted' and 'diff'). */
  corrupted?: AttentionResponse;
  corruptedDetail?: AttentionResponse;
  run: RunChoice;
  /** /api/head-scores, when an overlay is on. */
  scores?: HeadScoresResponse;
  scoresState?: { loading: boolean; error?: string };
  /** /api/attention for the selected head's layer and head. */
  detail?: AttentionResponse;
  detailState?: { loading: boolean; error?: string };
  selected: HeadRef | null;
  overlay: Overlay;
  onSelect: (head: HeadRef | null) => void;
  onOverlay: (overlay: Overlay) => void;
}

const OVERLAY_LABEL: Record<Overlay, string> = {
  none: 'none',
  previousToken: 'previous-token score',
  induction: 'induction score',
  duplicateToken: 'duplicate-token score',
};

const PROB_SCALE = makeScale([[0, 1]], { kind: 'sequential', domain: [0, 1] });


/** a − b, element by element, for equally shaped nested arrays of numbers. */
function subtract<T>(a: T, b: T): T {
  return (Array.isArray(a) ? a.map((x, i) => subtract(x, (b as unknown[])[i])) : (a as number) - (b as number)) as T;
}

/** The patterns the chosen run shows: clean, corrupted, or their difference; a sentence when it cannot. */
function pick(run: RunChoice, clean: AttentionResponse | undefined, corrupted: AttentionResponse | undefined): AttentionResponse | string | undefined {
  if (run === 'clean') return clean;
  if (!corrupted) return run === 'diff' && !clean ? undefined : 'enter a corrupted prompt to see its attention';
  if (run === 'corrupted') return corrupted;
  if (!clean) return undefined;
  if (clean.ids.length !== corrupted.ids.length) return `clean and corrupted prompts have different lengths (${clean.ids.length} vs ${corrupted.ids.length} tokens): no difference of patterns`;
  return {
    ...clean,
    patterns: clean.patterns && corrupted.patterns && subtract(clean.patterns, corrupted.patterns),
    thumbnails: clean.thumbnails && corrupted.thumbnails && { size: clean.thumbnails.size, data: subtract(clean.thumbnails.data, corrupted.thumbnails.data) },
  };
}

export function AttentionView({ attention, corrupted, corruptedDetail, run, scores, scoresState, detail: cleanDetail, detailState, selected, overlay, onSelect, onOverlay }: AttentionViewProps) {
  const shown = pick(run, attention, corrupted);
  const detailPick = pick(run, cleanDetail, corruptedDetail);
  if (typeof shown === 'string') return <Placeholder>{shown}</Placeholder>;
  if (!shown) return <Loading>loading attention patterns…</Loading>;
  const detail = typeof detailPick === 'string' ? undefined : detailPick;
  const signed = run === 'diff';
  const thumbs = shown.thumbnails;
  const overlayValues = overlay !== 'none' && scores ? { name: OVERLAY_LABEL[overlay], values: scores[overlay] } : undefined;
  const pattern = detail?.patterns?.[0];
  const tokens = detail?.tokens ?? shown.tokens;
  const runLabel = run === 'diff' ? 'clean − corrupted' : run;
  const labels = tokens.map((t, i) => `${i} ${showWhitespace(t)}`);
  return (
    <div className="row">
      <ChartFrame
        testId="attention-grid"
        title={`Attention patterns — layers × heads (${runLabel})`}
        caption={
          <>
            Each thumbnail is one head's pattern (rows: queries, columns: keys{thumbs && thumbs.size < tokens.length ? `, averaged down to ${thumbs.size}×${thumbs.size}` : ''}). Click one to open it.{signed ? ' Colours: Δ probability, scaled to the largest change in the grid.' : ''}
            {overlayValues ? ` Frame colour and number: ${overlayValues.name} on repeated random tokens (${scores?.batch} × ${scores?.seqLen}).` : ''}
          </>
        }
        controls={
          <label>
            head score
            <select value={overlay} onChange={(e) => onOverlay(e.target.value as Overlay)} data-testid="attention-overlay">
              {OVERLAYS.map((o) => <option key={o} value={o}>{OVERLAY_LABEL[o]}</option>)}
            </select>
          </label>
        }
        data={
          thumbs && {
            name: 'attention-thumbnails',
            csv: () => [['layer', 'head', 'row', 'col', 'value'], ...thumbs.data.flatMap((heads, l) => heads.flatMap((p, h) => p.flatMap((r, q) => r.map((v, k) => [String(l), String(h), String(q), String(k), String(v)]))))],
            json: () => ({ tokens, size: thumbs.size, data: thumbs.data, scores: overlayValues ?? null }),
          }
        }
      >
        {overlay !== 'none' && scoresState?.loading && <Loading>computing head scores…</Loading>}
        {overlay !== 'none' && scoresState?.error && <ErrorBox error={scoresState.error} />}
        {thumbs ? (
          <PatternGrid testId="pattern-grid" signed={signed} patterns={thumbs.data} overlay={overlayValues} selected={selected} onSelect={(h) => onSelect(selected?.layer === h.layer && selected.head === h.head ? null : h)} />
        ) : (
          <Placeholder>no thumbnails in the response</Placeholder>
        )}
      </ChartFrame>
      {selected && (
        <ChartFrame
          testId="attention-detail"
          title={`L${selected.layer}H${selected.head} attention pattern (${runLabel})`}
          caption={
            <>
              Row: the query token; column: the key token it attends to; colour: attention probability{signed ? ', clean − corrupted' : ''}.{run !== 'clean' && corrupted ? ` Token labels: ${run === 'diff' ? 'clean' : 'corrupted'} prompt.` : ''}
              {scores ? ` Scores: previous-token ${formatValue(scores.previousToken[selected.layer]?.[selected.head] ?? NaN)}, induction ${formatValue(scores.induction[selected.layer]?.[selected.head] ?? NaN)}, duplicate-token ${formatValue(scores.duplicateToken[selected.layer]?.[selected.head] ?? NaN)}.` : ''}
            </>
          }
          data={
            pattern && {
              name: `attention-L${selected.layer}H${selected.head}`,
              csv: () => matrixCsv({ rowLabels: labels, colLabels: labels, values: pattern }, 'query \\ key'),
              json: () => ({ layer: selected.layer, head: selected.head, tokens, pattern }),
            }
          }
        >
          {detailState?.loading && <Loading>loading pattern…</Loading>}
          {detailState?.error && <ErrorBox error={detailState.error} />}
          {pattern && (
            <Heatmap
              testId="pattern-heatmap"
              values={pattern}
              rowLabels={labels}
              colLabels={labels}
              scale={signed ? makeScale(pattern, { kind: 'diverging' }) : PROB_SCALE}
              legendLabel={signed ? 'Δ attention probability (clean − corrupted)' : 'attention probability'}
              rowAxisLabel="query"
              colAxisLabel="key"
              cellWidth={Math.max(16, Math.min(40, 640 / Math.max(1, labels.length)))}
              cellHeight={Math.max(14, Math.min(24, 640 / Math.max(1, labels.length)))}
              tooltip={({ row, col }) => (
                <div>
                  <div className="tip-title">{JSON.stringify(tokens[row])} → {JSON.stringify(tokens[col])}</div>
                  query {row}, key {col}: {formatValue(pattern[row][col], 4)}
                </div>
              )}
            />
          )}
        </ChartFrame>
      )}
    </div>
  );
}
