import { HubApiError } from '@huggingface/hub';

/** A pull or a hub-name lookup that failed; the message is one line naming the model, file or host. */
export class HubError extends Error {
  override name = 'HubError';
}

/** A hub that went silent (see timeouts.ts); the message names the host and the deadline. */
export class HubTimeout extends HubError {
  override name = 'HubTimeout';
}

/** The `host[:port]` of a hub URL, for messages. */
export function hubHost(hubUrl: string): string {
  try {
    return new URL(hubUrl).host;
  } catch {
    return hubUrl;
  }
}

/**
 * A one-line HubError for a failure talking to the hub: "cannot reach HOST (ENOTFOUND)" when no
 * connection could be made, the hub's own message for an HTTP error. `what` names the request.
 */
export function hubFailure(error: unknown, hubUrl: string, what: string): Error {
  if (error instanceof HubTimeout) return new HubError(`${what}: ${error.message}`);
  if (error instanceof HubError) return error;
  const host = hubHost(hubUrl);
  if (error instanceof HubApiError) {
    // The library appends ". URL: …. Request ID: …"; the status and the hub's own words are enough.
    const said = error.message.replace(/\.?\s*URL: .*$/s, '').trim();
    const hint = error.statusCode === 401 || error.statusCode === 403 || error.statusCode === 404
      ? ' (check the name; private or gated repositories need HF_TOKEN)'
      : '';
    return new HubError(`${what}: ${host} answered HTTP ${error.statusCode}${said ? `: ${said}` : ''}${hint}`);
  }
  const code = networkCode(error);
  if (code !== undefined) return new HubError(`cannot reach ${host} (${code})`);
  return error instanceof Error ? error : new Error(String(error));
}

/** The errno-like code of a failed fetch (ENOTFOUND, ECONNREFUSED, …), if that is what `error` is. */
function networkCode(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  let cause: unknown = error.cause;
  // undici nests AggregateErrors (one per address tried) under the cause.
  while (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const c = cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof c?.code === 'string') return c.code;
  if (typeof c?.message === 'string') return c.message;
  return 'network error';
}

/** Why a body stream stopped early, in a few words ("other side closed", "ECONNRESET"). */
export function streamFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
