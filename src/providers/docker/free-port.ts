/** @module providers/docker/free-port: asks the kernel for a free TCP port. */
import net from 'node:net';

/**
 * A TCP port that is free on `host` right now (listen on port 0, read the port, close). Another process may take it
 * before the caller binds it, so callers that publish it should be ready to pick again.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => {
        if (err) reject(err);
        else if (port > 0) resolve(port);
        else reject(new Error(`findFreePort: no port from ${String(address)}`));
      });
    });
  });
}
