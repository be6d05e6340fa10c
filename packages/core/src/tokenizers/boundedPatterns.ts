/**
 * Regular expressions written in a tokenizer.json (Split pre-tokenizers, Replace normalizers,
 * pre-tokenizers and decoders with a `{"Regex": …}` pattern) are untrusted: one that backtracks
 * catastrophically, e.g. `(a+)+$` on sixty "a" and a "!", would freeze the process on a short
 * input. @huggingface/tokenizers compiles them to RegExps it keeps on each component as `pattern`
 * and uses only through String match / matchAll / split / replaceAll; `boundFilePatterns` swaps
 * each for a BoundedRegExp whose matching runs on a worker under a time budget (regexWorker.ts), so
 * a pathological input becomes a TokenizerError naming the file, the component and the pattern.
 * Built-in patterns (ByteLevel's, Whitespace's, …) are the library's own and stay as they are.
 */
import { RegexTimeout, runRegexJob } from './regexWorker.ts';
import { TokenizerError } from './types.ts';

/** How long one use of a file's pattern may take: a base plus a (generous) allowance per character. */
export interface RegexBudget {
  baseMs: number;
  perCharMs: number;
}

/** Legitimate patterns take well under 0.1 µs per character; this allows 1 µs, and 2 s on top. */
export const DEFAULT_REGEX_BUDGET: RegexBudget = { baseMs: 2000, perCharMs: 0.001 };

class BoundedRegExp extends RegExp {
  constructor(
    compiled: RegExp,
    private readonly where: string,
    /** The pattern as the file writes it (the library rewrites some Oniguruma syntax). */
    private readonly filePattern: string,
    private readonly budget: RegexBudget,
  ) {
    super(compiled.source, compiled.flags);
  }

  private run<T>(text: string, job: (budgetMs: number) => T): T {
    const budgetMs = Math.ceil(this.budget.baseMs + text.length * this.budget.perCharMs);
    try {
      return job(budgetMs);
    } catch (error) {
      if (!(error instanceof RegexTimeout)) throw error;
      const pattern = this.filePattern.length > 80 ? `${this.filePattern.slice(0, 80)}…` : this.filePattern;
      throw new TokenizerError(
        `${this.where} pattern /${pattern}/ did not finish within ${budgetMs} ms on a ${text.length}-character text ` +
        '(it backtracks catastrophically on this input); fix or replace the tokenizer file',
      );
    }
  }

  /** [start, end] pairs of every match and its groups, as matchAll would find them. */
  private spans(text: string): { spans: Int32Array; stride: number } {
    const spans = this.run(text, (budgetMs) => runRegexJob({ op: 'indices', source: this.source, flags: this.flags, text }, budgetMs));
    return { spans, stride: 2 * (captureCount(this.source, this.flags) + 1) };
  }

  override [Symbol.match](text: string): RegExpMatchArray | null {
    if (!this.global) return super[Symbol.match](String(text)); // never used by the library, kept exact
    const { spans, stride } = this.spans(String(text));
    if (spans.length === 0) return null;
    const found: string[] = [];
    for (let i = 0; i < spans.length; i += stride) found.push(text.slice(spans[i], spans[i + 1]));
    return found as RegExpMatchArray;
  }

  override *[Symbol.matchAll](text: string): RegExpStringIterator<RegExpExecArray> {
    const input = String(text);
    const { spans, stride } = this.spans(input);
    for (let i = 0; i < spans.length; i += stride) {
      const match: string[] = [];
      for (let g = i; g < i + stride; g += 2) match.push(spans[g] < 0 ? (undefined as unknown as string) : input.slice(spans[g], spans[g + 1]));
      yield Object.assign(match, { index: spans[i], input, groups: undefined }) as RegExpExecArray;
    }
  }

  override [Symbol.split](text: string, limit?: number): string[] {
    const input = String(text);
    return this.run(input, (budgetMs) => runRegexJob({ op: 'split', source: this.source, flags: this.flags, text: input, ...(limit === undefined ? {} : { limit }) }, budgetMs));
  }

  override [Symbol.replace](text: string, replacement: string | ((substring: string, ...args: unknown[]) => string)): string {
    if (typeof replacement !== 'string') throw new TypeError('a bounded tokenizer pattern takes only string replacements');
    const input = String(text);
    return this.run(input, (budgetMs) => runRegexJob({ op: 'replace', source: this.source, flags: this.flags, text: input, replacement }, budgetMs));
  }
}

/** How many capturing groups `source` has (what `new RegExp(source + '|').exec('')` reports). */
const captureCounts = new Map<string, number>();
function captureCount(source: string, flags: string): number {
  const key = `${flags}/${source}`;
  let count = captureCounts.get(key);
  if (count === undefined) {
    // An empty alternative matches '' at once, whatever the pattern; the result has one slot per group.
    count = new RegExp(`${source}|`, flags.replace(/[gy]/g, '')).exec('')!.length - 1;
    captureCounts.set(key, count);
  }
  return count;
}

// Where the library keeps the sub-components of a Sequence, and what the file calls that list.
const CHILD_LISTS = [['normalizers', 'normalizers'], ['tokenizers', 'pretokenizers'], ['processors', 'processors'], ['decoders', 'decoders']] as const;

interface Component {
  config?: { type?: unknown; pattern?: { Regex?: unknown } };
  pattern?: unknown;
  [key: string]: unknown;
}

/**
 * Replaces, on the components of a loaded @huggingface/tokenizers Tokenizer, every RegExp compiled
 * from a `{"Regex": …}` pattern of the file with a BoundedRegExp. `source` names the file in errors.
 */
export function boundFilePatterns(tokenizer: object, source: string, budget: RegexBudget = DEFAULT_REGEX_BUDGET): number {
  let bounded = 0;
  const visit = (component: unknown, where: string, depth: number): void => {
    // The library's components are callable: functions carrying the component's fields.
    if (component === null || (typeof component !== 'object' && typeof component !== 'function') || depth > 16) return;
    const c = component as Component;
    if (c.pattern instanceof RegExp && !(c.pattern instanceof BoundedRegExp) && typeof c.config?.pattern?.Regex === 'string') {
      const type = typeof c.config.type === 'string' ? ` (${c.config.type})` : '';
      c.pattern = new BoundedRegExp(c.pattern, `${source}: ${where}${type}`, c.config.pattern.Regex, budget);
      bounded++;
    }
    for (const [key, fileKey] of CHILD_LISTS) {
      const children = c[key];
      if (Array.isArray(children)) children.forEach((child, i) => visit(child, `${where}.${fileKey}[${i}]`, depth + 1));
    }
  };
  const t = tokenizer as Record<string, unknown>;
  for (const root of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) visit(t[root], root, 0);
  return bounded;
}
