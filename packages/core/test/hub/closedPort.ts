import { createServer } from 'node:net';

/** A loopback port nothing listens on (a hub that cannot be reached, refused at once rather than hanging). */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
