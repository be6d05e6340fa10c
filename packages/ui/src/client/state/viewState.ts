/**
 * The whole dashboard state as URL query parameters, so a link reproduces a view: model,
 * prompts, tokens, the open view and its choices. Parsing never fails: a bad or missing
 * parameter falls back to its default. Serialising writes only what differs from the
 * defaults, so links stay short. Pure (no DOM) so it is tested in Node.
 */
import { z } from 'zod';
import type { PatchKind } from '../../api/index.ts';

export const VIEWS = ['lens', 'attention', 'ablation', 'patching', 'components'] as const;
export type ViewName = (typeof VIEWS)[number];

/** What the logit-lens cells are coloured by. */
export const LENS_STATS = ['top', 'target', 'rank', 'entropy', 'kl', 'logitdiff'] as const;
export type LensStat = (typeof LENS_STATS)[number];

/**
 * Which run a view shows: the clean prompt, the corrupted one, clean − corrupted, or all
 * three next to each other ('side'). One choice shared by every view that compares runs.
 */
export const RUNS = ['clean', 'corrupted', 'diff', 'side'] as const;
export type RunChoice = (typeof RUNS)[number];

export const OVERLAYS = ['none', 'previousToken', 'induction', 'duplicateToken'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Patching kinds the dashboard offers: the API's, less the 3-D *_by_pos ones. */
export const PATCH_VIEW_KINDS = ['resid_pre', 'resid_mid', 'attn_out', 'mlp_out', 'z', 'q', 'k', 'v', 'pattern'] as const satisfies readonly PatchKind[];
export type PatchViewKind = (typeof PATCH_VIEW_KINDS)[number];

/**
 * Computations started by a button (too slow to rerun on every keystroke) whose results the
 * view shows: recorded so a link reruns them. ablate: the chosen heads ablated together;
 * sweep: every head alone; patch: the patching view's job; components: the table's ablation
 * and patching runs. Which inputs each depends on is in state/ranFlags.ts.
 */
export const COMPUTATIONS = ['ablate', 'sweep', 'patch', 'components'] as const;
export type Computation = (typeof COMPUTATIONS)[number];

const headList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((h) => /^(\d+)\.(\d+)$/.exec(h.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ layer: Number(m[1]), head: Number(m[2]) })),
  );
/** A comma list of computation names, unknown ones dropped, in COMPUTATIONS order (one spelling per set). */
const computations = z.string().transform((s) => {
  const named = new Set(s.split(',').map((c) => c.trim()));
  return COMPUTATIONS.filter((c) => named.has(c));
});
const cell = z.string().transform((s) => {
  const m = /^(\d+),(\d+)$/.exec(s);
  return m ? { row: Number(m[1]), col: Number(m[2]) } : null;
});
const head = z.string().transform((s) => {
  const m = /^(\d+)\.(\d+)$/.exec(s);
  return m ? { layer: Number(m[1]), head: Number(m[2]) } : null;
});

const schema = z.object({
  model: z.string().catch(''),
  view: z.enum(VIEWS).catch('lens'),
  prompt: z.string().catch(''),
  corrupted: z.string().catch(''),
  answer: z.string().catch(''),
  wrong: z.string().catch(''),
  /** Logit lens: colour statistic, which run, the clicked cell. */
  stat: z.enum(LENS_STATS).catch('top'),
  run: z.enum(RUNS).catch('clean'),
  lensCell: cell.catch(null),
  /** Attention: the open head and the score overlay. */
  head: head.catch(null),
  overlay: z.enum(OVERLAYS).catch('none'),
  /** Ablation: heads chosen, and how. */
  ablate: headList.catch([]),
  mode: z.enum(['zero', 'mean']).catch('zero'),
  /** Which sweep result colours the ablation grid (the logit difference needs answer + wrong). */
  sweepShows: z.enum(['metric', 'loss']).catch('metric'),
  /** Patching: what is patched, and the clicked cell. */
  patch: z.enum(PATCH_VIEW_KINDS).catch('resid_pre'),
  patchCell: cell.catch(null),
  /** Component table sort (a column key of lib/componentRows.ts; an unknown one falls back there). */
  sort: z.string().catch('dlaClean'),
  desc: z.enum(['0', '1']).transform((v) => v === '1').catch(true),
  /** The button-started computations whose results the view shows, for the inputs above. */
  ran: computations.catch([]),
});

export type ViewState = z.output<typeof schema>;

export const DEFAULT_STATE: ViewState = schema.parse({});

/** Reads state from a query string ('?a=b&…' or 'a=b&…'). */
export function parseViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const raw: Record<string, string> = {};
  for (const [k, v] of params) raw[k] = v;
  return schema.parse(raw);
}

function encode(key: keyof ViewState, value: ViewState[keyof ViewState]): string {
  if (key === 'ablate') return (value as ViewState['ablate']).map((h) => `${h.layer}.${h.head}`).join(',');
  if (key === 'head') return value ? `${(value as { layer: number }).layer}.${(value as { head: number }).head}` : '';
  if (key === 'lensCell' || key === 'patchCell') return value ? `${(value as { row: number }).row},${(value as { col: number }).col}` : '';
  if (key === 'desc') return value ? '1' : '0';
  if (key === 'ran') return COMPUTATIONS.filter((c) => (value as ViewState['ran']).includes(c)).join(',');
  return String(value);
}

/** Query string (with leading '?', or '' when everything is default) for a state. */
export function serializeViewState(state: ViewState): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULT_STATE) as (keyof ViewState)[]) {
    const value = encode(key, state[key]);
    if (value !== encode(key, DEFAULT_STATE[key])) params.set(key, value);
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}
