/**
 * Errors that become HTTP answers. Handlers throw HttpError for what they detect themselves (the
 * body parser's errors become HttpErrors in body.ts); errorResponse() maps everything else: the
 * tools' own input errors are the client's fault (400), anything unexpected is a 500 with an id
 * that is also logged with its stack.
 */
import { randomBytes } from 'node:crypto';
import type { ErrorResponse } from '../api/index.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { field?: string; limit?: number } = {},
  ) {
    super(message);
  }
}

/** Errors @hooklens/core and @hooklens/hooks throw for bad input (names, not classes, to stay loosely coupled). */
const INPUT_ERRORS = new Set(['ToolInputError', 'TokensError', 'TokenizerError', 'UnknownHookError']);

export type Logger = (line: string) => void;

export function errorResponse(error: unknown, log: Logger): { status: number; body: ErrorResponse } {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message, ...error.extra } };
  // The tools' messages may name a file (a tokenizer's path): the client gets its base name only.
  if (error instanceof Error && INPUT_ERRORS.has(error.name)) return { status: 400, body: { error: withoutDirectories(error.message) } };
  const errorId = randomBytes(6).toString('hex');
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log(`hooklens serve: internal error ${errorId}: ${detail}`);
  return { status: 500, body: { error: `internal error (id ${errorId}; see the server log)`, errorId } };
}

/** Absolute paths (POSIX or Windows) in a text, reduced to their last part: '/home/a/tok512.bin: …' → 'tok512.bin: …'. */
export function withoutDirectories(text: string): string {
  return text.replace(/(^|[\s'"(=])(?:[A-Za-z]:)?[\\/](?:[^\s\\/'"()]+[\\/])+(?=[^\s\\/'"()]*)/g, '$1');
}
