/**
 * @module test/integration/providers/exec-stdin — exec with a stream on standard input against the real host engine:
 * a container of the host's static busybox counts 1 MiB of input (so the write side was closed: EOF reached), writes
 * to stderr and exits 3; the output is split by stream and the exit code read back.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { execWithInput } from '../../../src/docker-api/exec-stdin.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { importBusybox, WORKLOAD_IMAGE } from '../../helpers/cluster-engine.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });

describe('execWithInput on the host engine', () => {
  let id: string;

  before(async () => {
    await importBusybox(host);
    const name = `magnetar-exec-test-${randomBytes(4).toString('hex')}`;
    id = (await host.createContainer(name, { Image: WORKLOAD_IMAGE, Cmd: ['/bin/busybox', 'sleep', '600'] })).Id;
    await host.startContainer(id);
  });

  after(async () => {
    if (id) await host.removeContainer(id);
    await host.removeImage(WORKLOAD_IMAGE);
    host.close();
  });

  it('feeds the input, closes it, and returns stdout, stderr and the exit code', async () => {
    const input = Readable.from([Buffer.alloc(512 * 1024, 1), Buffer.alloc(512 * 1024, 2)]);
    const r = await execWithInput(
      host,
      id,
      ['/bin/busybox', 'sh', '-c', '/bin/busybox wc -c; echo oops >&2; exit 3'],
      input,
      60_000,
    );
    assert.deepEqual(r, { exitCode: 3, stdout: '1048576\n', stderr: 'oops\n' });
  });

  it('rejects for a container that does not exist', async () => {
    await assert.rejects(
      execWithInput(host, 'no-such-container-x', ['true'], Readable.from([])),
      /404|no such container/i,
    );
  });
});
