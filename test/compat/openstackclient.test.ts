/**
 * Debian's python3-openstackclient (`openstack coe …` through python-magnumclient's OSC plugin, token/endpoint auth with
 * keystoneauth's admin_token plugin) against a real `magnetar serve`, on SQLite and on PostgreSQL: every `coe` command
 * — templates, clusters (resize, upgrade, config), node groups, CA, quotas, stats, services — with its output parsed.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyAndCsr } from '../../src/certs/x509.ts';
import { Engine } from '../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../src/providers/contract.ts';
import { engineFromConfig } from '../helpers/cluster-engine.ts';
import {
  openstack,
  parseProperties,
  parseTable,
  pemBlocks,
  startClientTarget,
  type ClientTarget,
} from '../helpers/real-clients.ts';
import { getJson, REPO, waitCluster } from '../helpers/service-process.ts';

const host = new Engine({ socketPath: '/var/run/docker.sock' });

before(() =>
  buildNodeImage(host, { repo: 'magnetar/node', tag: 'bookworm', scriptsDir: join(REPO, 'scripts'), ifMissing: true }),
);
after(() => host.close());

/** Runs `openstack coe …` and fails the test on a non-zero exit. */
async function coe(url: string, args: string[]): Promise<string> {
  const r = await openstack(url, ['coe', ...args]);
  assert.equal(r.code, 0, `openstack coe ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const nodeContainers = async (uuid: string): Promise<number> =>
  (await host.listContainers([`${CLUSTER_LABEL}=${uuid}`])).length;

/** Polls a node group (microversion latest) until `done(status, code)`. */
async function waitNodegroup(
  url: string,
  cluster: string,
  ng: string,
  done: (s: string | undefined, code: number) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await getJson(`${url}/v1/clusters/${cluster}/nodegroups/${ng}`);
    if (done(r.body.status as string | undefined, r.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`nodegroup ${ng}: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

for (const database of ['SQLite', 'PostgreSQL'] as const) {
  describe(`openstack coe against magnetar serve on ${database}`, () => {
    let target: ClientTarget;
    let dir: string;
    let url: string;
    let clusterUuid: string;
    let templateUuid: string;

    before(async () => {
      target = await startClientTarget(database, 'magnetar_osc');
      ({ url, dir } = target);
    });

    after(() => target?.close());

    it('coe cluster template create, list, show, update and delete', async () => {
      const out = await coe(url, [
        'cluster',
        'template',
        'create',
        'oc-tmpl',
        '--coe',
        'swarm',
        '--image',
        'magnetar/node:bookworm',
        '--external-network',
        'public',
        '--server-type',
        'container',
        '--flavor',
        'm1.small',
        '--labels',
        'swarm_strategy=spread',
        '--tags',
        'blue,green',
      ]);
      assert.match(out, /Request to create cluster template oc-tmpl accepted/);
      const created = parseProperties(out);
      templateUuid = created.uuid ?? '';
      assert.match(templateUuid, /^[0-9a-f-]{36}$/);
      assert.equal(created.name, 'oc-tmpl');
      assert.equal(created.coe, 'swarm');
      assert.equal(created.server_type, 'container');
      assert.equal(created.flavor_id, 'm1.small');
      assert.equal(created.docker_storage_driver, 'overlay2');
      assert.equal(created.labels, "{'swarm_strategy': 'spread'}");
      assert.deepEqual(created.tags?.split(',').sort(), ['blue', 'green'], 'the client sends a set of tags');
      assert.equal(created.public, 'False');

      await coe(url, [
        'cluster',
        'template',
        'create',
        'oc-next',
        '--coe',
        'swarm',
        '--image',
        'magnetar/node:bookworm',
        '--external-network',
        'public',
        '--server-type',
        'container',
      ]);
      await coe(url, [
        'cluster',
        'template',
        'create',
        'oc-spare',
        '--coe',
        'swarm',
        '--image',
        'magnetar/node:bookworm',
        '--external-network',
        'public',
      ]);
      const list = parseTable(await coe(url, ['cluster', 'template', 'list']));
      assert.deepEqual(
        list.map((r) => r.name),
        ['oc-tmpl', 'oc-next', 'oc-spare'],
      );
      assert.equal(list[0]?.uuid, templateUuid);
      const page = parseTable(
        await coe(url, [
          'cluster',
          'template',
          'list',
          '--limit',
          '2',
          '--sort-key',
          'name',
          '--sort-dir',
          'asc',
          '--fields',
          'coe',
        ]),
      );
      assert.deepEqual(
        page.map((r) => `${r.name} ${r.coe}`),
        ['oc-next swarm', 'oc-spare swarm'],
      );

      const shown = parseProperties(await coe(url, ['cluster', 'template', 'show', 'oc-tmpl']));
      assert.deepEqual(shown, created);

      // The client turns `labels=k=v` into str() of a dict (a JSON value would crash its label parser).
      const updated = parseProperties(
        await coe(url, [
          'cluster',
          'template',
          'update',
          'oc-tmpl',
          'replace',
          'dns_nameserver=9.9.9.9',
          'labels=swarm_strategy=binpack',
        ]),
      );
      assert.equal(updated.dns_nameserver, '9.9.9.9');
      assert.equal(updated.labels, "{'swarm_strategy': 'binpack'}");
      assert.notEqual(updated.updated_at, 'None');

      assert.match(
        await coe(url, ['cluster', 'template', 'delete', 'oc-spare']),
        /Request to delete cluster template oc-spare has been accepted\./,
      );
      const gone = await openstack(url, ['coe', 'cluster', 'template', 'show', 'oc-spare']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /could not be found/);
    });

    it('coe cluster create, list and show', async () => {
      const out = await coe(url, [
        'cluster',
        'create',
        'oc-c1',
        '--cluster-template',
        'oc-tmpl',
        '--node-count',
        '1',
        '--master-count',
        '1',
        '--timeout',
        '15',
        '--labels',
        'swarm_strategy=random',
        '--merge-labels',
      ]);
      clusterUuid = /Request to create cluster ([0-9a-f-]{36}) accepted/.exec(out)?.[1] ?? '';
      assert.ok(clusterUuid, out);
      const done = await waitCluster(url, clusterUuid, (s) => s !== 'CREATE_IN_PROGRESS');
      assert.equal(done.body.status, 'CREATE_COMPLETE', JSON.stringify(done.body));

      const list = parseTable(await coe(url, ['cluster', 'list']));
      assert.deepEqual(list, [
        {
          uuid: clusterUuid,
          name: 'oc-c1',
          keypair: 'None',
          node_count: '1',
          master_count: '1',
          status: 'CREATE_COMPLETE',
          health_status: list[0]?.health_status ?? '',
        },
      ]);
      const shown = parseProperties(await coe(url, ['cluster', 'show', 'oc-c1']));
      assert.equal(shown.uuid, clusterUuid);
      assert.equal(shown.status, 'CREATE_COMPLETE');
      assert.equal(shown.cluster_template_id, templateUuid);
      assert.equal(shown.create_timeout, '15');
      assert.equal(shown.labels, "{'swarm_strategy': 'random'}");
      assert.equal(
        shown.labels_overridden,
        "{'swarm_strategy': 'binpack'}",
        'the template value (updated above) the cluster overrides',
      );
      assert.match(shown.api_address ?? '', /^tcp:\/\/127\.0\.0\.1:\d+$/);
      assert.match(shown.node_addresses ?? '', /^\['10\.\d+\.\d+\.\d+'\]$/);
    });

    it('coe cluster config prints the exports and, with --output-certs, writes certificates the engine accepts', async () => {
      const plain = join(dir, 'plain');
      await mkdir(plain);
      assert.match(await coe(url, ['cluster', 'config', 'oc-c1', '--dir', plain]), /^export DOCKER_TLS_VERIFY=True$/m);
      assert.deepEqual(await readdir(plain), [], 'no files without --output-certs');

      const certs = join(dir, 'certs');
      await mkdir(certs);
      const out = await coe(url, ['cluster', 'config', 'oc-c1', '--dir', certs, '--output-certs']);
      assert.match(out, new RegExp(`^export DOCKER_CERT_PATH=${certs}$`, 'm'));
      assert.deepEqual((await readdir(certs)).sort(), ['ca.pem', 'cert.pem', 'key.pem']);
      const engine = await engineFromConfig(out);
      try {
        const nodes = await engine.listNodes();
        assert.equal(nodes.length, 2);
        assert.ok(nodes.every((n) => n.Status.State === 'ready'));
      } finally {
        engine.close();
      }
    });

    it('coe ca show and ca sign', async () => {
      const [caPem] = pemBlocks(await coe(url, ['ca', 'show', 'oc-c1']));
      assert.ok(caPem);
      const ca = new X509Certificate(caPem);
      assert.ok(ca.ca);
      const { csrPem } = await generateKeyAndCsr({ commonName: 'osc-user' });
      await writeFile(join(dir, 'osc.csr'), csrPem);
      const [signedPem] = pemBlocks(await coe(url, ['ca', 'sign', 'oc-c1', join(dir, 'osc.csr')]));
      assert.ok(signedPem);
      const signed = new X509Certificate(signedPem);
      assert.match(signed.subject, /CN=osc-user/);
      assert.ok(signed.verify(ca.publicKey));
    });

    it('coe cluster resize and coe cluster update change the worker count', async () => {
      assert.match(
        await coe(url, ['cluster', 'resize', 'oc-c1', '2']),
        /Request to resize cluster oc-c1 has been accepted\./,
      );
      const grown = await waitCluster(url, clusterUuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(grown.body.status, 'UPDATE_COMPLETE', JSON.stringify(grown.body));
      assert.equal(parseProperties(await coe(url, ['cluster', 'show', 'oc-c1'])).node_count, '2');
      assert.equal(await nodeContainers(clusterUuid), 3);

      assert.match(
        await coe(url, ['cluster', 'update', '--rollback', 'oc-c1', 'replace', 'node_count=1']),
        /Request to update cluster oc-c1 has been accepted\./,
      );
      const shrunk = await waitCluster(url, clusterUuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(shrunk.body.status, 'UPDATE_COMPLETE', JSON.stringify(shrunk.body));
      assert.equal(parseProperties(await coe(url, ['cluster', 'show', 'oc-c1'])).node_count, '1');
      assert.equal(await nodeContainers(clusterUuid), 2);
    });

    it('coe nodegroup create, list, show, update, resize and delete', async () => {
      const out = await coe(url, [
        'nodegroup',
        'create',
        'oc-c1',
        'extra',
        '--node-count',
        '1',
        '--min-nodes',
        '1',
        '--max-nodes',
        '3',
        '--role',
        'worker',
        '--flavor',
        'm1.small',
        '--labels',
        'tier=batch',
      ]);
      const ngUuid = /Request to create nodegroup ([0-9a-f-]{36}) accepted/.exec(out)?.[1];
      assert.ok(ngUuid, out);
      const created = await waitNodegroup(url, clusterUuid, 'extra', (s) => s !== 'CREATE_IN_PROGRESS');
      assert.equal(created.status, 'CREATE_COMPLETE', JSON.stringify(created));
      assert.equal(await nodeContainers(clusterUuid), 3);

      const list = parseTable(await coe(url, ['nodegroup', 'list', 'oc-c1']));
      assert.deepEqual(
        list.map((r) => `${r.name} ${r.role} ${r.node_count} ${r.status}`).sort(),
        [
          'default-master master 1 CREATE_COMPLETE',
          'default-worker worker 1 UPDATE_COMPLETE',
          'extra worker 1 CREATE_COMPLETE',
        ].sort(),
      );
      assert.deepEqual(
        parseTable(await coe(url, ['nodegroup', 'list', 'oc-c1', '--role', 'master'])).map((r) => r.name),
        ['default-master'],
      );
      const shown = parseProperties(await coe(url, ['nodegroup', 'show', 'oc-c1', 'extra']));
      assert.equal(shown.uuid, ngUuid);
      assert.equal(shown.cluster_id, clusterUuid);
      assert.equal(shown.flavor_id, 'm1.small');
      assert.equal(shown.min_node_count, '1');
      assert.equal(shown.max_node_count, '3');
      assert.equal(shown.is_default, 'False');
      assert.equal(shown.labels, "{'tier': 'batch'}");
      assert.match(shown.node_addresses ?? '', /^\['10\.\d+\.\d+\.\d+'\]$/);

      assert.match(
        await coe(url, ['nodegroup', 'update', 'oc-c1', 'extra', 'replace', 'max_node_count=2']),
        /Request to update nodegroup extra has been accepted\./,
      );
      assert.equal(parseProperties(await coe(url, ['nodegroup', 'show', 'oc-c1', 'extra'])).max_node_count, '2');

      assert.match(await coe(url, ['cluster', 'resize', 'oc-c1', '2', '--nodegroup', 'extra']), /has been accepted/);
      const resized = await waitNodegroup(url, clusterUuid, 'extra', (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(resized.status, 'UPDATE_COMPLETE', JSON.stringify(resized));
      assert.equal(resized.node_count, 2);
      assert.equal(await nodeContainers(clusterUuid), 4);
      const tooMany = await openstack(url, ['coe', 'cluster', 'resize', 'oc-c1', '3', '--nodegroup', 'extra']);
      assert.notEqual(tooMany.code, 0, 'beyond max_node_count is refused');

      assert.match(
        await coe(url, ['nodegroup', 'delete', 'oc-c1', 'extra']),
        /Request to delete nodegroup extra has been accepted\./,
      );
      await waitNodegroup(url, clusterUuid, 'extra', (_s, code) => code === 404);
      await waitCluster(url, clusterUuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(await nodeContainers(clusterUuid), 2);
    });

    it('coe cluster upgrade moves the cluster to another template', async () => {
      assert.match(
        await coe(url, ['cluster', 'upgrade', 'oc-c1', 'oc-next']),
        /Request to upgrade cluster oc-c1 has been accepted\./,
      );
      const done = await waitCluster(url, clusterUuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(done.body.status, 'UPDATE_COMPLETE', JSON.stringify(done.body));
      assert.equal(
        parseProperties(await coe(url, ['cluster', 'show', 'oc-c1'])).cluster_template_id,
        parseProperties(await coe(url, ['cluster', 'template', 'show', 'oc-next'])).uuid,
      );
    });

    it('coe ca rotate is refused for a swarm cluster, as Magnum refuses it for every distro but fedora-coreos', async () => {
      const [before] = pemBlocks(await coe(url, ['ca', 'show', 'oc-c1']));
      const r = await openstack(url, ['coe', 'ca', 'rotate', 'oc-c1']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /Rotating the CA certificate is not supported for cluster with cluster_distro: debian \(HTTP 400\)/,
      );
      const [afterPem] = pemBlocks(await coe(url, ['ca', 'show', 'oc-c1']));
      assert.equal(afterPem, before, 'the CA is unchanged');
    });

    it('coe quotas create, list, show, update and delete', async () => {
      const created = parseProperties(
        await coe(url, ['quotas', 'create', '--project-id', 'proj-a', '--resource', 'Cluster', '--hard-limit', '4']),
      );
      assert.equal(created.project_id, 'proj-a');
      assert.equal(created.hard_limit, '4');
      const dup = await coe(url, [
        'quotas',
        'create',
        '--project-id',
        'proj-a',
        '--resource',
        'Cluster',
        '--hard-limit',
        '4',
      ]);
      assert.match(dup, /Create quota for project_id proj-a resource Cluster failed/);
      assert.deepEqual(parseTable(await coe(url, ['quotas', 'list', '--all-tenants'])), [
        { project_id: 'proj-a', resource: 'Cluster', hard_limit: '4' },
      ]);
      assert.equal(
        parseProperties(await coe(url, ['quotas', 'show', '--project-id', 'proj-a', '--resource', 'Cluster']))
          .hard_limit,
        '4',
      );
      assert.equal(
        parseProperties(
          await coe(url, ['quotas', 'update', '--project-id', 'proj-a', '--resource', 'Cluster', '--hard-limit', '7']),
        ).hard_limit,
        '7',
      );
      assert.match(
        await coe(url, ['quotas', 'delete', '--project-id', 'proj-a', '--resource', 'Cluster']),
        /Request to delete quota for project id proj-a and resource Cluster has been accepted/,
      );
      assert.deepEqual(parseTable(await coe(url, ['quotas', 'list', '--all-tenants'])), []);
    });

    it('coe stats list and coe service list', async () => {
      assert.deepEqual(parseProperties(await coe(url, ['stats', 'list', 'default'])), { clusters: '1', nodes: '2' });
      const rows = parseTable(await coe(url, ['service', 'list']));
      assert.deepEqual(
        rows.map((r) => `${r.id} ${r.binary} ${r.state}`),
        ['1 magnum-conductor up'],
      );
    });

    it('coe cluster delete and coe cluster template delete clean up', async () => {
      assert.match(
        await coe(url, ['cluster', 'delete', 'oc-c1']),
        /Request to delete cluster oc-c1 has been accepted\./,
      );
      await waitCluster(url, clusterUuid, (_s, code) => code === 404);
      assert.deepEqual(parseTable(await coe(url, ['cluster', 'list'])), []);
      assert.equal(await nodeContainers(clusterUuid), 0);
      assert.match(
        await coe(url, ['cluster', 'template', 'delete', 'oc-tmpl', 'oc-next']),
        /oc-next has been accepted/,
      );
      assert.deepEqual(parseTable(await coe(url, ['cluster', 'template', 'list'])), []);
    });
  });
}
