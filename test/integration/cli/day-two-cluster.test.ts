/**
 * The `magnetar` day-two commands on a real cluster: `bin/magnetar` processes against `magnetar serve` (SQLite, free
 * port, conductor on, local Docker provider) create a swarm of one master and one worker, then resize it (also
 * removing a named node), add, change and delete a node group, upgrade it, update it with a JSON PATCH, try a CA
 * rotation, and delete it with `--wait` — checking the printed timelines, the tables and the node containers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { parseProperties, parseTable, pemBlocks } from '../../helpers/real-clients.ts';
import { cli, getJson, REPO, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });

/** The label every node container carries with its cluster's UUID. */
const CLUSTER_LABEL = 'magnetar.cluster';

/** Names of the cluster's node containers, sorted. */
async function nodeNames(uuid: string): Promise<string[]> {
  const list = await host.listContainers([`${CLUSTER_LABEL}=${uuid}`]);
  return list.map((c) => (c.Names[0] ?? '').replace(/^\//, '')).sort();
}

/** The timeline lines `--wait` printed: `<time> <LEVEL> [<phase>] <message>`, as [phase, message]. */
function timeline(out: string): [string, string][] {
  return [...out.matchAll(/^\S+ [A-Z]+ \[([^\]]+)\] (.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']);
}

describe('magnetar day-two commands on a real swarm cluster', () => {
  let dir: string;
  let svc: ServeProcess;
  let uuid = '';

  async function ok(args: string[]): Promise<string> {
    const r = await cli(svc.url, args, 300_000);
    assert.equal(r.code, 0, `magnetar ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-cli-cluster-'));
    svc = await startServe(join(dir, 'state'));
    for (const name of ['cl-tmpl', 'cl-next']) {
      await ok([
        'cluster-template-create',
        name,
        '--coe',
        'swarm',
        '--image',
        'magnetar/node:bookworm',
        '--server-type',
        'container',
      ]);
    }
    const out = await ok([
      'cluster-create',
      'day2',
      '--cluster-template',
      'cl-tmpl',
      '--master-count',
      '1',
      '--node-count',
      '1',
      '--wait',
    ]);
    uuid = /Request to create cluster ([0-9a-f-]{36}) has been accepted\./.exec(out)?.[1] ?? '';
    assert.match(out, /status: CREATE_COMPLETE$/m);
  });

  after(async () => {
    if (svc && uuid && (await getJson(`${svc.url}/v1/clusters/${uuid}`)).status === 200) {
      await fetch(`${svc.url}/v1/clusters/${uuid}`, { method: 'DELETE' });
      await waitCluster(svc.url, uuid, (_s, code) => code === 404).catch(() => undefined);
    }
    await svc?.stop();
    await rm(dir, { recursive: true, force: true });
    await host.close();
  });

  it('cluster-resize --wait adds a worker and prints the change as it happens', async () => {
    const out = await ok(['cluster-resize', 'day2', '2', '--wait']);
    assert.match(out, /^Request to resize cluster day2 has been accepted\.$/m);
    const events = timeline(out);
    assert.deepEqual(events[0], ['accepted', 'resize accepted (default-worker to 2 nodes)']);
    assert.ok(
      events.some(([phase, message]) => phase === 'nodes' && /^node day2-node-1 .* started/.test(message)),
      out,
    );
    assert.deepEqual(events.at(-1), ['complete', 'cluster updated (resize)']);
    assert.match(out, new RegExp(`^Cluster ${uuid} status: UPDATE_COMPLETE$`, 'm'));
    assert.deepEqual(await nodeNames(uuid), [
      `magnetar-${uuid}-master-0`,
      `magnetar-${uuid}-node-0`,
      `magnetar-${uuid}-node-1`,
    ]);
    const workers = parseTable(await ok(['nodegroup-list', 'day2', '--role', 'worker']));
    assert.deepEqual(
      workers.map((w) => [w.name, w.node_count, w.status]),
      [['default-worker', '2', 'UPDATE_COMPLETE']],
    );
  });

  it('cluster-resize --nodes-to-remove removes the named node', async () => {
    const out = await ok(['cluster-resize', 'day2', '1', '--nodes-to-remove', 'day2-node-0', '--wait']);
    assert.match(out, /status: UPDATE_COMPLETE$/m);
    assert.deepEqual(await nodeNames(uuid), [`magnetar-${uuid}-master-0`, `magnetar-${uuid}-node-1`]);
    const shown = JSON.parse(await ok(['cluster-show', 'day2', '-f', 'json'])) as Record<string, unknown>;
    assert.equal(shown.node_count, 1);
  });

  it('nodegroup-create, -update, -show and -delete manage an extra group of nodes', async () => {
    const created = await ok(['nodegroup-create', 'day2', 'extra', '--node-count', '1', '--max-nodes', '3', '--wait']);
    const ngUuid = /^Request to create nodegroup ([0-9a-f-]{36}) accepted$/m.exec(created)?.[1];
    assert.ok(ngUuid, created);
    assert.deepEqual(timeline(created)[0], ['accepted', 'nodegroup extra create accepted (1 nodes)']);
    assert.match(created, /status: UPDATE_COMPLETE$/m);
    assert.equal((await nodeNames(uuid)).length, 3);

    const groups = parseTable(await ok(['nodegroup-list', 'day2']));
    assert.deepEqual(
      groups.map((g) => [g.name, g.node_count, g.role]),
      [
        ['default-master', '1', 'master'],
        ['default-worker', '1', 'worker'],
        ['extra', '1', 'worker'],
      ],
    );
    assert.equal(groups.find((g) => g.name === 'extra')?.uuid, ngUuid);
    assert.equal(groups.find((g) => g.name === 'extra')?.status, 'CREATE_COMPLETE');

    assert.equal(
      await ok(['nodegroup-update', 'day2', 'extra', 'replace', 'max_node_count=5']),
      'Request to update nodegroup extra has been accepted.\n',
    );
    const shown = parseProperties(await ok(['nodegroup-show', 'day2', 'extra']));
    assert.equal(shown.max_node_count, '5');
    assert.equal(shown.min_node_count, '0');
    assert.equal(shown.is_default, 'False');
    assert.match(shown.node_addresses ?? '', /^\['10\.\d+\.\d+\.\d+'\]$/);

    const tooBig = await cli(svc.url, ['cluster-resize', 'day2', '6', '--nodegroup', 'extra']);
    assert.equal(tooBig.code, 1);
    assert.match(tooBig.stderr, /^ERROR: .*max_node_count.* \(HTTP 400\)/);

    const deleted = await ok(['nodegroup-delete', 'day2', 'extra', '--wait']);
    assert.match(deleted, /^Request to delete nodegroup extra has been accepted\.$/m);
    assert.ok(
      timeline(deleted).some(([phase]) => phase === 'scale-in'),
      deleted,
    );
    assert.match(deleted, /status: UPDATE_COMPLETE$/m);
    assert.deepEqual(
      parseTable(await ok(['nodegroup-list', 'day2'])).map((g) => g.name),
      ['default-master', 'default-worker'],
    );
    assert.equal((await nodeNames(uuid)).length, 2);
  });

  it('cluster-upgrade --wait moves the cluster to another template', async () => {
    const next = parseProperties(await ok(['cluster-template-show', 'cl-next'])).uuid;
    const out = await ok(['cluster-upgrade', 'day2', 'cl-next', '--max-batch-size', '1', '--wait']);
    assert.match(out, /^Request to upgrade cluster day2 has been accepted\.$/m);
    assert.deepEqual(timeline(out)[0], ['accepted', 'upgrade accepted (cluster to template cl-next)']);
    assert.match(out, /status: UPDATE_COMPLETE$/m);
    assert.equal((await ok(['cluster-show', 'day2', '-f', 'value'])).split('\n').includes(next ?? '-'), true);
    assert.equal(parseProperties(await ok(['cluster-show', 'day2'])).cluster_template_id, next);
  });

  it('cluster-update --wait applies a JSON PATCH to the node count', async () => {
    const out = await ok(['cluster-update', 'day2', 'replace', 'node_count=2', '--wait']);
    assert.match(out, /^Request to update cluster day2 has been accepted\.$/m);
    assert.match(out, /status: UPDATE_COMPLETE$/m);
    assert.equal((await nodeNames(uuid)).length, 3);
    assert.equal(parseTable(await ok(['cluster-list']))[0]?.node_count, '2');
  });

  it('ca-rotate gives the API’s answer for a swarm cluster and leaves the CA as it was', async () => {
    const [before] = pemBlocks(await ok(['ca-show', 'day2']));
    const r = await cli(svc.url, ['ca-rotate', '--cluster', 'day2']);
    const [afterPem] = pemBlocks(await ok(['ca-show', 'day2']));
    if (r.code === 0) {
      // a driver that declares rotate-ca: the rotation is queued and a new CA replaces the old one
      assert.equal(r.stdout, 'Request to rotate the CA certificate for cluster day2 has been accepted.\n');
      await waitCluster(svc.url, uuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.notEqual(pemBlocks(await ok(['ca-show', 'day2']))[0], before);
    } else {
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^ERROR: Rotating the CA certificate is not supported for cluster with cluster_distro: debian\. \(HTTP 400\)/,
      );
      assert.equal(afterPem, before);
    }
  });

  let deleteOutput = '';

  it('cluster-delete --wait prints the teardown timeline and ends with the cluster deleted', async () => {
    const out = await ok(['cluster-delete', 'day2', '--wait']);
    deleteOutput = out;
    const lines = out.trim().split('\n');
    assert.equal(lines[0], 'Request to delete cluster day2 has been accepted.');
    assert.deepEqual(timeline(out)[0], ['accepted', 'delete accepted']);
    assert.equal(lines.at(-1), `Cluster ${uuid} has been deleted.`);
    assert.deepEqual(await nodeNames(uuid), []);
    assert.equal((await getJson(`${svc.url}/v1/clusters/${uuid}`)).status, 404);
    const gone = await cli(svc.url, ['cluster-show', 'day2']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^ERROR: Cluster day2 could not be found\. \(HTTP 404\)/);
  });

  it('cluster-delete --wait shows the teardown step (removed machines, volumes, networks)', () => {
    assert.ok(
      timeline(deleteOutput).some(([phase, message]) => phase === 'teardown' && /^removed \d+ machines/.test(message)),
      deleteOutput,
    );
  });
});
