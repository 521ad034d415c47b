/**
 * @module test/unit/drivers/kubernetes/control-plane — the control plane of a (highly available) cluster: the one
 * address nodes use, the apiserver SANs, etcd's initial cluster and quorum, every master's payload; and the etcd
 * service script run for real with a stand-in etcdctl and etcd (a member that lost its data leaves and joins again).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { createCa, issueClientCert, issueServerCert } from '../../../../src/certs/x509.ts';
import {
  apiServerUrl,
  apiserverSans,
  controlPlane,
  etcdInitialCluster,
  etcdQuorum,
  type ControlPlane,
} from '../../../../src/drivers/kubernetes/control-plane.ts';
import { nodeCloudConfig } from '../../../../src/drivers/kubernetes/payload.ts';
import {
  issueMasterCerts,
  issueNodeCerts,
  newClusterSecret,
  type ClusterCaIssuer,
  type ClusterSecrets,
} from '../../../../src/drivers/kubernetes/pki.ts';
import { etcdService } from '../../../../src/drivers/kubernetes/services.ts';
import { kubeSettings } from '../../../../src/drivers/kubernetes/settings.ts';

const MASTERS = [0, 1, 2].map((i) => ({ hostname: `ha-master-${i}`, ip: `10.20.0.${10 + i}` }));
const LB = { address: '10.20.0.5', port: 6443, altNames: ['127.0.0.1'] };
const ha = (etcdStart: 'new' | 'existing'): ControlPlane =>
  controlPlane({ masters: MASTERS, balancer: LB, etcdStart, etcdToken: 'c0ffee' });

void describe('control plane', () => {
  void test('with a load balancer every node reaches the API servers at its address', () => {
    const cp = ha('new');
    assert.equal(apiServerUrl(cp), 'https://10.20.0.5:6443');
    assert.deepEqual(cp.sans, { ips: ['10.20.0.5', '127.0.0.1'], dnsNames: [] });
  });

  void test('without one, at the only master', () => {
    const cp = controlPlane({ masters: [MASTERS[0]!], balancer: null, etcdStart: 'new', etcdToken: 'x' });
    assert.equal(apiServerUrl(cp), 'https://10.20.0.10:6443');
    assert.deepEqual(cp.sans, { ips: [], dnsNames: [] });
    assert.throws(() => controlPlane({ masters: [], balancer: null, etcdStart: 'new', etcdToken: 'x' }), RangeError);
  });

  void test('apiserver SANs: no duplicates, own names first', () => {
    const sans = apiserverSans(ha('new'), MASTERS[0]!, { apiServiceIp: '10.254.0.1', clusterDomain: 'cluster.local' });
    assert.deepEqual(sans.ips, ['127.0.0.1', '10.20.0.10', '10.254.0.1', '10.20.0.11', '10.20.0.12', '10.20.0.5']);
    assert.equal(new Set(sans.dnsNames).size, sans.dnsNames.length);
    assert.deepEqual(sans.dnsNames.slice(-3), ['ha-master-0', 'ha-master-1', 'ha-master-2']);
  });

  void test('etcd: every member in the initial cluster, quorum of odd and even counts', () => {
    assert.equal(
      etcdInitialCluster(ha('new')),
      'ha-master-0=https://10.20.0.10:2380,ha-master-1=https://10.20.0.11:2380,ha-master-2=https://10.20.0.12:2380',
    );
    assert.deepEqual(etcdQuorum(1), { quorum: 1, tolerates: 0 });
    assert.deepEqual(etcdQuorum(2), { quorum: 2, tolerates: 0 });
    assert.deepEqual(etcdQuorum(3), { quorum: 2, tolerates: 1 });
    assert.deepEqual(etcdQuorum(4), { quorum: 3, tolerates: 1 });
    assert.deepEqual(etcdQuorum(5), { quorum: 3, tolerates: 2 });
  });
});

void describe('HA master payload', () => {
  let ca: Awaited<ReturnType<typeof createCa>>;
  let secrets: ClusterSecrets;
  let issuer: ClusterCaIssuer;
  const s = kubeSettings({}, { networkDriver: 'flannel' });
  before(async () => {
    ca = await createCa({ commonName: 'ha' });
    secrets = {
      etcdCa: await newClusterSecret('etcdCa', 'ha'),
      frontProxyCa: await newClusterSecret('frontProxyCa', 'ha'),
      serviceAccount: await newClusterSecret('serviceAccount', 'ha'),
    };
    issuer = {
      caPem: ca.certPem,
      server: (commonName, dnsNames, ipAddresses) => issueServerCert(ca, { commonName, dnsNames, ipAddresses }),
      client: (commonName, organization) =>
        issueClientCert(ca, { commonName, ...(organization ? { organization } : {}) }),
    };
  });

  const payloadOf = async (node: (typeof MASTERS)[number], cp: ControlPlane): Promise<Map<string, string>> => {
    const cfg = nodeCloudConfig({
      node: { ...node, master: true },
      labels: {},
      controlPlane: cp,
      settings: s,
      caPem: ca.certPem,
      certs: await issueNodeCerts(issuer, node),
      master: { certs: await issueMasterCerts(issuer, secrets, node, s, cp), secrets },
      resolvers: [],
    });
    return new Map(cfg.write_files.map((f) => [f.path, f.content]));
  };

  void test('every master runs the whole control plane; node daemons use the load balancer, control-plane daemons the local apiserver', async () => {
    for (const m of MASTERS) {
      const files = await payloadOf(m, ha('new'));
      for (const svc of ['20-etcd', '30-kube-apiserver', '31-kube-controller-manager', '32-kube-scheduler'])
        assert.ok(files.has(`/etc/magnetar/services/${svc}`), `${m.hostname} runs ${svc}`);
      const server = (path: string): string =>
        (parse(files.get(path) ?? '') as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;
      assert.equal(server('/etc/kubernetes/kubelet.conf'), 'https://10.20.0.5:6443');
      assert.equal(server('/etc/kubernetes/kube-proxy.conf'), 'https://10.20.0.5:6443');
      assert.equal(server('/etc/kubernetes/cni.conf'), 'https://10.20.0.5:6443');
      assert.equal(server('/etc/kubernetes/controller-manager.conf'), 'https://127.0.0.1:6443');
      assert.match(files.get('/etc/magnetar/services/31-kube-controller-manager') ?? '', /--leader-elect=true/);
      assert.match(files.get('/etc/magnetar/services/32-kube-scheduler') ?? '', /--leader-elect=true/);
      const api = files.get('/etc/magnetar/services/30-kube-apiserver') ?? '';
      assert.match(api, new RegExp(`--advertise-address=${m.ip.replaceAll('.', '\\.')} `));
      assert.match(api, /--etcd-servers=https:\/\/127\.0\.0\.1:2379 /, 'each apiserver uses its own member');
      assert.match(api, /--shutdown-delay-duration=7s/, 'behind the load balancer it drains on SIGTERM');
      const etcd = files.get('/etc/magnetar/services/20-etcd') ?? '';
      assert.match(
        etcd,
        /initial=ha-master-0=https:\/\/10\.20\.0\.10:2380,ha-master-1=.*,ha-master-2=https:\/\/10\.20\.0\.12:2380/,
      );
      assert.match(etcd, /--initial-cluster-token=c0ffee/);
      assert.doesNotMatch(etcd, /member add/, 'a new control plane forms the cluster together');
      execFileSync('sh', ['-n'], { input: etcd });
    }
  });
});

/** Runs the etcd service script with stand-ins for etcdctl and etcd under `dir`; returns what etcd was started with. */
void describe('etcd service script (run for real)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-script-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (
    cp: ControlPlane,
    node: (typeof MASTERS)[number],
    members: string[],
    opts: { hasData: boolean },
  ): { argv: string[]; calls: string[]; members: string[] } => {
    const root = mkdtempSync(join(dir, 'run-'));
    const data = join(root, 'data');
    mkdirSync(join(root, 'bin'));
    if (opts.hasData) mkdirSync(join(data, 'member'), { recursive: true });
    writeFileSync(join(root, 'members'), members.map((m) => `${m}\n`).join(''));
    // etcdctl: `member list` prints the table; `member remove ID` and `member add NAME --peer-urls=URL` change it.
    writeFileSync(
      join(root, 'bin', 'etcdctl'),
      [
        '#!/bin/sh',
        `M=${root}/members`,
        'for a in "$@"; do case "$a" in --endpoints=* | --cacert=* | --cert=* | --key=* | --*-timeout=*) ;; *) set -- "$@" "$a" ;; esac; shift; done',
        `echo "$*" >> ${root}/calls`,
        'case "$1 $2" in',
        '  "member list") cat "$M" ;;',
        '  "member remove") grep -v "^$3, " "$M" > "$M.new"; mv "$M.new" "$M" ;;',
        '  "member add") echo "feed$(wc -l < "$M"), unstarted, , ${4#*=}, , false" >> "$M" ;;',
        'esac',
      ].join('\n'),
    );
    writeFileSync(join(root, 'bin', 'etcd'), `#!/bin/sh\nfor a in "$@"; do echo "$a"; done > ${root}/argv\n`);
    chmodSync(join(root, 'bin', 'etcdctl'), 0o755);
    chmodSync(join(root, 'bin', 'etcd'), 0o755);
    const script = etcdService(node, cp)
      .content.replaceAll('/var/lib/etcd', data)
      .replaceAll('/opt/k8s/bin/', `${root}/bin/`);
    execFileSync('sh', ['-c', script]);
    const read = (f: string): string[] => {
      try {
        return readFileSync(join(root, f), 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    return { argv: read('argv'), calls: read('calls'), members: read('members') };
  };

  const row = (id: string, m: (typeof MASTERS)[number]): string =>
    `${id}, started, ${m.hostname}, https://${m.ip}:2380, https://${m.ip}:2379, false`;
  const ALL = [row('a1', MASTERS[0]!), row('b2', MASTERS[1]!), row('c3', MASTERS[2]!)];

  void test('a new control plane: every member from the flags, state new, etcdctl never asked', () => {
    const r = run(ha('new'), MASTERS[1]!, ALL, { hasData: false });
    assert.ok(r.argv.includes(`--initial-cluster=${etcdInitialCluster(ha('new'))}`), r.argv.join(' '));
    assert.ok(r.argv.includes('--initial-cluster-state=new'));
    assert.ok(r.argv.includes('--name=ha-master-1'));
    assert.deepEqual(r.calls, []);
  });

  void test('a master made again on its kept data starts as the same member, asking nobody', () => {
    const r = run(ha('existing'), MASTERS[1]!, ALL, { hasData: true });
    assert.ok(r.argv.includes('--initial-cluster-state=new'), 'data that exists wins over the flags');
    assert.deepEqual(r.calls, []);
  });

  void test('a master whose data is gone: the lost member is removed, added again, and started as existing', () => {
    const r = run(ha('existing'), MASTERS[1]!, ALL, { hasData: false });
    assert.deepEqual(r.calls, [
      'member list',
      'member remove b2',
      'member add ha-master-1 --peer-urls=https://10.20.0.11:2380',
      'member list',
    ]);
    assert.ok(r.argv.includes('--initial-cluster-state=existing'), r.argv.join(' '));
    assert.ok(
      r.argv.includes(
        '--initial-cluster=ha-master-0=https://10.20.0.10:2380,ha-master-2=https://10.20.0.12:2380,ha-master-1=https://10.20.0.11:2380',
      ),
      r.argv.join(' '),
    );
    assert.equal(r.members.length, 3);
  });

  void test('an earlier attempt added the member but died before it started: it starts as that member', () => {
    const added = [ALL[0]!, ALL[2]!, 'd4, unstarted, , https://10.20.0.11:2380, , false'];
    const r = run(ha('existing'), MASTERS[1]!, added, { hasData: false });
    assert.deepEqual(r.calls, ['member list', 'member list']);
    assert.ok(r.argv.includes('--initial-cluster-state=existing'));
  });

  void test('on SIGTERM a member hands leadership to another started member, outlives its own apiserver (which drains through the load balancer), then stops', async () => {
    const root = mkdtempSync(join(dir, 'term-'));
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'data', 'member'), { recursive: true });
    writeFileSync(join(root, 'bin', 'etcd'), `#!/bin/sh\necho $$ > ${root}/etcd.pid\nexec sleep 60\n`);
    chmodSync(join(root, 'bin', 'etcd'), 0o755);
    const [m0, m1, m2] = [MASTERS[0]!, MASTERS[1]!, MASTERS[2]!];
    writeFileSync(
      join(root, 'bin', 'etcdctl'),
      [
        '#!/bin/sh',
        'for a in "$@"; do case "$a" in --*) ;; *) set -- "$@" "$a" ;; esac; shift; done',
        `echo "$*" >> ${root}/calls`,
        'if [ "$1" = "member" ]; then',
        `  echo "aaa1, started, ${m0.hostname}, https://${m0.ip}:2380, https://${m0.ip}:2379, false"`,
        `  echo "bbb2, unstarted, , https://${m1.ip}:2380, , false"`,
        `  echo "ccc3, started, ${m2.hostname}, https://${m2.ip}:2380, https://${m2.ip}:2379, false"`,
        'fi',
        '',
      ].join('\n'),
    );
    chmodSync(join(root, 'bin', 'etcdctl'), 0o755);
    const script = etcdService(MASTERS[0]!, ha('new'))
      .content.replaceAll('/var/lib/etcd', join(root, 'data'))
      .replaceAll('/opt/k8s/bin/', `${root}/bin/`)
      .replaceAll('/run/magnetar/', `${root}/`);
    const apiserver = spawn('sleep', ['60']);
    writeFileSync(join(root, '30-kube-apiserver.pid'), `${apiserver.pid}\n`);
    const sh = spawn('sh', ['-c', script], { stdio: 'ignore' });
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const etcdPid = async (): Promise<number> => {
      for (let i = 0; i < 100; i++) {
        try {
          return Number(readFileSync(join(root, 'etcd.pid'), 'utf8'));
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error('etcd did not start');
    };
    const etcd = await etcdPid();
    const exited = new Promise<number | null>((r) => sh.on('exit', (code) => r(code)));
    sh.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(alive(etcd), 'etcd serves while its apiserver still runs');
    assert.deepEqual(
      readFileSync(join(root, 'calls'), 'utf8').trim().split('\n'),
      ['member list', 'move-leader ccc3'],
      'leadership goes to a started member other than this one (a follower’s etcdctl refuses, harmlessly)',
    );
    apiserver.kill('SIGTERM');
    await exited;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(etcd), false, 'etcd stopped once its apiserver was gone');
  });

  void test('a single master has nobody to ask: it starts new', () => {
    const one = controlPlane({ masters: [MASTERS[0]!], balancer: null, etcdStart: 'existing', etcdToken: 't' });
    const r = run(one, MASTERS[0]!, [], { hasData: false });
    assert.ok(r.argv.includes('--initial-cluster-state=new'));
    assert.deepEqual(r.calls, []);
  });
});
