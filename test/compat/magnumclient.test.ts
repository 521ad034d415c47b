/**
 * Debian's python3-magnumclient (`magnum …`, token/endpoint auth) against a real `magnetar serve`, on SQLite and on
 * PostgreSQL: every template, cluster, CA, quota, stats and service command the shell has, with its output parsed and
 * checked. (The `magnum` shell has no nodegroup commands; test/compat/openstackclient.test.ts drives those.)
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyAndCsr } from '../../src/certs/x509.ts';
import { Engine } from '../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../src/providers/contract.ts';
import { engineFromConfig } from '../helpers/cluster-engine.ts';
import {
  magnum,
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

/** Runs `magnum …` and fails the test on a non-zero exit. */
async function ok(url: string, args: string[], cwd?: string): Promise<string> {
  const r = await magnum(url, args, cwd);
  assert.equal(r.code, 0, `magnum ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

for (const database of ['SQLite', 'PostgreSQL'] as const) {
  describe(`python-magnumclient against magnetar serve on ${database}`, () => {
    let target: ClientTarget;
    let dir: string;
    let url: string;
    let clusterUuid: string;
    let templateUuid: string;

    before(async () => {
      target = await startClientTarget(database, 'magnetar_magnumclient');
      ({ url, dir } = target);
    });

    after(() => target?.close());

    it('creates, lists, shows, updates and deletes cluster templates', async () => {
      const created = parseProperties(
        await ok(url, [
          'cluster-template-create',
          'mc-tmpl',
          '--coe',
          'swarm',
          '--image',
          'magnetar/node:bookworm',
          '--external-network',
          'public',
          '--server-type',
          'container',
          '--docker-storage-driver',
          'overlay2',
          '--flavor',
          'm1.small',
          '--master-flavor',
          'm1.small',
          '--dns-nameserver',
          '1.1.1.1',
          '--labels',
          'swarm_strategy=spread',
          '--public',
        ]),
      );
      templateUuid = created.uuid ?? '';
      assert.match(templateUuid, /^[0-9a-f-]{36}$/);
      assert.equal(created.name, 'mc-tmpl');
      assert.equal(created.coe, 'swarm');
      assert.equal(created.image_id, 'magnetar/node:bookworm');
      assert.equal(created.server_type, 'container');
      assert.equal(created.flavor_id, 'm1.small');
      assert.equal(created.master_flavor_id, 'm1.small');
      assert.equal(created.dns_nameserver, '1.1.1.1');
      assert.equal(created.labels, "{'swarm_strategy': 'spread'}");
      assert.equal(created.public, 'True');
      assert.equal(created.tls_disabled, 'False');
      assert.equal(created.cluster_distro, 'debian');

      parseProperties(
        await ok(url, [
          'cluster-template-create',
          'mc-spare',
          '--coe',
          'swarm',
          '--image',
          'magnetar/node:bookworm',
          '--external-network',
          'public',
          '--docker-volume-size',
          '3',
        ]),
      );
      const list = parseTable(await ok(url, ['cluster-template-list']));
      assert.deepEqual(
        list.map((r) => r.name),
        ['mc-tmpl', 'mc-spare'],
      );
      assert.equal(list[0]?.uuid, templateUuid);
      const page = parseTable(
        await ok(url, [
          'cluster-template-list',
          '--limit',
          '1',
          '--sort-key',
          'name',
          '--sort-dir',
          'desc',
          '--fields',
          'coe,server_type',
        ]),
      );
      // --fields columns get title-cased headers
      assert.deepEqual(page, [{ uuid: templateUuid, name: 'mc-tmpl', Coe: 'swarm', 'Server Type': 'container' }]);
      const detail = parseTable(await ok(url, ['cluster-template-list', '--detail']));
      assert.equal(detail.find((r) => r.name === 'mc-spare')?.docker_volume_size, '3');

      const shown = parseProperties(await ok(url, ['cluster-template-show', 'mc-tmpl']));
      assert.deepEqual(shown, { ...created, updated_at: shown.updated_at ?? '-' });
      assert.equal(parseProperties(await ok(url, ['cluster-template-show', templateUuid])).name, 'mc-tmpl');

      const updated = parseProperties(
        await ok(url, [
          'cluster-template-update',
          'mc-tmpl',
          'replace',
          'dns_nameserver=9.9.9.9',
          'http_proxy=http://proxy:3128',
        ]),
      );
      assert.equal(updated.dns_nameserver, '9.9.9.9');
      assert.equal(updated.http_proxy, 'http://proxy:3128');
      assert.notEqual(updated.updated_at, '-');
      const removed = parseProperties(await ok(url, ['cluster-template-update', 'mc-tmpl', 'remove', 'http_proxy']));
      assert.equal(removed.http_proxy, '-');

      const del = await ok(url, ['cluster-template-delete', 'mc-spare']);
      assert.match(del, /Request to delete cluster template mc-spare has been accepted\./);
      const gone = await magnum(url, ['cluster-template-show', 'mc-spare']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /ClusterTemplate mc-spare could not be found|could not be found/);
    });

    it('creates a cluster and lists and shows it with its addresses once complete', async () => {
      const out = await ok(url, [
        'cluster-create',
        'mc-c1',
        '--cluster-template',
        'mc-tmpl',
        '--node-count',
        '1',
        '--master-count',
        '1',
        '--timeout',
        '20',
        '--labels',
        'swarm_strategy=binpack',
      ]);
      clusterUuid = /Request to create cluster ([0-9a-f-]{36}) has been accepted\./.exec(out)?.[1] ?? '';
      assert.ok(clusterUuid, out);
      const inProgress = parseTable(await ok(url, ['cluster-list']));
      assert.equal(inProgress[0]?.uuid, clusterUuid);
      assert.ok(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'].includes(inProgress[0]?.status ?? ''), inProgress[0]?.status);

      const done = await waitCluster(url, clusterUuid, (s) => s !== 'CREATE_IN_PROGRESS');
      assert.equal(done.body.status, 'CREATE_COMPLETE', JSON.stringify(done.body));
      const shown = parseProperties(await ok(url, ['cluster-show', 'mc-c1']));
      assert.equal(shown.uuid, clusterUuid);
      assert.equal(shown.status, 'CREATE_COMPLETE');
      assert.equal(shown.cluster_template_id, templateUuid);
      assert.equal(shown.node_count, '1');
      assert.equal(shown.master_count, '1');
      assert.equal(shown.create_timeout, '20');
      assert.equal(shown.flavor_id, 'm1.small');
      assert.equal(shown.labels, "{'swarm_strategy': 'binpack'}");
      assert.match(shown.api_address ?? '', /^tcp:\/\/127\.0\.0\.1:\d+$/);
      assert.match(shown.node_addresses ?? '', /^\['10\.\d+\.\d+\.\d+'\]$/);
      assert.match(shown.master_addresses ?? '', /^\['10\.\d+\.\d+\.\d+'\]$/);

      const list = parseTable(await ok(url, ['cluster-list', '--fields', 'cluster_template_id,create_timeout']));
      assert.deepEqual(list, [
        {
          uuid: clusterUuid,
          name: 'mc-c1',
          keypair: '-',
          node_count: '1',
          master_count: '1',
          status: 'CREATE_COMPLETE',
          'Cluster Template Id': templateUuid,
          'Create Timeout': '20',
        },
      ]);
    });

    it('cluster-config writes certificates the cluster engine accepts over mutual TLS', async () => {
      const certs = join(dir, 'certs');
      await mkdir(certs);
      const out = await ok(url, ['cluster-config', 'mc-c1', '--dir', certs]);
      const shown = parseProperties(await ok(url, ['cluster-show', 'mc-c1']));
      assert.match(out, new RegExp(`^export DOCKER_HOST=${shown.api_address}$`, 'm'));
      assert.match(out, new RegExp(`^export DOCKER_CERT_PATH=${certs}$`, 'm'));
      assert.match(out, /^export DOCKER_TLS_VERIFY=True$/m);
      const cert = new X509Certificate(await readFile(join(certs, 'cert.pem')));
      assert.match(cert.subject, /CN=admin/);
      const engine = await engineFromConfig(out);
      try {
        const nodes = await engine.listNodes();
        assert.equal(nodes.length, 2);
        assert.ok(nodes.every((n) => n.Status.State === 'ready'));
      } finally {
        engine.close();
      }
      const again = await magnum(url, ['cluster-config', 'mc-c1', '--dir', certs]);
      assert.notEqual(again.code, 0, 'existing files are not overwritten without --force');
      assert.match(again.stderr, /exists, aborting/);
      assert.match(await ok(url, ['cluster-config', 'mc-c1', '--dir', certs, '--force']), /DOCKER_HOST=/);
    });

    it('ca-show prints the cluster CA and ca-sign signs a CSR with it', async () => {
      const [caPem] = pemBlocks(await ok(url, ['ca-show', '--cluster', 'mc-c1']));
      assert.ok(caPem);
      assert.equal(caPem.trim(), ((await getJson(`${url}/v1/certificates/${clusterUuid}`)).body.pem as string).trim());
      const ca = new X509Certificate(caPem);
      assert.ok(ca.ca);

      const { csrPem } = await generateKeyAndCsr({ commonName: 'someone', organization: 'ops' });
      await writeFile(join(dir, 'me.csr'), csrPem);
      const [signedPem] = pemBlocks(await ok(url, ['ca-sign', '--cluster', clusterUuid, '--csr', join(dir, 'me.csr')]));
      assert.ok(signedPem);
      const signed = new X509Certificate(signedPem);
      assert.match(signed.subject, /CN=someone/);
      assert.equal(signed.issuer, ca.subject);
      assert.ok(signed.verify(ca.publicKey));
    });

    it('cluster-update changes node_count, also with --rollback', async () => {
      const up = await ok(url, ['cluster-update', 'mc-c1', 'replace', 'node_count=2']);
      assert.match(up, /Request to update cluster mc-c1 has been accepted\./);
      const grown = await waitCluster(url, clusterUuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(grown.body.status, 'UPDATE_COMPLETE', JSON.stringify(grown.body));
      const shown = parseProperties(await ok(url, ['cluster-show', 'mc-c1']));
      assert.equal(shown.node_count, '2');
      assert.equal((shown.node_addresses?.match(/'10\./g) ?? []).length, 2);
      assert.equal((await host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`])).length, 3);

      const down = await ok(url, ['cluster-update', '--rollback', 'mc-c1', 'replace', 'node_count=1']);
      assert.match(down, /Request to update cluster mc-c1 has been accepted\./);
      const shrunk = await waitCluster(url, clusterUuid, (s) => s !== 'UPDATE_IN_PROGRESS');
      assert.equal(shrunk.body.status, 'UPDATE_COMPLETE', JSON.stringify(shrunk.body));
      assert.equal(parseProperties(await ok(url, ['cluster-show', 'mc-c1'])).node_count, '1');
      assert.equal((await host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`])).length, 2);

      const refused = await ok(url, ['cluster-update', 'mc-c1', 'replace', 'master_count=3']);
      assert.match(refused, /^ERROR: /m, 'a read-only attribute is refused');
    });

    it('ca-rotate is refused for a swarm cluster, as Magnum refuses it for every distro but fedora-coreos', async () => {
      const [before] = pemBlocks(await ok(url, ['ca-show', '--cluster', 'mc-c1']));
      const r = await magnum(url, ['ca-rotate', '--cluster', 'mc-c1']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /Rotating the CA certificate is not supported for cluster with cluster_distro: debian \(HTTP 400\)/,
      );
      const [afterPem] = pemBlocks(await ok(url, ['ca-show', '--cluster', 'mc-c1']));
      assert.equal(afterPem, before, 'the CA is unchanged');
      assert.equal(
        parseProperties(await ok(url, ['cluster-show', 'mc-c1'])).status,
        'UPDATE_COMPLETE',
        'and the cluster is not left UPDATE_FAILED',
      );
    });

    it('creates, lists, shows, updates and deletes quotas, and enforces them on cluster-create', async () => {
      const created = parseProperties(
        await ok(url, ['quotas-create', '--project-id', 'default', '--resource', 'Cluster', '--hard-limit', '5']),
      );
      assert.equal(created.project_id, 'default');
      assert.equal(created.resource, 'Cluster');
      assert.equal(created.hard_limit, '5');
      await ok(url, ['quotas-create', '--project-id', 'other', '--resource', 'Cluster', '--hard-limit', '3']);

      assert.deepEqual(parseTable(await ok(url, ['quotas-list'])), [
        { project_id: 'default', resource: 'Cluster', hard_limit: '5' },
      ]);
      const all = parseTable(await ok(url, ['quotas-list', '--all-tenants']));
      assert.deepEqual(all.map((r) => `${r.project_id}/${r.resource}=${r.hard_limit}`).sort(), [
        'default/Cluster=5',
        'other/Cluster=3',
      ]);
      const shown = parseProperties(await ok(url, ['quotas-show', '--project-id', 'other', '--resource', 'Cluster']));
      assert.equal(shown.hard_limit, '3');

      const updated = parseProperties(
        await ok(url, ['quotas-update', '--project-id', 'default', '--resource', 'Cluster', '--hard-limit', '1']),
      );
      assert.equal(updated.hard_limit, '1');
      const over = await magnum(url, [
        'cluster-create',
        'mc-over',
        '--cluster-template',
        'mc-tmpl',
        '--node-count',
        '1',
      ]);
      assert.doesNotMatch(over.stdout, /has been accepted/);
      assert.match(
        over.stdout,
        /Create for cluster mc-over failed: Resource limit exceeded: You have reached the maximum clusters per project, 1 \(HTTP 403\)/,
      );

      for (const p of ['default', 'other']) {
        assert.match(
          await ok(url, ['quotas-delete', '--project-id', p, '--resource', 'Cluster']),
          new RegExp(`Request to delete quota for project id ${p} and resource Cluster has been accepted`),
        );
      }
      assert.deepEqual(parseTable(await ok(url, ['quotas-list', '--all-tenants'])), []);
    });

    it('stats-list counts clusters and nodes', async () => {
      assert.deepEqual(parseProperties(await ok(url, ['stats-list'])), { clusters: '1', nodes: '2' });
      assert.deepEqual(parseProperties(await ok(url, ['stats-list', '--project-id', 'default'])), {
        clusters: '1',
        nodes: '2',
      });
      assert.deepEqual(parseProperties(await ok(url, ['stats-list', '--project-id', 'nobody'])), {
        clusters: '0',
        nodes: '0',
      });
    });

    it("service-list shows this process's conductor as Magnum's one magnum-conductor row, id 1", async () => {
      const rows = parseTable(await ok(url, ['service-list']));
      assert.deepEqual(
        rows.map((r) => `${r.id} ${r.binary} ${r.state} ${r.disabled}`),
        ['1 magnum-conductor up False'],
      );
      assert.ok(rows.every((r) => r.host));
    });

    it('cluster-delete removes the cluster and everything it ran on', async () => {
      assert.match(await ok(url, ['cluster-delete', 'mc-c1']), /Request to delete cluster mc-c1 has been accepted\./);
      await waitCluster(url, clusterUuid, (_s, code) => code === 404);
      assert.deepEqual(parseTable(await ok(url, ['cluster-list'])), []);
      const f = [`${CLUSTER_LABEL}=${clusterUuid}`];
      const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
      assert.equal(c.length + v.length + n.length, 0);
      assert.match(await ok(url, ['cluster-template-delete', 'mc-tmpl']), /has been accepted/);
      assert.deepEqual(parseTable(await ok(url, ['cluster-template-list'])), []);
    });
  });
}
