/**
 * Errors that become HTTP answers. Handlers throw HttpError for what they detect themselves;
 * errorResponse() maps everything else: the tools' own input errors are the client's fault
 * (400), anything unexpected is a 500 with an id that is also logged.
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
  if (error instanceof Error && INPUT_ERRORS.has(error.name)) return { status: 400, body: { error: error.message } };
  // express.json()'s errors carry their status (400 bad JSON, 413 too large).
  const status = (error as { status?: unknown; type?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof (error as { type?: unknown }).type === 'string') {
    const message = status === 413 ? 'request body is larger than the 1 MB limit' : `request body is not valid JSON: ${(error as Error).message}`;
    return { status, body: { error: message } };
  }
  const errorId = randomBytes(6).toString('hex');
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log(`hooklens serve: internal error ${errorId}: ${detail}`);
  return { status: 500, body: { error: `internal error (id ${errorId}; see the server log)`, errorId } };
}
