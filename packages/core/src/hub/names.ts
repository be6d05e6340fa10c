/**
 * The one table of short model names, and how a name the user typed maps to a hub repository.
 *
 * A hub name is `ORG/NAME` (a whole Hugging Face checkpoint) or `ORG/NAME/PATH` (one file of a
 * repository, for llama2.c checkpoints, which are single .bin files), optionally `@REVISION`.
 */

/** A file in another repository that a checkpoint needs, e.g. the tokenizer of a llama2.c model. */
export interface HubFile {
  repo: string;
  file: string;
}

export interface HubTarget {
  /** `ORG/NAME` on the hub. */
  repo: string;
  /** For single-file checkpoints (llama2.c): the file to load, relative to the repo root. */
  file?: string;
  /** More files of the same repository to fetch with `file` (e.g. a tokenizer stored beside it). */
  extraFiles?: string[];
  /** A tokenizer kept in another repository. */
  tokenizer?: HubFile;
  /** Branch, tag or commit; undefined means `main`. */
  revision?: string;
}

/**
 * The Llama 2 tokenizer (32000 tokens) that the TinyStories llama2.c checkpoints use. llama2.c ships it
 * as tokenizer.bin in its GitHub repository, not in karpathy/tinyllamas (which holds only the
 * checkpoints and stories260K's own tok512.bin), so we fetch the same vocabulary in Hugging Face
 * tokenizer.json form from hf-internal-testing/llama-tokenizer, the Llama 2 tokenizer transformers tests
 * use. Not verified against the hub from here (no network): if that repository moves, pass
 * --tokenizer PATH to a llama2.c tokenizer.bin instead.
 */
const LLAMA2_TOKENIZER: HubFile = { repo: 'hf-internal-testing/llama-tokenizer', file: 'tokenizer.json' };

/** Short names accepted by `hooklens pull` and `--model` (matched case-insensitively). */
export const SHORT_NAMES: Readonly<Record<string, HubTarget>> = {
  gpt2: { repo: 'openai-community/gpt2' },
  'gpt2-medium': { repo: 'openai-community/gpt2-medium' },
  stories260K: { repo: 'karpathy/tinyllamas', file: 'stories260K/stories260K.bin', extraFiles: ['stories260K/tok512.bin'] },
  stories15M: { repo: 'karpathy/tinyllamas', file: 'stories15M.bin', tokenizer: LLAMA2_TOKENIZER },
  stories42M: { repo: 'karpathy/tinyllamas', file: 'stories42M.bin', tokenizer: LLAMA2_TOKENIZER },
  stories110M: { repo: 'karpathy/tinyllamas', file: 'stories110M.bin', tokenizer: LLAMA2_TOKENIZER },
  TinyLlama: { repo: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0' },
  SmolLM: { repo: 'HuggingFaceTB/SmolLM-135M' },
  'pythia-70m': { repo: 'EleutherAI/pythia-70m' },
  'pythia-160m': { repo: 'EleutherAI/pythia-160m' },
  'pythia-410m': { repo: 'EleutherAI/pythia-410m' },
  'pythia-1b': { repo: 'EleutherAI/pythia-1b' },
  'pythia-1.4b': { repo: 'EleutherAI/pythia-1.4b' },
  'phi-3-mini': { repo: 'microsoft/Phi-3-mini-4k-instruct' },
  'qwen3-0.6b': { repo: 'Qwen/Qwen3-0.6B' },
  'olmo-2-1b': { repo: 'allenai/OLMo-2-0425-1B' },
  'gemma-2-2b': { repo: 'google/gemma-2-2b' },
  'gemma-3-270m': { repo: 'google/gemma-3-270m' },
};

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A branch, tag or commit as git allows them (git check-ref-format, narrowed to the characters hub
 * revisions use): slash-separated components of [A-Za-z0-9._+-], none empty, none starting with "."
 * or "-", none ending with ".lock" or "."; no "..". A revision becomes a path under refs/, so this is
 * what keeps `--revision ../../x` from naming a file outside the cache.
 */
export function isValidRevision(revision: string): boolean {
  if (revision.length === 0 || revision.length > 255 || revision.includes('..')) return false;
  return revision.split('/').every((part) => /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/.test(part) && !part.endsWith('.lock') && !part.endsWith('.'));
}

/**
 * A file path inside a repository, as the hub's listing gives it, that is safe to use below a
 * snapshot directory: "/"-separated, no empty, "." or ".." component, no backslash or control
 * character.
 */
export function isSafeRepoPath(path: string): boolean {
  if (path.length === 0 || path.length > 1024 || /[\\\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** The short name table entry for `name`, ignoring case. */
export function shortName(name: string): { name: string; target: HubTarget } | undefined {
  const key = Object.keys(SHORT_NAMES).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : { name: key, target: SHORT_NAMES[key] };
}

/**
 * What `name` stands for on the hub: a short name, `ORG/NAME`, or `ORG/NAME/PATH/TO/FILE`, each with an
 * optional `@REVISION`; undefined when it is none of these (e.g. an absolute path).
 */
export function parseHubName(name: string): HubTarget | undefined {
  const at = name.lastIndexOf('@');
  const base = at > 0 ? name.slice(0, at) : name;
  const revision = at > 0 ? name.slice(at + 1) : undefined;
  if (revision !== undefined && !isValidRevision(revision)) return undefined;
  const short = shortName(base);
  if (short) return revision === undefined ? short.target : { ...short.target, revision };
  const parts = base.split('/');
  if (parts.length < 2 || !parts.every((part) => SEGMENT.test(part) && part !== '..' && part !== '.')) return undefined;
  const repo = `${parts[0]}/${parts[1]}`;
  const file = parts.length > 2 ? parts.slice(2).join('/') : undefined;
  return { repo, ...(file === undefined ? {} : { file }), ...(revision === undefined ? {} : { revision }) };
}

/** Short names whose checkpoint lives in `repo` (for listings). */
export function shortNamesFor(repo: string): string[] {
  return Object.entries(SHORT_NAMES).filter(([, target]) => target.repo === repo).map(([name]) => name);
}
