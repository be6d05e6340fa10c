/**
 * The protections of a local research server (the Jupyter / TensorBoard bar):
 *
 * - DNS rebinding: a loopback server answers only requests whose Host is its own loopback
 *   name (localhost, 127.0.0.1, [::1], or the address it is bound to, such as 127.0.0.2, with
 *   its port); a page on evil.example whose name resolves to 127.0.0.1 sends Host: evil.example
 *   and is refused (403).
 * - CSRF: POST and DELETE must say Content-Type: application/json (415 otherwise) — a form
 *   or a no-cors fetch cannot, and a cross-site fetch that does needs a CORS preflight, which
 *   this server never grants; and when an Origin header is present it must be the server's
 *   own origin (403; so is the opaque origin `null` of sandboxed frames and file: pages). A
 *   missing Origin is allowed, as Jupyter's check_origin does: browsers send Origin on every
 *   cross-origin request and on every POST/DELETE a page makes (fetch, XHR or form, same-origin
 *   included), so a request without one does not come from a web page — it is curl or a script,
 *   which could send any Origin it liked anyway.
 * - A server bound to a non-loopback address needs a token on every request: the
 *   `Authorization: Bearer <token>` header, or `?token=<token>` once on the page, which sets an
 *   HttpOnly SameSite=Strict cookie. There the Host check is off (the server may be reached under any
 *   name), the token is what keeps other sites and hosts out.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { TOKEN_COOKIE } from '../api/index.ts';
import { HttpError } from './httpError.ts';

/** Host names every loopback server answers to, besides the address it is bound to. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether binding to `host` keeps the server on this machine. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface SecurityOptions {
  /** Required on every request when set (non-loopback servers). */
  token?: string;
}

/** Refuses requests from anywhere but this machine's own pages and tools; see the file comment. */
export function securityMiddleware({ token }: SecurityOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!token) checkHost(req);
    else if (!authorised(req, res, token)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') checkStateChanging(req);
    next();
  };
}

function checkHost(req: Request): void {
  const host = req.headers.host;
  const port = req.socket.localPort;
  // The address the connection came in on is the one the server is bound to (say 127.0.0.2):
  // its own printed URL names it. A rebinding page's Host is a domain name, never this address.
  const bound = hostName(req.socket.localAddress ?? '127.0.0.1');
  const match = host === undefined ? null : /^(\[[^\]]*\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  const ownName = match !== null && (LOOPBACK_HOSTS.has(match[1]) || match[1] === bound);
  const allowed = ownName && (match[2] === undefined ? port === 80 : Number(match[2]) === port);
  if (!allowed) {
    throw new HttpError(403, `refused: Host '${host ?? ''}' is not this server's own address (http://${bound}:${port}); this protects against DNS rebinding`);
  }
}

/** An address as it appears in a Host header: IPv6 in brackets. */
function hostName(address: string): string {
  return address.includes(':') ? `[${address.toLowerCase()}]` : address;
}

function checkStateChanging(req: Request): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, `${req.method} requests need Content-Type: application/json (got '${type || 'none'}')`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host}`) {
    throw new HttpError(403, `refused: Origin '${origin}' is not this server's own origin`);
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new HttpError(403, 'refused: cross-site request');
}

/** Checks the token (header, cookie or ?token=); a page opened with ?token= gets the cookie and a clean URL. */
function authorised(req: Request, res: Response, token: string): boolean {
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
  const query = typeof req.query.token === 'string' ? req.query.token : undefined;
  if (bearer !== undefined ? sameSecret(bearer, token) : cookie !== undefined && sameSecret(cookie, token)) return true;
  if (query !== undefined && sameSecret(query, token) && req.method === 'GET') {
    res.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/' });
    if (req.path.startsWith('/api/')) return true;
    const url = new URL(req.originalUrl, 'http://x');
    url.searchParams.delete('token');
    res.redirect(302, url.pathname + url.search);
    return false;
  }
  throw new HttpError(401, 'this server needs its token: send Authorization: Bearer <token>, or open the URL with ?token=<token> printed at start');
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
