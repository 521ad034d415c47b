import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudConfigError, renderRuncmd, renderUserData } from '../../../src/providers/cloud-config.ts';
import { payloadArchive, payloadFiles } from '../../../src/providers/docker/payload.ts';
import { machineState } from '../../../src/providers/docker/provider.ts';
import { readTar } from '../../../src/core/tar.ts';
import {
  daemonJson,
  dockerNodeConfig,
  dockerNodeUserData,
} from '../../../src/drivers/local-common/docker-node-payload.ts';

void describe('payloadArchive (how the local provider delivers user-data)', () => {
  const userData = renderUserData({
    write_files: [
      { path: '/etc/a/key.pem', content: 'k', permissions: '0600' },
      { path: '/home/u/file', content: 'u', owner: '1000:100' },
      { path: '/bin/blob', content: 'AAEC', encoding: 'b64' },
    ],
    runcmd: [['echo', "it's"], 'true'],
  });

  void it('holds every write_files entry with its mode and owner, the raw user-data and the rendered runcmd', () => {
    const entries = readTar(payloadArchive(userData));
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.mode.toString(8), e.uid, e.gid]),
      [
        ['etc/a/key.pem', 'file', '600', 0, 0],
        ['home/u/file', 'file', '644', 1000, 100],
        ['bin/blob', 'file', '644', 0, 0],
        ['var/lib/cloud/seed/nocloud/user-data', 'file', '600', 0, 0],
        ['var/lib/cloud/instance/scripts/runcmd', 'file', '700', 0, 0],
      ],
      'no directory entries: existing directories keep their modes',
    );
    const byPath = new Map(entries.map((e) => [e.path, e.content]));
    assert.deepEqual([...(byPath.get('bin/blob') ?? [])], [0, 1, 2]);
    assert.equal(byPath.get('var/lib/cloud/seed/nocloud/user-data')?.toString(), userData);
    assert.equal(
      byPath.get('var/lib/cloud/instance/scripts/runcmd')?.toString(),
      renderRuncmd([['echo', "it's"], 'true']),
    );
  });

  void it('writes no runcmd script when the payload has none', () => {
    const files = payloadFiles(renderUserData({ write_files: [{ path: '/x', content: '' }] }));
    assert.deepEqual(
      files.map((f) => f.path),
      ['/x', '/var/lib/cloud/seed/nocloud/user-data'],
    );
  });

  void it('refuses user-data outside the subset', () => {
    assert.throws(() => payloadArchive('#cloud-config\nbootcmd: [x]\n'), CloudConfigError);
    assert.throws(() => payloadArchive('not cloud-config'), CloudConfigError);
  });
});

void describe('the Docker-engine node payload (swarm and docker drivers)', () => {
  const input = { caPem: 'CA', certPem: 'CERT', keyPem: 'KEY', dns: ['10.0.0.2'], tlsDisabled: false };

  void it('writes daemon.json, the TLS files (key 0600) and the dockerd service, then starts the supervisor', () => {
    const c = dockerNodeConfig(input);
    assert.deepEqual(
      c.write_files?.map((f) => [f.path, f.permissions]),
      [
        ['/etc/docker/daemon.json', '0644'],
        ['/etc/docker/tls/ca.pem', '0644'],
        ['/etc/docker/tls/server-cert.pem', '0644'],
        ['/etc/docker/tls/server-key.pem', '0600'],
        ['/etc/magnetar/services/10-dockerd', '0755'],
      ],
    );
    assert.equal(c.write_files?.[4]?.content, "#!/bin/sh\nexec '/usr/sbin/dockerd'\n");
    assert.deepEqual(c.runcmd, [['/usr/local/sbin/magnetar-supervise', 'start']]);
    const daemon = JSON.parse(daemonJson(input)) as Record<string, unknown>;
    assert.equal(daemon.tlsverify, true);
    assert.deepEqual(daemon.dns, ['10.0.0.2']);
    assert.deepEqual(daemon.hosts, ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2376']);
    assert.match(dockerNodeUserData(input), /^#cloud-config\n/);
  });

  void it('switches TLS off explicitly for TLS-disabled clusters and leaves dns out when none is known', () => {
    const daemon = JSON.parse(daemonJson({ dns: [], tlsDisabled: true })) as Record<string, unknown>;
    assert.equal(daemon.tls, false);
    assert.equal('tlsverify' in daemon, false);
    assert.equal('dns' in daemon, false);
  });
});

void describe('machineState', () => {
  void it('maps Docker container states to the contract', () => {
    assert.deepEqual(['running', 'restarting', 'paused', 'exited', 'created', 'dead', 'removing'].map(machineState), [
      'running',
      'pending',
      'paused',
      'stopped',
      'failed',
      'failed',
      'failed',
    ]);
  });
});
