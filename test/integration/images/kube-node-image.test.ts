/**
 * @module test/integration/images/kube-node-image — the built `magnetar/k8s-node:<kube_tag>` images hold what
 * NODE-CONVENTION.md says: labels, entrypoint, the stamped binaries that run, the preloaded image tars with their
 * references, the version files and the Debian tools. Each check runs in a throwaway container on the host engine.
 * The image is built by `magnetar image build --coe kubernetes` (not by the suite: it takes tens of minutes); a tag
 * whose image is not built is skipped with that command as the reason.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  ADDON_VERSIONS,
  INPUTS_LABEL,
  KUBE_VERSION_LABEL,
  NODE_IMAGE_LABEL,
  PRELOADED_IMAGES,
  RECIPE_LABEL,
  kubeImageBuildCommand,
  kubeNodeImage,
  supportedKubeTags,
} from '../../../src/core/kube-versions.ts';
import { kubeImageRecipe } from '../../../src/images/kube-recipe.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { REPO } from '../../helpers/service-process.ts';

const SOCKET = '/var/run/docker.sock';
const LABEL = 'magnetar.test';
const run = randomBytes(4).toString('hex');
const engine = existsSync(SOCKET) ? new Engine({ socketPath: SOCKET }) : null;

/** Runs `script` with sh in a throwaway container of `image`; returns its exit code and output. */
async function runOnce(e: Engine, image: string, script: string): Promise<{ code: number; out: string }> {
  const name = `magnetar-image-check-${run}-${randomBytes(3).toString('hex')}`;
  const { Id } = await e.createContainer(name, {
    Image: image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [script],
    Tty: true,
    Labels: { [LABEL]: `image-check-${run}` },
  });
  try {
    await e.startContainer(Id);
    const waited = await e.request<{ StatusCode: number }>('POST', `/containers/${Id}/wait`, { timeoutMs: 120_000 });
    const logs = await e.requestRaw('GET', `/containers/${Id}/logs`, { query: { stdout: 1, stderr: 1 } });
    return { code: waited.StatusCode, out: logs.body.toString('utf8').replace(/\r\n/g, '\n') };
  } finally {
    await e.removeContainer(Id);
  }
}

for (const tag of supportedKubeTags()) {
  const image = kubeNodeImage(tag);
  const built = engine ? await engine.inspectImage(image) : null;
  const skip = !engine
    ? `no Docker engine socket at ${SOCKET}`
    : !built
      ? `${image} is not built (${kubeImageBuildCommand(tag)})`
      : false;

  void describe(`node image ${image}`, { skip, timeout: 300_000 }, () => {
    const e = engine as Engine;
    before(() => assert.ok(built));
    after(async () => {
      for (const c of await e.listContainers([`${LABEL}=image-check-${run}`])) await e.removeContainer(c.Id);
    });

    it('carries the node-image labels and the node init entrypoint', async () => {
      const labels = built?.Config?.Labels ?? {};
      assert.equal(labels.os_distro, 'debian');
      assert.equal(labels[NODE_IMAGE_LABEL], 'kubernetes');
      assert.equal(labels[KUBE_VERSION_LABEL], tag);
      assert.match(labels[INPUTS_LABEL] ?? '', /^[0-9a-f]{16}$/);
      // built from these sources (scripts/test.sh brings it up to date with --if-missing, which reads this label)
      assert.equal(labels[RECIPE_LABEL], await kubeImageRecipe(REPO, tag));
      assert.deepEqual(built?.Config?.Entrypoint, ['/usr/local/sbin/magnetar-node-init']);
    });

    it('runs the stamped Kubernetes components, etcd and flanneld', async () => {
      const r = await runOnce(
        e,
        image,
        'set -e; for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do ' +
          'echo "$c: $(/opt/k8s/bin/$c --version)"; done; ' +
          'echo "kubectl: $(kubectl version --client | head -n1)"; ' +
          'etcd --version | head -n1; etcdctl version | head -n1; echo "flanneld: $(flanneld --version 2>&1)"',
      );
      assert.equal(r.code, 0, r.out);
      for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy']) {
        assert.match(r.out, new RegExp(`^${c}: Kubernetes ${tag.replace(/\./g, '\\.')}$`, 'm'));
      }
      assert.match(r.out, new RegExp(`^kubectl: Client Version: ${tag.replace(/\./g, '\\.')}$`, 'm'));
      const etcd = ADDON_VERSIONS.etcd.slice(1).replace(/\./g, '\\.');
      assert.match(r.out, new RegExp(`^etcd Version: ${etcd}$`, 'm'));
      assert.match(r.out, new RegExp(`^etcdctl version: ${etcd}$`, 'm'));
      assert.match(r.out, new RegExp(`^flanneld: ${ADDON_VERSIONS.flannel.replace(/\./g, '\\.')}$`, 'm'));
    });

    it('preloads the container image tars under their magnetar.local references', async () => {
      const r = await runOnce(
        e,
        image,
        'set -e; cd /opt/k8s/images; for t in *.tar; do echo "$t $(tar -xOf "$t" manifest.json)"; done',
      );
      assert.equal(r.code, 0, r.out);
      const files: Record<string, string> = {
        'pause.tar': PRELOADED_IMAGES.pause,
        'coredns.tar': PRELOADED_IMAGES.coredns,
        'metrics-server.tar': PRELOADED_IMAGES.metricsServer,
        'busybox.tar': PRELOADED_IMAGES.busybox,
      };
      for (const [file, ref] of Object.entries(files)) {
        const line = r.out.split('\n').find((l) => l.startsWith(`${file} `));
        assert.ok(line, `${file} in /opt/k8s/images: ${r.out}`);
        const manifest = JSON.parse(line.slice(file.length + 1)) as Array<{ RepoTags: string[] }>;
        assert.deepEqual(manifest[0]?.RepoTags, [ref]);
      }
    });

    it('has the version files, the node scripts and the Debian tools a node uses', async () => {
      const r = await runOnce(
        e,
        image,
        'set -e; cat /opt/k8s/VERSION; cat /opt/k8s/versions.env; ' +
          'test -x /usr/local/sbin/magnetar-node-init; test -x /usr/local/sbin/magnetar-supervise; ' +
          'containerd --version; runc --version | head -n1; ctr --version; test -x /usr/lib/cni/bridge; ' +
          'test -x /usr/lib/cni/host-local; test -x /usr/lib/cni/loopback; iptables --version; ' +
          'conntrack --version; command -v ipset; ebtables --version; ip -V; socat -V | head -n2 | tail -n1; ' +
          'openssl version; curl --version | head -n1; ps --version; echo ALL-PRESENT',
      );
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`^${tag.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(r.out, new RegExp(`^KUBE_VERSION=${tag.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(r.out, new RegExp(`^PAUSE_IMAGE=${PRELOADED_IMAGES.pause.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(r.out, /^iptables v1\.8\.\d+ \(nf_tables\)$/m);
      assert.match(r.out, /^containerd /m);
      assert.match(r.out, /^ALL-PRESENT$/m);
    });
  });
}

after(() => engine?.close());
