/** A prompt's tokens as chips: whitespace made visible, positions on hover, optional highlights, the words the model does not know marked. */
import type { UnknownToken } from '../../api/index.ts';
import { showWhitespace } from './Heatmap.tsx';

export interface TokenChipsProps {
  tokens: readonly string[];
  ids?: readonly number[];
  /** Positions drawn highlighted (e.g. where clean and corrupted prompts differ). */
  highlight?: ReadonlySet<number>;
  selected?: number | null;
  onSelect?: (position: number) => void;
  /** Positions the model reads as its unknown token (the API's `unknown`): drawn marked, the lost word on hover. */
  unknown?: readonly UnknownToken[];
  testId?: string;
}

export function TokenChips({ tokens, ids, highlight, selected, onSelect, unknown, testId }: TokenChipsProps) {
  const lost = new Map((unknown ?? []).map(({ position, text }) => [position, text]));
  return (
    <div className="token-chips" data-testid={testId}>
      {tokens.map((token, i) => {
        const word = lost.get(i);
        const cls = ['chip', highlight?.has(i) ? 'chip-diff' : '', selected === i ? 'chip-selected' : '', word !== undefined ? 'chip-unknown' : ''].join(' ').trim();
        const unknownNote = word === undefined ? '' : ` · not in the vocabulary${word ? `: ${JSON.stringify(word)}` : ''}, read as ${JSON.stringify(token)}`;
        const title = `position ${i}${ids ? ` · id ${ids[i]}` : ''} · ${JSON.stringify(token)}${unknownNote}`;
        const marks = word === undefined ? {} : { 'data-unknown': word };
        return onSelect ? (
          <button type="button" key={i} className={cls} title={title} onClick={() => onSelect(i)} {...marks}>
            <span className="chip-pos">{i}</span>{showWhitespace(token)}
          </button>
        ) : (
          <span key={i} className={cls} title={title} {...marks}>
            <span className="chip-pos">{i}</span>{showWhitespace(token)}
          </span>
        );
      })}
    </div>
  );
}

/** Positions where two token lists differ (and any position beyond the shorter one). */
export function tokenDiff(a: readonly string[], b: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.add(i);
  return out;
}

/** One line naming the words the model does not know, or null when it knows them all. */
export function UnknownWords({ unknown, model, testId }: { unknown: readonly UnknownToken[]; model: string; testId?: string }) {
  if (unknown.length === 0) return null;
  const words = unknown.map(({ position, text }) => (text ? `${JSON.stringify(text)} (${position})` : `position ${position}`)).join(', ');
  const count = unknown.length === 1 ? 'a word' : `${unknown.length} words`;
  return (
    <div className="status error unknown-words" role="status" data-testid={testId}>
      {model} does not know {count} of this prompt and reads {unknown.length === 1 ? 'it' : 'them'} as its unknown token: {words}. Results are for the prompt as read.
    </div>
  );
}
