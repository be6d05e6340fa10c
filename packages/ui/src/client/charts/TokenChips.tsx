/** A prompt's tokens as chips: whitespace made visible, positions on hover, optional highlights. */
import { showWhitespace } from './Heatmap.tsx';

export interface TokenChipsProps {
  tokens: readonly string[];
  ids?: readonly number[];
  /** Positions drawn highlighted (e.g. where clean and corrupted prompts differ). */
  highlight?: ReadonlySet<number>;
  selected?: number | null;
  onSelect?: (position: number) => void;
  testId?: string;
}

export function TokenChips({ tokens, ids, highlight, selected, onSelect, testId }: TokenChipsProps) {
  return (
    <div className="token-chips" data-testid={testId}>
      {tokens.map((token, i) => {
        const cls = ['chip', highlight?.has(i) ? 'chip-diff' : '', selected === i ? 'chip-selected' : ''].join(' ').trim();
        const title = `position ${i}${ids ? ` · id ${ids[i]}` : ''} · ${JSON.stringify(token)}`;
        return onSelect ? (
          <button type="button" key={i} className={cls} title={title} onClick={() => onSelect(i)}>
            <span className="chip-pos">{i}</span>{showWhitespace(token)}
          </button>
        ) : (
          <span key={i} className={cls} title={title}>
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
