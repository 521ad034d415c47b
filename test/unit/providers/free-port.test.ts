import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { findFreePort } from '../../../src/providers/docker/free-port.ts';

void describe('findFreePort', () => {
  void it('returns a port on 127.0.0.1 that can be bound right away', async () => {
    const port = await findFreePort();
    assert.ok(port > 0 && port < 65536);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
