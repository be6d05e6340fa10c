/**
 * The local-server protections (see src/server/security.ts), each checked by sending the
 * hostile request and seeing it refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, ModelRegistry } from '../../src/server/index.ts';
import { rawRequest, startTestServer } from './helpers.ts';
import type { TestServer } from './helpers.ts';

const RUN_BODY = JSON.stringify({ model: 'tiny-ids', prompt: [1, 2] });

describe('hooklens serve security (loopback, no token)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('answers its own loopback names: localhost, 127.0.0.1 and [::1] with its port', async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, `LOCALHOST:${server.port}`]) {
      expect((await rawRequest(server.port, { path: '/api/models', headers: { Host: host } })).status).toBe(200);
    }
  });

  it('refuses another Host (DNS rebinding), another port, or none → 403', async () => {
    for (const host of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1:${server.port + 1}`, '127.0.0.1', `localhost.evil.example:${server.port}`, `192.168.1.10:${server.port}`]) {
      const res = await rawRequest(server.port, { path: '/api/models', headers: { Host: host } });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body).error).toMatch(/DNS rebinding/);
    }
    // The page and POSTs too, not just the API's GETs.
    expect((await rawRequest(server.port, { path: '/', headers: { Host: 'evil.example' } })).status).toBe(403);
    const post = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { Host: `evil.example:${server.port}`, 'Content-Type': 'application/json' }, body: RUN_BODY });
    expect(post.status).toBe(403);
  });

  it('refuses POST and DELETE without Content-Type: application/json (a cross-site form or no-cors fetch) → 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { 'Content-Type': type }, body: RUN_BODY });
      expect(res.status, type).toBe(415);
    }
    expect((await rawRequest(server.port, { method: 'POST', path: '/api/run', body: RUN_BODY })).status).toBe(415);
    expect((await rawRequest(server.port, { method: 'DELETE', path: '/api/jobs/x' })).status).toBe(415);
    // With the right type it works (no Origin: curl and scripts are allowed).
    const ok = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: RUN_BODY });
    expect(ok.status).toBe(200);
  });

  it('refuses a cross-origin Origin on POST and DELETE (CSRF) → 403; its own origin is fine', async () => {
    for (const origin of ['http://evil.example', `http://localhost:${server.port + 1}`, 'null', `https://127.0.0.1:${server.port}`]) {
      const res = await server.post('/api/run', { model: 'tiny-ids', prompt: [1, 2] }, { Origin: origin });
      expect(res.status, origin).toBe(403);
      expect(res.body.error).toMatch(/Origin/);
    }
    for (const origin of ['http://evil.example', 'null']) {
      const del = await rawRequest(server.port, { method: 'DELETE', path: '/api/jobs/x', headers: { 'Content-Type': 'application/json', Origin: origin } });
      expect(del.status, origin).toBe(403);
    }
    const siteHeader = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' }, body: RUN_BODY });
    expect(siteHeader.status).toBe(403);
    const own = await server.post('/api/run', { model: 'tiny-ids', prompt: [1, 2] }, { Origin: server.base });
    expect(own.status).toBe(200);
    const ownLocalhost = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}`, 'Content-Type': 'application/json' }, body: RUN_BODY });
    expect(ownLocalhost.status).toBe(200);
  });

  it('grants no CORS: a cross-origin preflight gets no Access-Control-Allow-Origin', async () => {
    const res = await rawRequest(server.port, { method: 'OPTIONS', path: '/api/run', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('hooklens serve security (bound to another loopback address)', () => {
  it('answers its own printed URL on 127.0.0.2, and still refuses other names', async () => {
    const server = await startServer({ models: new ModelRegistry([], 'test'), host: '127.0.0.2', port: 0, log: () => {} });
    try {
      expect(server.url).toBe(`http://127.0.0.2:${server.port}/`);
      expect((await fetch(`${server.url}api/models`)).status).toBe(200);
      const post = await fetch(`${server.url}api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.2:${server.port}` }, body: RUN_BODY });
      // Past the Host and Origin checks: the empty registry does not know the model.
      expect(post.status).toBe(404);
      for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`]) {
        expect((await rawRequest(server.port, { address: '127.0.0.2', path: '/api/models', headers: { Host: host } })).status, host).toBe(200);
      }
      for (const host of [`127.0.0.3:${server.port}`, `127.0.0.2:${server.port + 1}`, `evil.example:${server.port}`]) {
        const res = await rawRequest(server.port, { address: '127.0.0.2', path: '/api/models', headers: { Host: host } });
        expect(res.status, host).toBe(403);
        expect(JSON.parse(res.body).error).toContain(`http://127.0.0.2:${server.port}`);
      }
    } finally {
      await server.close();
    }
  });
});

describe('hooklens serve security (token)', () => {
  const token = 'a'.repeat(8) + '0123456789abcdef';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ token });
  });
  afterAll(async () => server?.stop());

  it('refuses to start on a non-loopback address without a token, or with a short one', async () => {
    const models = new ModelRegistry([], 'test');
    await expect(startServer({ models, host: '0.0.0.0', port: 0 })).rejects.toThrow(/refusing to serve on 0\.0\.0\.0 .* without a token/);
    await expect(startServer({ models, host: '0.0.0.0', port: 0, token: 'short' })).rejects.toThrow(/at least 16 characters/);
  });

  it('refuses every request without the token → 401, page and API alike', async () => {
    for (const path of ['/api/models', '/', '/api/jobs']) {
      const res = await rawRequest(server.port, { path });
      expect(res.status, path).toBe(401);
    }
    const wrong = await rawRequest(server.port, { path: '/api/models', headers: { Authorization: `Bearer ${token.slice(0, -1)}x` } });
    expect(wrong.status).toBe(401);
    const post = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { 'Content-Type': 'application/json' }, body: RUN_BODY });
    expect(post.status).toBe(401);
    const wrongCookie = await rawRequest(server.port, { path: '/api/models', headers: { Cookie: 'hooklens_token=nope' } });
    expect(wrongCookie.status).toBe(401);
  });

  it('accepts Authorization: Bearer <token> on every request', async () => {
    expect((await server.get('/api/models')).status).toBe(200);
    expect((await server.post('/api/run', { model: 'tiny-ids', prompt: [1, 2] })).status).toBe(200);
  });

  it('?token= on the page sets an HttpOnly SameSite cookie and redirects to a clean URL; the cookie then works', async () => {
    const res = await rawRequest(server.port, { path: `/?token=${token}` });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/hooklens_token=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const pair = cookie.split(';')[0];
    expect((await rawRequest(server.port, { path: '/api/models', headers: { Cookie: pair } })).status).toBe(200);
    expect((await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { Cookie: pair, 'Content-Type': 'application/json' }, body: RUN_BODY })).status).toBe(200);
    // Still no cross-site POST, even with the cookie.
    const csrf = await rawRequest(server.port, { method: 'POST', path: '/api/run', headers: { Cookie: pair, 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: RUN_BODY });
    expect(csrf.status).toBe(403);
    // A wrong ?token= is refused.
    expect((await rawRequest(server.port, { path: '/?token=nope' })).status).toBe(401);
  });
});
