/**
 * Attention: every layer's heads as small pattern thumbnails (optionally framed by a head
 * score: previous-token, induction, duplicate-token); click one for its full query × key
 * pattern with token labels. Shows the clean run, the corrupted one, clean − corrupted, or
 * all three side by side.
 */
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue, makeScale } from '../charts/colorScale.ts';
import { Heatmap, showWhitespace } from '../charts/Heatmap.tsx';
import { PatternGrid } from '../charts/PatternGrid.tsx';
import { ErrorBox, Loading, Placeholder } from '../charts/Status.tsx';
import type { AttentionResponse, HeadRef, HeadScoresResponse } from '../../api/index.ts';
import { matrixCsv } from '../lib/exportData.ts';
import { nestedDifference, PANEL_LABEL, panelsFor, panelTestId, type Panel } from '../lib/runs.ts';
import { OVERLAYS, type Overlay, type RunChoice } from '../state/viewState.ts';

export interface AttentionViewProps {
  /** /api/attention with thumbnails, for the clean prompt. */
  attention: AttentionResponse;
  /** The same for the corrupted prompt (every run choice but 'clean'). */
  corrupted?: AttentionResponse;
  /** Why there is no corrupted run (undefined while it loads). */
  noCorrupted?: string;
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

/** What one panel shows: a run's patterns, their difference, a sentence when it cannot, or undefined while loading. */
function pick(panel: Panel, clean: AttentionResponse | undefined, corrupted: AttentionResponse | undefined, noCorrupted: string | undefined): AttentionResponse | string | undefined {
  if (panel === 'clean') return clean;
  if (!corrupted) return noCorrupted;
  if (panel === 'corrupted') return corrupted;
  if (!clean) return undefined;
  if (clean.ids.length !== corrupted.ids.length) return `clean and corrupted prompts have different lengths (${clean.ids.length} vs ${corrupted.ids.length} tokens): no difference of patterns`;
  return {
    ...clean,
    patterns: clean.patterns && corrupted.patterns && nestedDifference(clean.patterns, corrupted.patterns),
    thumbnails: clean.thumbnails && corrupted.thumbnails && { size: clean.thumbnails.size, data: nestedDifference(clean.thumbnails.data, corrupted.thumbnails.data) },
  };
}

export function AttentionView(props: AttentionViewProps) {
  const { run, selected, overlay, scores, onOverlay } = props;
  const panels = panelsFor(run);
  const overlayValues = overlay !== 'none' && scores ? { name: OVERLAY_LABEL[overlay], values: scores[overlay] } : undefined;
  const side = run === 'side';
  return (
    <>
      <div className="toolbar">
        <label>
          head score
          <select value={overlay} onChange={(e) => onOverlay(e.target.value as Overlay)} data-testid="attention-overlay">
            {OVERLAYS.map((o) => <option key={o} value={o}>{OVERLAY_LABEL[o]}</option>)}
          </select>
        </label>
        {overlay !== 'none' && props.scoresState?.loading && <Loading>computing head scores…</Loading>}
        {overlay !== 'none' && scores && (
          <span className="status">Frame colour and number: {OVERLAY_LABEL[overlay]} on repeated random tokens ({scores.batch} × {scores.seqLen}).</span>
        )}
      </div>
      {overlay !== 'none' && props.scoresState?.error && <ErrorBox error={props.scoresState.error} />}
      <div className={side ? 'row compare' : 'row'}>
        {panels.map((panel) => (
          <GridPanel key={panel} panel={panel} shown={pick(panel, props.attention, props.corrupted, props.noCorrupted)} {...props} overlayValues={overlayValues} />
        ))}
        {!side && selected && <DetailPanel panel={panels[0]} {...props} />}
      </div>
      {side && selected && (
        <div className="row compare">
          {panels.map((panel) => <DetailPanel key={panel} panel={panel} {...props} />)}
        </div>
      )}
    </>
  );
}

function GridPanel({ panel, shown, run, selected, onSelect, overlayValues }: AttentionViewProps & { panel: Panel; shown: AttentionResponse | string | undefined; overlayValues?: { name: string; values: number[][] } }) {
  const side = run === 'side';
  const thumbs = typeof shown === 'object' ? shown.thumbnails : undefined;
  const tokens = typeof shown === 'object' ? shown.tokens : [];
  const signed = panel === 'diff';
  return (
    <ChartFrame
      testId={panelTestId('attention-grid', panel, run)}
      title={side ? `Attention — ${PANEL_LABEL[panel]}` : `Attention patterns — layers × heads (${PANEL_LABEL[panel]})`}
      caption={
        side && panel !== 'clean'
          ? panel === 'diff' ? 'Δ probability, clean − corrupted, scaled to the largest change in the grid.' : 'The corrupted prompt; same colours as clean.'
          : <>
              Each thumbnail is one head's pattern (rows: queries, columns: keys{thumbs && thumbs.size < tokens.length ? `, averaged down to ${thumbs.size}×${thumbs.size}` : ''}). Click one to open it.{signed ? ' Colours: Δ probability, scaled to the largest change in the grid.' : ''}
            </>
      }
      data={
        thumbs && {
          name: `attention-thumbnails-${panel}`,
          csv: () => [['layer', 'head', 'row', 'col', 'value'], ...thumbs.data.flatMap((heads, l) => heads.flatMap((p, h) => p.flatMap((r, q) => r.map((v, k) => [String(l), String(h), String(q), String(k), String(v)]))))],
          json: () => ({ run: panel, tokens, size: thumbs.size, data: thumbs.data, scores: overlayValues ?? null }),
        }
      }
    >
      {shown === undefined ? (
        <Loading>loading attention patterns…</Loading>
      ) : typeof shown === 'string' ? (
        <Placeholder>{shown}</Placeholder>
      ) : thumbs ? (
        <PatternGrid
          testId={panelTestId('pattern-grid', panel, run)}
          signed={signed}
          size={side ? 40 : 72}
          patterns={thumbs.data}
          // Head scores are the model's, not a run's: they frame the runs, not their difference.
          overlay={panel === 'diff' ? undefined : overlayValues}
          selected={selected}
          onSelect={(h) => onSelect(selected?.layer === h.layer && selected.head === h.head ? null : h)}
        />
      ) : (
        <Placeholder>no thumbnails in the response</Placeholder>
      )}
    </ChartFrame>
  );
}

function DetailPanel({ panel, run, selected, scores, detail, corruptedDetail, noCorrupted, detailState }: AttentionViewProps & { panel: Panel }) {
  if (!selected) return null;
  const shown = pick(panel, detail, corruptedDetail, noCorrupted);
  const pattern = typeof shown === 'object' ? shown.patterns?.[0] : undefined;
  const tokens = typeof shown === 'object' ? shown.tokens : [];
  const labels = tokens.map((t, i) => `${i} ${showWhitespace(t)}`);
  const signed = panel === 'diff';
  const side = run === 'side';
  const base = side ? 300 : 560;
  return (
    <ChartFrame
      testId={panelTestId('attention-detail', panel, run)}
      title={`L${selected.layer}H${selected.head} attention pattern (${PANEL_LABEL[panel]})`}
      caption={
        <>
          Row: the query token; column: the key token it attends to; colour: attention probability{signed ? ', clean − corrupted' : ''}.{signed ? ' Token labels: clean prompt.' : ''}
          {scores && !side ? ` Scores: previous-token ${formatValue(scores.previousToken[selected.layer]?.[selected.head] ?? NaN)}, induction ${formatValue(scores.induction[selected.layer]?.[selected.head] ?? NaN)}, duplicate-token ${formatValue(scores.duplicateToken[selected.layer]?.[selected.head] ?? NaN)}.` : ''}
        </>
      }
      data={
        pattern && {
          name: `attention-L${selected.layer}H${selected.head}-${panel}`,
          csv: () => matrixCsv({ rowLabels: labels, colLabels: labels, values: pattern }, 'query \\ key'),
          json: () => ({ run: panel, layer: selected.layer, head: selected.head, tokens, pattern }),
        }
      }
    >
      {detailState?.loading && <Loading>loading pattern…</Loading>}
      {detailState?.error && <ErrorBox error={detailState.error} />}
      {typeof shown === 'string' && <Placeholder>{shown}</Placeholder>}
      {pattern && (
        <Heatmap
          testId={panelTestId('pattern-heatmap', panel, run)}
          values={pattern}
          rowLabels={labels}
          colLabels={labels}
          scale={signed ? makeScale(pattern, { kind: 'diverging' }) : PROB_SCALE}
          legendLabel={signed ? 'Δ attention probability (clean − corrupted)' : 'attention probability'}
          rowAxisLabel="query"
          colAxisLabel="key"
          cellWidth={Math.max(side ? 12 : 16, Math.min(40, base / Math.max(1, labels.length)))}
          cellHeight={Math.max(side ? 12 : 14, Math.min(24, base / Math.max(1, labels.length)))}
          tooltip={({ row, col }) => (
            <div>
              <div className="tip-title">{JSON.stringify(tokens[row])} → {JSON.stringify(tokens[col])}</div>
              query {row}, key {col}: {formatValue(pattern[row][col], 4)}
            </div>
          )}
        />
      )}
    </ChartFrame>
  );
}
