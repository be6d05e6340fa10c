/**
 * Starting and stopping a server: what `hooklens serve` and the tests both call.
 * Binding to anything but a loopback address needs a token (see security.ts).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createApp } from './app.ts';
import type { App, AppOptions } from './app.ts';
import { isLoopbackAddress } from './security.ts';
import { DEFAULT_HOST, DEFAULT_PORT, MIN_TOKEN_LENGTH } from './defaults.ts';

export { DEFAULT_HOST, DEFAULT_PORT, MIN_TOKEN_LENGTH };

export interface ServeOptions extends AppOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningServer extends App {
  server: Server;
  host: string;
  port: number;
  /** The address to open: http://127.0.0.1:PORT/ (with ?token=… when a token is required). */
  url: string;
  /**
   * Stops listening, cancels the jobs (a running one stops at its next batch), refuses the model
   * calls still waiting (503), closes open connections (event streams), and resolves once the
   * model call or batch running now has finished: then no model code runs any more.
   */
  close(): Promise<void>;
}

/** A new random token, as `hooklens serve` prints for non-loopback addresses. */
export function generateToken(): string {
  return randomBytes(24).toString('hex');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  if (!isLoopbackAddress(host)) {
    if (!options.token) throw new Error(`refusing to serve on ${host} (reachable from other machines) without a token`);
    if (options.token.length < MIN_TOKEN_LENGTH) throw new Error(`the token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  const built = createApp(options);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = built.app.listen(options.port ?? DEFAULT_PORT, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
    listening.once('error', reject);
  });
  // A model call blocks the event loop (a second or more on a busy machine). Node's 5 s keep-alive
  // timer, expiring during such a block, would close a connection a client is reusing at that very
  // moment (ECONNRESET): idle connections are kept longer instead, headers still due within 66 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = (server.address() as AddressInfo).port;
  const shown = host === '::1' ? '[::1]' : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shown}:${port}/${options.token ? `?token=${options.token}` : ''}`;
  return {
    ...built,
    server,
    host,
    port,
    url,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Abort the jobs first (synchronously), so a job giving way is not resumed by the queue's refusal.
      const jobsStopped = built.jobs.cancelAll();
      const idle = built.queue.close();
      server.closeAllConnections();
      await Promise.all([jobsStopped, idle, closed]);
    },
  };
}
