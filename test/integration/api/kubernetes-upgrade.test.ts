/**
 * @module test/integration/api/kubernetes-upgrade — `POST /v1/clusters/{id}/actions/upgrade` of Kubernetes clusters
 * through the real HTTP edge with the kubernetes driver over the real Docker provider (image catalog), no conductor:
 * what an accepted upgrade writes (template, and `kube_tag` on the cluster and its default groups, or on one other
 * group, as Magnum's driver moves it), and the refusals with Magnum's error body, nothing written and no conductor
 * woken: a downgrade and a skipped minor (400 InvalidVersion), a template without `kube_tag` (409
 * InvalidClusterTemplateForUpgrade), a cluster in progress (400). Needs the v1.36.3 and v1.37.2 node images (skipped,
 * saying so, without them).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { kubeNodeImage } from '../../../src/core/kube-versions.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { LATEST, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';

const FROM = 'v1.36.3';
const TO = 'v1.37.2';
const engine = new Engine({ socketPath: '/var/run/docker.sock' });
const missing: string[] = [];
for (const t of [FROM, TO]) if ((await engine.inspectImage(kubeNodeImage(t))) === null) missing.push(kubeNodeImage(t));
engine.close();
const SKIP = missing.length ? `node image(s) not built: ${missing.join(', ')}` : false;

void describe('kubernetes upgrade: kube_tag moves; downgrades and skipped minors refused', { skip: SKIP }, () => {
  let h: ApiHarness;
  const template = (tag: string, labels: Record<string, string> = { kube_tag: tag }): Record<string, unknown> => ({
    coe: 'kubernetes',
    image_id: kubeNodeImage(tag),
    server_type: 'container',
    labels,
  });
  const url = (c: string): string => `/v1/clusters/${c}/actions/upgrade`;
  const labelsOf = async (c: string): Promise<Record<string, string | undefined>> => {
    const cluster = await h.store.clusters.get(c);
    const out: Record<string, string | undefined> = { cluster: cluster?.labels.kube_tag };
    for (const g of await h.store.clusters.nodegroups([c])) out[g.name] = g.labels.kube_tag;
    return out;
  };
  /** A cluster on `tpl` whose create finished. */
  const ready = async (tpl: string): Promise<string> => {
    const c = await h.createCluster({ cluster_template_id: tpl, node_count: 1 }, LATEST);
    await h.completeCluster(c);
    return c;
  };

  before(async () => {
    h = await startApiHarness({ kubernetes: true, config: { 'quotas.max_clusters_per_project': 100 } });
    await h.createTemplate({ ...template(FROM), name: 'k8s-old' });
    await h.createTemplate({ ...template(TO), name: 'k8s-new' });
    await h.createTemplate({ ...template(TO, {}), name: 'k8s-untagged' });
  });
  after(async () => {
    await h?.close();
  });

  test('an upgrade moves the template and kube_tag of the cluster and both default groups', async () => {
    const c = await ready('k8s-old');
    assert.deepEqual(await labelsOf(c), { cluster: FROM, 'default-master': FROM, 'default-worker': FROM });
    const res = await h.send('POST', url(c), { cluster_template: 'k8s-new', max_batch_size: 2 }, LATEST);
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(await labelsOf(c), { cluster: TO, 'default-master': TO, 'default-worker': TO });
    const next = (await h.send('GET', '/v1/clustertemplates/k8s-new')).json<{ uuid: string }>().uuid;
    const cluster = await h.store.clusters.get(c);
    assert.deepEqual([cluster?.status, cluster?.cluster_template_id], ['UPDATE_IN_PROGRESS', next]);
    assert.deepEqual(
      (await h.store.operations.active(c)).map((o) => o.payload),
      [{ action: 'upgrade', nodegroup: 'default-worker', max_batch_size: 2, cluster_template: next }],
    );
  });

  test('another node group keeps its version until it is upgraded to the cluster template itself', async () => {
    const c = await ready('k8s-old');
    const created = await h.send('POST', `/v1/clusters/${c}/nodegroups`, { name: 'extra', node_count: 1 }, LATEST);
    assert.equal(created.statusCode, 202, created.body);
    await h.completeCluster(c);
    assert.equal((await h.send('POST', url(c), { cluster_template: 'k8s-new' }, LATEST)).statusCode, 202);
    await h.completeCluster(c);
    assert.deepEqual(await labelsOf(c), { cluster: TO, 'default-master': TO, 'default-worker': TO, extra: FROM });
    const res = await h.send('POST', url(c), { cluster_template: 'k8s-new', nodegroup: 'extra' }, LATEST);
    assert.equal(res.statusCode, 202, res.body);
    assert.equal((await labelsOf(c)).extra, TO);
  });

  test('a downgrade is refused: 400 InvalidVersion naming kube_tag and both versions, nothing written', async () => {
    const c = await ready('k8s-new');
    await h.expectRefused({
      name: 'downgrade',
      url: url(c),
      body: { cluster_template: 'k8s-old' },
      headers: LATEST,
      status: 400,
      detail:
        /^Received invalid tag for kube_tag\. v1\.36\.3 is older than v1\.37\.2, the version the node group runs: downgrades are not supported\.$/,
    });
  });

  test('a skipped minor is refused: 400 InvalidVersion saying which minor comes first, nothing written', async () => {
    const c = await ready('k8s-old');
    // A cluster row on v1.35 (a version this build no longer makes): its groups say so in their labels.
    await h.store.db.kysely
      .updateTable('nodegroups')
      .set({ labels: JSON.stringify({ kube_tag: 'v1.35.4' }) })
      .where('cluster_id', '=', c)
      .execute();
    await h.expectRefused({
      name: 'skipped minor',
      url: url(c),
      body: { cluster_template: 'k8s-new' },
      headers: LATEST,
      status: 400,
      detail:
        /^Received invalid tag for kube_tag\. v1\.35\.4 to v1\.37\.2 skips a minor version: Kubernetes is upgraded one minor version at a time \(to v1\.36\.x first\)\.$/,
    });
  });

  test("a template without kube_tag is refused with Magnum's 409 InvalidClusterTemplateForUpgrade", async () => {
    const c = await ready('k8s-old');
    await h.expectRefused({
      name: 'untagged',
      url: url(c),
      body: { cluster_template: 'k8s-untagged' },
      headers: LATEST,
      status: 409,
      detail:
        /^Cluster Template is not valid for upgrade: Cluster template k8s-untagged does not contain any supported upgrade labels: \[kube_tag\]$/,
    });
  });

  test('a cluster with an operation in progress: the state refusal comes first (400 NotSupported)', async () => {
    const c = await h.createCluster({ cluster_template_id: 'k8s-new', node_count: 1 }, LATEST);
    await h.expectRefused({
      name: 'in progress',
      url: url(c),
      body: { cluster_template: 'k8s-old' },
      headers: LATEST,
      status: 400,
      detail: /^Upgrading a cluster when status is "CREATE_IN_PROGRESS" is not supported\.$/,
    });
  });
});
