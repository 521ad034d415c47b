/**
 * @module test/integration/cli/kubernetes-access — a user's access to a real 1 master + 1 worker Kubernetes cluster
 * (one `magnetar serve` child process, real Docker, the built node image): `magnetar kubectl` runs the cluster's
 * kubectl from the image build cache with the kubeconfig of `magnetar cluster-config`, passes its arguments through and
 * its exit code back; `magnetar image load` puts an image built on the host into every node's containerd, and a Pod
 * with `imagePullPolicy: Never` runs it and prints its greeting. The kubeconfig of the real `openstack coe cluster
 * config` works with it too. Delete leaves nothing labelled with the cluster.
 * Skipped, saying so, only when the node image is not built (`magnetar image build --coe kubernetes`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildHelloImage, type HelloImage } from '../../helpers/hello-image.ts';
import { eventually, removeLeftovers } from '../../helpers/lifecycle.ts';
import { openstack } from '../../helpers/real-clients.ts';
import { cli, startServe, waitCluster, type ServeProcess } from '../../helpers/service-process.ts';
import { magnetarKubectl } from '../../helpers/kube.ts';

const KUBE_TAG = process.env.MAGNETAR_TEST_KUBE_TAG ?? 'v1.37.2';
const NODE_IMAGE = `magnetar/k8s-node:${KUBE_TAG}`;
const NAME = 'access';
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const OPENSTACK =
  spawnSync('openstack', ['--version']).status === 0 ? false : 'python3-openstackclient is not installed';
const SKIP =
  (await host.inspectImage(NODE_IMAGE)) !== null
    ? false
    : `the Kubernetes node image ${NODE_IMAGE} is not built (magnetar image build --coe kubernetes)`;

describe('kubectl and image load on a Kubernetes cluster', { skip: SKIP, timeout: 900_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let uuid: string;
  let hello: HelloImage;

  /** `magnetar kubectl …` with a kubeconfig (default: the one of `magnetar cluster-config`); never rejects. */
  const kubectlWith = (kubeconfig: string, ...args: string[]): ReturnType<typeof magnetarKubectl> =>
    magnetarKubectl(svc.url, kubeconfig, args);
  const kubectl = (...args: string[]): ReturnType<typeof kubectlWith> =>
    kubectlWith(join(dir, 'certs', 'config'), ...args);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-kaccess-'));
    svc = await startServe(join(dir, 'state'));
    hello = await buildHelloImage(host);
  });

  after(async () => {
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await hello?.remove();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the cluster and writes its kubeconfig', async () => {
    const t = await cli(svc.url, [
      'cluster-template-create',
      '--name',
      'k8s',
      '--coe',
      'kubernetes',
      '--image',
      NODE_IMAGE,
      '--server-type',
      'container',
      '--labels',
      `kube_tag=${KUBE_TAG}`,
    ]);
    assert.equal(t.code, 0, t.stderr);
    const c = await cli(
      svc.url,
      ['cluster-create', NAME, '--cluster-template', 'k8s', '--master-count', '1', '--node-count', '1', '--wait'],
      600_000,
    );
    assert.equal(c.code, 0, `${c.stdout}\n${c.stderr}`);
    uuid = (await waitCluster(svc.url, NAME, (s) => s === 'CREATE_COMPLETE')).body.uuid as string;
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
  });

  it('runs the kubectl of the cluster version with the arguments as given', async () => {
    const version = await kubectl('version', '-o', 'json');
    assert.equal(version.code, 0, version.stderr);
    const v = JSON.parse(version.stdout) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    assert.equal(v.clientVersion.gitVersion, KUBE_TAG);
    assert.equal(v.serverVersion.gitVersion, KUBE_TAG);
    const nodes = await kubectl('get', 'nodes', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name');
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.deepEqual(nodes.stdout.trim().split('\n').sort(), [`${NAME}-master-0`, `${NAME}-node-0`]);
    const missing = await kubectl('get', 'pod', 'no-such-pod', '-n', 'kube-system');
    assert.equal(missing.code, 1, 'kubectl exit code passed back');
    assert.match(missing.stderr, /pods "no-such-pod" not found/);
  });

  it('works with the kubeconfig of the real `openstack coe cluster config`', { skip: OPENSTACK }, async () => {
    const osDir = join(dir, 'os');
    await mkdir(osDir);
    const out = await openstack(svc.url, ['coe', 'cluster', 'config', NAME, '--dir', osDir]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^export KUBECONFIG=${osDir}/config$`, 'm'));
    const nodes = await kubectlWith(join(osDir, 'config'), 'get', 'nodes', '--no-headers');
    assert.equal(nodes.code, 0, nodes.stderr);
    const lines = nodes.stdout.trim().split('\n');
    assert.equal(lines.length, 2, nodes.stdout);
    assert.ok(
      lines.every((l) => / Ready /.test(l)),
      nodes.stdout,
    );
  });

  it('loads a host image into every node; a Pod runs it without a registry', async () => {
    const load = await cli(svc.url, ['image', 'load', NAME, hello.ref]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, new RegExp(`${NAME}-master-0: loaded ${hello.ref}`));
    assert.match(load.stdout, new RegExp(`${NAME}-node-0: loaded ${hello.ref}`));
    assert.match(load.stdout, /loaded into 2 node\(s\)/);
    const run = await kubectl(
      'run',
      'hello',
      `--image=${hello.ref}`,
      '--image-pull-policy=Never',
      '--restart=Never',
      '--overrides={"spec":{"nodeSelector":{"magnum.openstack.org/role":"worker"}}}',
    );
    assert.equal(run.code, 0, run.stderr);
    const phase = await eventually(
      'the hello pod has finished',
      async () => {
        const p = await kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}');
        return p.stdout === 'Succeeded' || p.stdout === 'Failed' ? p.stdout : undefined;
      },
      120_000,
      1_000,
    );
    const logs = await kubectl('logs', 'hello');
    assert.equal(phase, 'Succeeded', logs.stdout + logs.stderr);
    assert.equal(logs.stdout.trim(), hello.greeting);
  });

  it('refuses an image the host does not have, naming it', async () => {
    const load = await cli(svc.url, ['image', 'load', NAME, 'magnetar-test/absent:0']);
    assert.equal(load.code, 1);
    assert.match(load.stderr, /image magnetar-test\/absent:0 is not in the host's Docker engine/);
  });

  it('deletes the cluster, leaving nothing labelled with it', async () => {
    const d = await cli(svc.url, ['cluster-delete', NAME, '--wait'], 300_000);
    assert.equal(d.code, 0, d.stderr);
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    assert.equal((await host.listContainers(f)).length, 0);
    assert.equal((await host.listVolumes(f)).length, 0);
    assert.equal((await host.listNetworks(f)).length, 0);
  });
});
