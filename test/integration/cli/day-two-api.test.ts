/**
 * The `magnetar` day-two commands that need no running cluster, as real `bin/magnetar` processes against a real
 * `magnetar serve` (SQLite, free port, conductor off): template update, node groups of a queued cluster, refused
 * changes, CA show and sign, quotas, stats, services, and every `--format`, with the printed tables and documents
 * parsed.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { generateKeyAndCsr } from '../../../src/certs/x509.ts';
import { parseProperties, parseTable, pemBlocks } from '../../helpers/real-clients.ts';
import { cli, startServe, type ServeProcess } from '../../helpers/service-process.ts';

describe('magnetar day-two commands against magnetar serve (conductor off)', () => {
  let dir: string;
  let svc: ServeProcess;
  let clusterUuid: string;

  /** Runs the CLI and fails the test on a non-zero exit. */
  async function ok(args: string[]): Promise<string> {
    const r = await cli(svc.url, args);
    assert.equal(r.code, 0, `magnetar ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-cli-day2-'));
    svc = await startServe(join(dir, 'state'), { env: { MAGNETAR_CONDUCTOR: 'false' } });
    for (const name of ['d2-tmpl', 'd2-spare'])
      await ok(['cluster-template-create', name, '--coe', 'swarm', '--image', 'magnetar/node:bookworm']);
    const accepted = await ok([
      'cluster-create',
      'd2-c1',
      '--cluster-template',
      'd2-tmpl',
      '--master-count',
      '1',
      '--node-count',
      '2',
    ]);
    clusterUuid = /Request to create cluster ([0-9a-f-]{36}) has been accepted\./.exec(accepted)?.[1] ?? '';
    assert.notEqual(clusterUuid, '');
  });

  after(async () => {
    await svc?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('cluster-template-update replaces fields and labels and prints the updated template', async () => {
    const shown = parseProperties(
      await ok(['cluster-template-update', 'd2-spare', 'replace', 'labels=a=1,b=2', 'docker_volume_size=5']),
    );
    assert.equal(shown.labels, "{'a': '1', 'b': '2'}");
    assert.equal(shown.docker_volume_size, '5');
    const json = JSON.parse(await ok(['cluster-template-show', 'd2-spare', '-f', 'json'])) as Record<string, unknown>;
    assert.deepEqual(json.labels, { a: '1', b: '2' });
    assert.equal(json.docker_volume_size, 5);
    assert.equal(Object.hasOwn(json, 'links'), false);
    const removed = JSON.parse(
      await ok(['cluster-template-update', 'd2-spare', 'remove', 'docker_volume_size', '-f', 'json']),
    ) as Record<string, unknown>;
    assert.equal(removed.docker_volume_size, null);
  });

  it('cluster-template-update refuses what the API refuses, naming the field or the reason', async () => {
    const r = await cli(svc.url, ['cluster-template-update', 'd2-spare', 'replace', 'docker_volume_size=many']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ERROR: .*docker_volume_size.* \(HTTP 400\)/);
    const used = await cli(svc.url, ['cluster-template-update', 'd2-tmpl', 'replace', 'docker_volume_size=5']);
    assert.equal(used.code, 1);
    assert.match(
      used.stderr,
      /^ERROR: ClusterTemplate [0-9a-f-]{36} is referenced by one or multiple clusters\. \(HTTP 400\)/,
    );
  });

  it('cluster-list and cluster-show in every format', async () => {
    const table = parseTable(await ok(['cluster-list']));
    assert.deepEqual(
      table.map((r) => [r.uuid, r.name, r.node_count, r.master_count, r.status]),
      [[clusterUuid, 'd2-c1', '2', '1', 'CREATE_IN_PROGRESS']],
    );
    const json = JSON.parse(await ok(['cluster-list', '--format', 'json'])) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(json[0] ?? {}), [
      'uuid',
      'name',
      'keypair',
      'node_count',
      'master_count',
      'status',
      'health_status',
    ]);
    assert.equal(json[0]?.node_count, 2);
    const yaml = parse(await ok(['cluster-list', '-f', 'yaml'])) as Record<string, unknown>[];
    assert.equal(yaml[0]?.uuid, clusterUuid);
    const value = (await ok(['cluster-list', '-f', 'value', '--fields', 'create_timeout'])).trim().split(' ');
    assert.equal(value[0], clusterUuid);
    assert.equal(value[1], 'd2-c1');
    assert.equal(value.at(-1), '60');
    const shown = JSON.parse(await ok(['cluster-show', 'd2-c1', '-f', 'json'])) as Record<string, unknown>;
    assert.equal(shown.uuid, clusterUuid);
    assert.equal(shown.status, 'CREATE_IN_PROGRESS');
    const values = (await ok(['cluster-show', 'd2-c1', '-f', 'value'])).split('\n');
    assert.equal(values.length, Object.keys(shown).length + 1); // and the final newline
    assert.ok(values.includes(clusterUuid));
  });

  it('nodegroup-list and nodegroup-show show the default groups of the queued cluster', async () => {
    const rows = parseTable(await ok(['nodegroup-list', 'd2-c1']));
    assert.deepEqual(
      rows.map((r) => [r.name, r.node_count, r.role, r.status]),
      [
        ['default-master', '1', 'master', 'CREATE_IN_PROGRESS'],
        ['default-worker', '2', 'worker', 'CREATE_IN_PROGRESS'],
      ],
    );
    const masters = (await ok(['nodegroup-list', 'd2-c1', '--role', 'master', '-f', 'value'])).trim().split('\n');
    assert.equal(masters.length, 1);
    assert.match(masters[0] ?? '', / default-master .* 1 CREATE_IN_PROGRESS master$/);
    const shown = parseProperties(await ok(['nodegroup-show', 'd2-c1', 'default-worker']));
    assert.equal(shown.cluster_id, clusterUuid);
    assert.equal(shown.is_default, 'True');
    assert.equal(shown.role, 'worker');
    assert.equal(shown.image_id, 'magnetar/node:bookworm');
    const yaml = parse(await ok(['nodegroup-show', 'd2-c1', 'default-worker', '-f', 'yaml'])) as Record<
      string,
      unknown
    >;
    assert.equal(yaml.node_count, 2);
    assert.equal(yaml.uuid, rows[1]?.uuid);
  });

  it('changes of a cluster still being created are refused with the API’s reason, and nothing is queued', async () => {
    for (const args of [
      ['cluster-update', 'd2-c1', 'replace', 'node_count=3'],
      ['cluster-resize', 'd2-c1', '3'],
      ['cluster-upgrade', 'd2-c1', 'd2-spare'],
    ]) {
      const r = await cli(svc.url, args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /^ERROR: .* when status is "CREATE_IN_PROGRESS" is not supported\. \(HTTP 400\)/, args[0]);
    }
    const ng = await cli(svc.url, ['nodegroup-create', 'd2-c1', 'extra']);
    assert.equal(ng.code, 1);
    assert.match(ng.stderr, /^ERROR: Cluster API address is not available yet \(HTTP 409\)/);
    const groups = parseTable(await ok(['nodegroup-list', 'd2-c1']));
    assert.deepEqual(
      groups.map((g) => g.name),
      ['default-master', 'default-worker'],
    );
    assert.equal(parseProperties(await ok(['cluster-show', 'd2-c1'])).node_count, '2');
  });

  it('bad arguments fail before any request, with the reason', async () => {
    const op = await cli(svc.url, ['cluster-update', 'd2-c1', 'set', 'node_count=3']);
    assert.equal(op.code, 1);
    assert.match(op.stderr, /value 'set' is invalid for argument 'op'\. Allowed choices are add, replace, remove\./);
    const attr = await cli(svc.url, ['nodegroup-update', 'd2-c1', 'default-worker', 'replace', 'max_node_count']);
    assert.equal(attr.code, 1);
    assert.equal(attr.stderr, 'ERROR: Attributes must be a list of PATH=VALUE not "/max_node_count"\n');
    const count = await cli(svc.url, ['cluster-resize', 'd2-c1', 'two']);
    assert.equal(count.code, 1);
    assert.match(count.stderr, /value 'two' is invalid for argument 'node_count'\. not an integer\./);
  });

  it('ca-show prints the cluster CA and ca-sign has it sign a CSR', async () => {
    const [caPem] = pemBlocks(await ok(['ca-show', 'd2-c1']));
    const ca = new X509Certificate(caPem ?? '');
    assert.equal(ca.ca, true);
    assert.equal(pemBlocks(await ok(['ca-show', '--cluster', clusterUuid]))[0], caPem);
    const json = JSON.parse(await ok(['ca-show', 'd2-c1', '-f', 'json'])) as Record<string, unknown>;
    assert.equal(json.cluster_uuid, clusterUuid);
    assert.equal(json.pem, caPem);

    const { csrPem } = await generateKeyAndCsr({ commonName: 'day2-user', organization: 'system:masters' });
    const csrFile = join(dir, 'user.csr');
    await writeFile(csrFile, csrPem);
    const [certPem] = pemBlocks(await ok(['ca-sign', '--cluster', 'd2-c1', '--csr', csrFile]));
    const cert = new X509Certificate(certPem ?? '');
    assert.ok(cert.checkIssued(ca), 'signed by the cluster CA');
    assert.ok(cert.verify(ca.publicKey));
    assert.match(cert.subject, /CN=day2-user/);
    const again = pemBlocks(await ok(['ca-sign', 'd2-c1', csrFile]));
    assert.ok(new X509Certificate(again[0] ?? '').checkIssued(ca));

    const noCsr = await cli(svc.url, ['ca-sign', '--cluster', 'd2-c1']);
    assert.equal(noCsr.code, 1);
    assert.equal(noCsr.stderr, 'ERROR: A CSR must be provided.\n');
  });

  it('quotas-create, -list, -show, -update and -delete', async () => {
    const created = parseProperties(
      await ok(['quotas-create', '--project-id', 'proj-q', '--resource', 'Cluster', '--hard-limit', '4']),
    );
    assert.equal(created.project_id, 'proj-q');
    assert.equal(created.resource, 'Cluster');
    assert.equal(created.hard_limit, '4');
    const dup = await cli(svc.url, ['quotas-create', '--project-id', 'proj-q', '--resource', 'Cluster']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^ERROR: .*\(HTTP 409\)/);

    const listed = parseTable(await ok(['quotas-list', '--all-tenants']));
    assert.deepEqual(listed, [{ project_id: 'proj-q', resource: 'Cluster', hard_limit: '4' }]);
    assert.deepEqual(parseTable(await ok(['quotas-list'])), [], 'the caller’s own project has none');
    assert.equal(await ok(['quotas-list', '--all-tenants', '-f', 'value']), 'proj-q Cluster 4\n');

    const updated = JSON.parse(
      await ok(['quotas-update', '--project-id', 'proj-q', '--resource', 'Cluster', '--hard-limit', '9', '-f', 'json']),
    ) as Record<string, unknown>;
    assert.equal(updated.hard_limit, 9);
    const shown = parse(await ok(['quotas-show', '--project-id', 'proj-q', '--resource', 'Cluster', '-f', 'yaml'])) as {
      hard_limit: number;
    };
    assert.equal(shown.hard_limit, 9);

    assert.equal(
      await ok(['quotas-delete', '--project-id', 'proj-q', '--resource', 'Cluster']),
      'Request to delete quota for project id proj-q and resource Cluster has been accepted.\n',
    );
    assert.deepEqual(parseTable(await ok(['quotas-list', '--all-tenants'])), []);
  });

  it('stats-list counts the cluster and its nodes; service-list shows the conductor rows (Magnum), process-list every process', async () => {
    assert.deepEqual(parseProperties(await ok(['stats-list'])), { clusters: '1', nodes: '3' });
    assert.deepEqual(JSON.parse(await ok(['stats-list', '--project-id', 'default', '-f', 'json'])), {
      clusters: 1,
      nodes: 3,
    });
    assert.deepEqual(JSON.parse(await ok(['stats-list', 'elsewhere', '-f', 'json'])), { clusters: 0, nodes: 0 });
    // No conductor runs here: Magnum's service list (conductor hosts only) is empty; process-list has the API.
    assert.deepEqual(parseTable(await ok(['service-list'])), []);
    const services = parseTable(await ok(['process-list']));
    const api = services.find((s) => s.binary === 'magnetar-api');
    assert.ok(api, JSON.stringify(services));
    assert.equal(api.state, 'up');
    assert.equal(api.disabled, 'False');
    assert.equal(
      services.some((s) => s.binary === 'magnetar-conductor'),
      false,
      'no conductor runs',
    );
    const ids = services.map((s) => Number(s.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
  });
});
