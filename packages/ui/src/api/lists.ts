/**
 * Every list a request may carry is built here, so that none is unbounded: a request of a few
 * kilobytes must not be able to ask for millions of cells (a `heads` list repeating one index
 * 400 times did). A list is either a set of indices (at most `max` entries, each at most once:
 * a repeat is a 400 naming both places) or a sequence whose repeats mean something (a prompt's
 * token ids; at most `max` entries). LIST_BOUNDS records each, and a test walks every request
 * schema in ROUTES to check that each array in it came from here.
 */
import { z } from 'zod';

export interface ListBound {
  maxItems: number;
  /** 'rejected' for sets of indices; 'allowed' for sequences such as token ids. */
  duplicates: 'rejected' | 'allowed';
}

/** The lists built by the helpers below, with their bounds. */
export const LIST_BOUNDS = z.registry<ListBound>();

/** Token ids in one prompt: more than any model's context (which the server checks per model: 413). */
export const MAX_PROMPT_TOKENS = 131_072;
/** Layer or head indices in one list: more than any model has (the server checks the range per model). */
export const MAX_INDEX_LIST = 1024;
/** { layer, head } pairs in one list. */
export const MAX_HEAD_REFS = 16_384;

export interface ListOptions {
  max: number;
  /** Fewest entries (default 0). */
  min?: number;
}

function boundedArray<T extends z.ZodType>(item: T, { max, min = 0 }: ListOptions) {
  const list = z.array(item).max(max, `at most ${max} entries`);
  return min > 0 ? list.min(min, `at least ${min} ${min === 1 ? 'entry' : 'entries'}`) : list;
}

/** A sequence of up to `max` items, in order, repeats allowed. */
export function sequence<T extends z.ZodType>(item: T, options: ListOptions) {
  const list = boundedArray(item, options);
  list.register(LIST_BOUNDS, { maxItems: options.max, duplicates: 'allowed' });
  return list;
}

/**
 * A set given as a list: up to `max` items, none twice (`key` says when two are the same; by
 * default the value itself). A repeat is an error at the repeat's index naming the first one.
 */
export function uniqueList<T extends z.ZodType>(item: T, options: ListOptions & { key?: (value: z.infer<T>) => unknown }) {
  const key = options.key ?? ((value: z.infer<T>) => value);
  const list = boundedArray(item, options).superRefine((values, ctx) => {
      const seen = new Map<unknown, number>();
      values.forEach((value, index) => {
        const k = key(value);
        const first = seen.get(k);
        if (first === undefined) seen.set(k, index);
        else ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(value)} is already listed at index ${first}; each entry may appear once` });
      });
    });
  list.register(LIST_BOUNDS, { maxItems: options.max, duplicates: 'rejected' });
  return list;
}
