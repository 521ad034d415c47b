/**
 * @module test/unit/drivers/kubernetes/payload — a node's cloud-init user-data: the files it writes, their modes, the
 * daemons' configuration and service scripts (checked by `sh -n`, the CNI conflist step run for real), and the boot
 * commands.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { createCa, issueClientCert, issueServerCert, type KeyPairPem } from '../../../../src/certs/x509.ts';
import { controlPlane } from '../../../../src/drivers/kubernetes/control-plane.ts';
import { nodeLabels, selfLabels } from '../../../../src/drivers/kubernetes/addons.ts';
import {
  issueMasterCerts,
  issueNodeCerts,
  newClusterSecret,
  type ClusterCaIssuer,
  type ClusterSecrets,
} from '../../../../src/drivers/kubernetes/pki.ts';
import {
  nodeCloudConfig,
  type NodeCloudConfig as CloudConfig,
  type NodePayloadInput,
} from '../../../../src/drivers/kubernetes/payload.ts';
import { parseUserData, renderRuncmd, renderUserData } from '../../../../src/providers/cloud-config.ts';
import { kubeSettings, type KubeSettings } from '../../../../src/drivers/kubernetes/settings.ts';

const MASTER = { hostname: 'demo-master-0', ip: '10.20.0.10', master: true };
const WORKER = { hostname: 'demo-node-0', ip: '10.20.0.20', master: false };
const API = 'https://10.20.0.10:6443';
const SINGLE = controlPlane({ masters: [MASTER], balancer: null, etcdStart: 'new', etcdToken: 'uuid-1' });

function issuerOf(ca: KeyPairPem): ClusterCaIssuer {
  return {
    caPem: ca.certPem,
    server: (commonName, dnsNames, ipAddresses) => issueServerCert(ca, { commonName, dnsNames, ipAddresses }),
    client: (commonName, organization) =>
      issueClientCert(ca, { commonName, ...(organization ? { organization } : {}) }),
  };
}

const byPath = (cfg: CloudConfig): Map<string, { content: string; permissions?: string }> =>
  new Map(cfg.write_files.map((f) => [f.path, f]));

function content(cfg: CloudConfig, path: string): string {
  const f = byPath(cfg).get(path);
  assert.ok(f, `${path} is written`);
  return f.content;
}

void describe('node payload', () => {
  let ca: KeyPairPem;
  let secrets: ClusterSecrets;
  let s: KubeSettings;
  let master: CloudConfig;
  let worker: CloudConfig;
  before(async () => {
    ca = await createCa({ commonName: 'demo' });
    secrets = {
      etcdCa: await newClusterSecret('etcdCa', 'demo'),
      frontProxyCa: await newClusterSecret('frontProxyCa', 'demo'),
      serviceAccount: await newClusterSecret('serviceAccount', 'demo'),
    };
    s = kubeSettings(
      { kubelet_options: '--max-pods=30', kubeapi_options: '--audit-log-maxage=3', flannel_backend: 'host-gw' },
      { networkDriver: 'flannel' },
    );
    const issuer = issuerOf(ca);
    const base = (node: typeof MASTER, group: { name: string; role: string }): Omit<NodePayloadInput, 'certs'> => ({
      node,
      labels: selfLabels(nodeLabels(group)),
      controlPlane: SINGLE,
      settings: s,
      caPem: ca.certPem,
      resolvers: ['10.255.255.53', '127.0.0.11'],
    });
    master = nodeCloudConfig({
      ...base(MASTER, { name: 'default-master', role: 'master' }),
      certs: await issueNodeCerts(issuer, MASTER),
      master: { certs: await issueMasterCerts(issuer, secrets, MASTER, s), secrets },
    });
    worker = nodeCloudConfig({
      ...base(WORKER, { name: 'default-worker', role: 'worker' }),
      certs: await issueNodeCerts(issuer, WORKER),
    });
  });

  void test('user-data is a #cloud-config document that parses back to the same data', () => {
    const text = renderUserData(worker);
    assert.ok(text.startsWith('#cloud-config\n'));
    assert.deepEqual(
      parseUserData(text).write_files?.map((f) => [f.path, f.content, f.permissions]),
      worker.write_files.map((f) => [f.path, f.content, f.permissions]),
    );
    assert.deepEqual(parseUserData(text).runcmd, worker.runcmd);
  });

  void test('a worker runs containerd, flanneld, kubelet and kube-proxy; a master adds etcd and the control plane', () => {
    const services = (cfg: CloudConfig): string[] =>
      cfg.write_files
        .map((f) => f.path)
        .filter((p) => p.startsWith('/etc/magnetar/services/'))
        .map((p) => p.slice('/etc/magnetar/services/'.length))
        .sort();
    assert.deepEqual(services(worker), ['10-containerd', '40-flanneld', '50-kubelet', '60-kube-proxy']);
    assert.deepEqual(services(master), [
      '10-containerd',
      '20-etcd',
      '30-kube-apiserver',
      '31-kube-controller-manager',
      '32-kube-scheduler',
      '40-flanneld',
      '50-kubelet',
      '60-kube-proxy',
    ]);
    assert.equal(byPath(worker).has('/etc/kubernetes/pki/apiserver.key'), false, 'no control-plane key on a worker');
    assert.equal(byPath(worker).has('/etc/kubernetes/pki/sa.key'), false);
  });

  void test('private keys and kubeconfigs are 0600, scripts 0755, the rest 0644; no CA key anywhere', () => {
    for (const f of [...master.write_files, ...worker.write_files]) {
      const secret = /PRIVATE KEY|client-key-data/.test(f.content);
      if (f.path.startsWith('/etc/magnetar/services/')) assert.equal(f.permissions, '0755', f.path);
      else assert.equal(f.permissions, secret ? '0600' : '0644', f.path);
      assert.ok(!f.content.includes(ca.keyPem.trim().split('\n')[1] as string), `${f.path} holds no cluster CA key`);
      assert.ok(!f.content.includes(secrets.etcdCa.keyPem.trim().split('\n')[1] as string), `${f.path}: etcd CA key`);
    }
  });

  void test('kubeconfigs embed the cluster CA and the identity, against the right server', () => {
    const kubelet = parse(content(worker, '/etc/kubernetes/kubelet.conf')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { name: string; user: { 'client-certificate-data': string } }[];
    };
    assert.equal(kubelet.clusters[0]?.cluster.server, API);
    assert.equal(
      Buffer.from(kubelet.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(),
      ca.certPem,
    );
    assert.equal(kubelet.users[0]?.name, 'system:node:demo-node-0');
    const scheduler = parse(content(master, '/etc/kubernetes/scheduler.conf')) as typeof kubelet;
    assert.equal(scheduler.clusters[0]?.cluster.server, 'https://127.0.0.1:6443');
  });

  void test('kubelet configuration: the settings essential in a container', () => {
    const k = parse(content(master, '/var/lib/kubelet/config.yaml')) as Record<string, unknown>;
    assert.equal(k.cgroupDriver, 'cgroupfs');
    assert.equal(k.failCgroupV1, false);
    assert.equal(k.resolvConf, '/etc/kubernetes/resolv.conf');
    assert.deepEqual(k.clusterDNS, ['10.254.0.10']);
    assert.equal(k.clusterDomain, 'cluster.local');
    assert.equal(k.imageGCHighThresholdPercent, 100);
    assert.equal((k.evictionHard as Record<string, string>)['nodefs.available'], '0%');
    assert.deepEqual(k.registerWithTaints, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    const w = parse(content(worker, '/var/lib/kubelet/config.yaml')) as Record<string, unknown>;
    assert.equal(w.registerWithTaints, undefined);
    assert.equal(content(worker, '/etc/kubernetes/resolv.conf'), 'nameserver 10.255.255.53\n');
  });

  void test('containerd, kube-proxy and flannel configuration', () => {
    const c = content(worker, '/etc/containerd/config.toml');
    assert.match(c, /sandbox_image = "magnetar.local\/pause:3.10"/);
    assert.match(c, /SystemdCgroup = false/);
    assert.match(c, /restrict_oom_score_adj = true/);
    const p = parse(content(worker, '/etc/kubernetes/kube-proxy.yaml')) as Record<string, unknown>;
    assert.equal(p.mode, 'iptables');
    assert.equal(p.clusterCIDR, '10.100.0.0/16');
    assert.deepEqual(p.conntrack, { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' });
    assert.deepEqual(JSON.parse(content(worker, '/etc/kube-flannel/net-conf.json')), {
      Network: '10.100.0.0/16',
      SubnetLen: 24,
      Backend: { Type: 'host-gw' },
    });
  });

  void test('service scripts are valid sh; flags and labels are where they belong', () => {
    for (const f of [...master.write_files, ...worker.write_files].filter((x) => x.path.startsWith('/etc/magnetar/')))
      execFileSync('sh', ['-n'], { input: f.content });
    const kubelet = content(worker, '/etc/magnetar/services/50-kubelet');
    assert.match(kubelet, /--hostname-override=demo-node-0/);
    assert.match(kubelet, /--node-ip=10.20.0.20/);
    assert.match(
      kubelet,
      /--node-labels=magnum.openstack.org\/nodegroup=default-worker,magnum.openstack.org\/role=worker \\/,
    );
    assert.match(kubelet, /--max-pods=30\n/, 'kubelet_options come last');
    assert.doesNotMatch(kubelet, /node-role/);
    const apiserver = content(master, '/etc/magnetar/services/30-kube-apiserver');
    assert.match(apiserver, /--service-cluster-ip-range=10.254.0.0\/16/);
    assert.match(apiserver, /--etcd-servers=https:\/\/127.0.0.1:2379/);
    assert.match(apiserver, /--authorization-mode=Node,RBAC/);
    assert.match(apiserver, /--audit-log-maxage=3\n/);
    const cm = content(master, '/etc/magnetar/services/31-kube-controller-manager');
    assert.match(cm, /--allocate-node-cidrs=true/);
    assert.match(cm, /--cluster-cidr=10.100.0.0\/16/);
    assert.match(cm, /--node-cidr-mask-size=24/);
    assert.match(content(master, '/etc/magnetar/services/20-etcd'), /--client-cert-auth=true/);
  });

  void test('the flanneld service writes a bridge conflist from subnet.env (run for real)', () => {
    const script = content(worker, '/etc/magnetar/services/40-flanneld');
    const start = script.indexOf('if [ -s /run/flannel/subnet.env ]; then');
    const end = script.indexOf('\nfi\n', start);
    const dir = mkdtempSync(join(tmpdir(), 'flannel-'));
    try {
      writeFileSync(
        join(dir, 'subnet.env'),
        'FLANNEL_NETWORK=10.100.0.0/16\nFLANNEL_SUBNET=10.100.3.1/25\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
      );
      const fragment = script
        .slice(start, end + 4)
        .replaceAll('/run/flannel/subnet.env', join(dir, 'subnet.env'))
        .replaceAll('/etc/cni/net.d/10-flannel.conflist', join(dir, 'out.conflist'));
      execFileSync('sh', ['-c', fragment]);
      const conf = JSON.parse(readFileSync(join(dir, 'out.conflist'), 'utf8')) as {
        plugins: { type: string; mtu?: number; ipam?: { ranges: { subnet: string }[][] } }[];
      };
      assert.equal(conf.plugins[0]?.type, 'bridge');
      assert.equal(conf.plugins[0]?.mtu, 1450);
      assert.deepEqual(conf.plugins[0]?.ipam?.ranges, [[{ subnet: '10.100.3.0/25' }]]);
      assert.equal(conf.plugins[1]?.type, 'portmap');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('boot: containerd first, images imported into k8s.io, then every service', () => {
    const cmds = worker.runcmd.map((c) => (typeof c === 'string' ? c : c.join(' ')));
    const at = (re: RegExp): number => cmds.findIndex((c) => re.test(c));
    assert.ok(at(/magnetar-supervise start 10-containerd$/) >= 0);
    assert.ok(at(/ctr -n k8s.io images import/) > at(/magnetar-supervise start 10-containerd$/));
    assert.ok(at(/magnetar-supervise start$/) > at(/ctr -n k8s.io images import/));
    execFileSync('sh', ['-n'], { input: renderRuncmd(worker.runcmd) });
    assert.ok(master.runcmd.some((c) => typeof c === 'string' && c.includes('/var/lib/etcd')));
  });

  void test('a master without its control-plane certificates is a programming error', async () => {
    const certs = await issueNodeCerts(issuerOf(ca), MASTER);
    assert.throws(
      () =>
        nodeCloudConfig({
          node: MASTER,
          labels: {},
          controlPlane: SINGLE,
          settings: s,
          caPem: ca.certPem,
          certs,
          resolvers: [],
        }),
      /needs its control-plane certificates/,
    );
  });
});
