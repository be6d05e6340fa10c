/**
 * Deadlines for talking to a hub. Node's fetch waits up to 300 s for response headers and forever
 * between body chunks, so a hub that accepts the connection and then says nothing would hold a pull
 * that long. `fetchWithTimeouts` wraps a fetch so that a request fails with a HubTimeout naming the
 * host when no answer (connection and headers) arrives within `timeoutMs`, or when the body then
 * stays silent for `timeoutMs` while it is being read.
 */
import { HubTimeout, hubHost } from './errors.ts';

export const DEFAULT_HUB_TIMEOUT_MS = 30_000;

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function requestHost(input: Parameters<typeof fetch>[0]): string {
  const url = input instanceof Request ? input.url : String(input);
  return hubHost(url);
}

export function fetchWithTimeouts(base: typeof fetch, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const host = requestHost(input);
    const controller = new AbortController();
    const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    const answerTimer = setTimeout(() => controller.abort(new HubTimeout(`${host} did not answer within ${seconds(timeoutMs)}`)), timeoutMs);
    let response: Response;
    try {
      response = await base(input, { ...init, signal });
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(answerTimer);
    }
    if (response.body === null) return response;

    const reader = response.body.getReader();
    // The idle clock runs only while a read waits on the hub, never while our consumer is busy.
    const watched = new ReadableStream<Uint8Array>({
      async pull(out) {
        const idleTimer = setTimeout(() => controller.abort(new HubTimeout(`${host} sent no data for ${seconds(timeoutMs)}`)), timeoutMs);
        try {
          const { done, value } = await reader.read();
          if (done) out.close();
          else out.enqueue(value);
        } catch (error) {
          out.error(controller.signal.aborted ? controller.signal.reason : error);
        } finally {
          clearTimeout(idleTimer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    const wrapped = new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
    // The hub client reads the final URL (after redirects) to know where a file's bytes live.
    Object.defineProperty(wrapped, 'url', { value: response.url });
    Object.defineProperty(wrapped, 'redirected', { value: response.redirected });
    return wrapped;
  };
}
