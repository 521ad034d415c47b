/**
 * @module test/unit/drivers/kubernetes/ca-rotate — the in-place CA rotation of a Kubernetes cluster: which files and
 * restarts each stage has, the node scripts (checked by sh -n), and the order over nodes with progress read from the
 * nodes' stamps (fresh, resumed, failed), against fake nodes that keep their stamp as the real script does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { createCa } from '../../../../src/certs/x509.ts';
import {
  caBundle,
  caFingerprint,
  caMark,
  needs,
  rotateCa,
  ROTATION_LOG,
  ROTATION_STAMP,
  RUN_INPUT,
  stageFiles,
  stageRestarts,
  stageScript,
  staleCaScript,
  stampedStage,
  type RotationDeps,
  type RotationNode,
  type Stage,
} from '../../../../src/drivers/kubernetes/ca-rotate.ts';
import { DriverError } from '../../../../src/drivers/contract.ts';
import type { WriteFile } from '../../../../src/providers/cloud-config.ts';
import type { ExecOutcome, Machine } from '../../../../src/providers/contract.ts';

const file = (path: string, content = `content of ${path}`): WriteFile => ({ path, content, permissions: '0600' });
const PAYLOAD: WriteFile[] = [
  file('/etc/kubernetes/pki/ca.crt'),
  file('/etc/kubernetes/pki/apiserver.crt'),
  file('/etc/kubernetes/pki/apiserver.key'),
  file('/etc/kubernetes/pki/apiserver-kubelet-client.crt'),
  file('/etc/kubernetes/pki/apiserver-kubelet-client.key'),
  file('/etc/kubernetes/pki/etcd/server.crt'),
  file('/etc/kubernetes/pki/sa.key'),
  file('/var/lib/kubelet/pki/kubelet.crt'),
  file('/etc/kubernetes/kubelet.conf'),
  file('/etc/kubernetes/admin.conf'),
  file('/etc/kubernetes/resolv.conf'),
  file('/etc/magnetar/services/50-kubelet'),
  file('/var/lib/kubelet/config.yaml'),
];

const machine = (name: string, role: 'master' | 'worker'): Machine => ({
  id: `id-${name}`,
  name,
  hostname: name,
  clusterUuid: 'u',
  role,
  nodegroup: role === 'master' ? 'default-master' : 'default-worker',
  index: 0,
  image: 'magnetar/k8s-node:v1.37.2',
  flavor: '',
  address: '10.0.0.2',
  state: 'running',
  status: 'running',
  endpoints: {},
});

void describe('Kubernetes ca-rotate', async () => {
  const oldCa = await createCa({ commonName: 'old' });
  const newCa = await createCa({ commonName: 'new' });
  const fp = caFingerprint(newCa.certPem);

  void describe('pieces', () => {
    test('the bundle puts the new CA first and repeats none', () => {
      const b = caBundle(newCa.certPem, oldCa.certPem + newCa.certPem);
      assert.equal(b, newCa.certPem + oldCa.certPem);
      assert.equal(caBundle(newCa.certPem, undefined), newCa.certPem);
    });

    test('a stamp counts only for the same CA', () => {
      assert.equal(stampedStage(`${fp} serve\n`, fp), 'serve');
      assert.equal(stampedStage(`0123456789abcdef done\n`, fp), undefined);
      assert.equal(stampedStage('', fp), undefined);
      assert.equal(stampedStage(`${fp} bogus`, fp), undefined);
    });

    test('stages needed: workers have no serve stage; a later stamp covers earlier stages', () => {
      assert.equal(needs(undefined, 'trust', false), true);
      assert.equal(needs('trust', 'serve', false), false);
      assert.equal(needs('trust', 'serve', true), true);
      assert.equal(needs('done', 'trust', true), false);
      assert.equal(needs('serve', 'done', true), true);
    });

    test("trust writes every certificate but the apiserver's serving and kubelet client pairs; serve only those; done all", () => {
      const paths = (s: Stage): string[] => stageFiles(PAYLOAD, s).map((f) => f.path);
      assert.deepEqual(paths('trust'), [
        '/etc/kubernetes/pki/ca.crt',
        '/etc/kubernetes/pki/etcd/server.crt',
        '/etc/kubernetes/pki/sa.key',
        '/var/lib/kubelet/pki/kubelet.crt',
        '/etc/kubernetes/kubelet.conf',
        '/etc/kubernetes/admin.conf',
      ]);
      assert.deepEqual(paths('serve'), [
        '/etc/kubernetes/pki/apiserver.crt',
        '/etc/kubernetes/pki/apiserver.key',
        '/etc/kubernetes/pki/apiserver-kubelet-client.crt',
        '/etc/kubernetes/pki/apiserver-kubelet-client.key',
      ]);
      assert.equal(paths('done').length, 10);
      assert.ok(!paths('done').includes('/etc/kubernetes/resolv.conf'));
    });

    test('restarts in turn: the control plane before the node daemons, never containerd', () => {
      const names = (s: Stage, master: boolean): string[] => stageRestarts(s, master).map((r) => r.service);
      assert.deepEqual(names('trust', true), [
        '20-etcd',
        '30-kube-apiserver',
        '31-kube-controller-manager',
        '32-kube-scheduler',
        '50-kubelet',
        '60-kube-proxy',
        '40-flanneld',
      ]);
      assert.deepEqual(names('trust', false), ['50-kubelet', '60-kube-proxy', '40-flanneld']);
      assert.deepEqual(names('serve', true), ['30-kube-apiserver']);
    });

    test('the node script is valid sh, locked, skips a stage already stamped, stamps last', () => {
      const script = stageScript({
        hostname: 'k-master-0',
        fingerprint: fp,
        stage: 'trust',
        master: true,
        files: stageFiles(PAYLOAD, 'trust'),
      });
      execFileSync('sh', ['-n'], { input: script });
      assert.match(script, /flock 9/);
      // The daemons started under the lock must not inherit it (the next stage would wait for them forever).
      assert.match(script, /magnetar-supervise start "\$1" 9>&-/);
      assert.ok(script.includes(`'${fp} trust'|'${fp} serve'|'${fp} done'`));
      assert.ok(
        script.includes(
          `w '/etc/kubernetes/pki/ca.crt' 0600 '${Buffer.from('content of /etc/kubernetes/pki/ca.crt').toString('base64')}'`,
        ),
      );
      const order = [...script.matchAll(/^restart (\S+)( 20)?$/gm)].map((m) => m[1]);
      assert.match(script, /^restart 20-etcd 20$/m);
      assert.deepEqual(
        order,
        stageRestarts('trust', true).map((r) => r.service),
      );
      assert.ok(script.lastIndexOf(ROTATION_STAMP) > script.lastIndexOf('restart 40-flanneld'));
      assert.match(script, /renewed "\$since"/);
      execFileSync('sh', ['-n'], { input: RUN_INPUT[2] });
      // The runner only runs a script that arrived whole: its last line is the end mark.
      assert.ok(script.endsWith('\n# end\n'));
      assert.ok(staleCaScript('x').endsWith('\n# end\n'));
      assert.match(RUN_INPUT[2] ?? '', /"# end"/);
    });

    test("the mark is a line of the CA's body", () => {
      assert.ok(newCa.certPem.includes(`\n${caMark(newCa.certPem)}\n`));
      assert.notEqual(caMark(newCa.certPem), caMark(oldCa.certPem));
    });
  });

  /** Fake nodes: stage scripts succeed (or fail) and stamp as the real one does; pods' stale ca.crt count given. */
  function fakeNodes(opts: { stamps?: Record<string, string>; stale?: number[]; failOn?: string } = {}) {
    const stamps = new Map(Object.entries(opts.stamps ?? {}));
    const stale = [...(opts.stale ?? [])];
    const runs: { host: string; stage: string; files: string[]; caOfFiles: string }[] = [];
    const events: string[] = [];
    let forgotten = 0;
    const nodes: RotationNode[] = [
      { machine: machine('k-master-0', 'master'), master: true },
      { machine: machine('k-node-0', 'worker'), master: false },
      { machine: machine('k-node-1', 'worker'), master: false },
    ];
    const lastCa = new Map<string, string>();
    const exec = async (m: Machine, argv: readonly string[], input?: string): Promise<ExecOutcome> => {
      if (argv[0] === 'cat') {
        const s = stamps.get(m.name);
        return s ? { exitCode: 0, stdout: s, stderr: '' } : { exitCode: 1, stdout: '', stderr: 'No such file' };
      }
      if (argv[0] === 'tail')
        return { exitCode: 0, stdout: '[ca-rotate] the kubelet not back after 120s\n', stderr: '' };
      assert.deepEqual(argv, RUN_INPUT);
      if (input?.includes('kubernetes.io~projected'))
        return { exitCode: 0, stdout: `${stale.shift() ?? 0}\n`, stderr: '' };
      const stage = /^printf '%s\\n' '(\S+) (\S+)'/m.exec(input ?? '')?.[2] as string;
      const key = `${m.hostname} ${stage}`;
      if (opts.failOn === key) return { exitCode: 1, stdout: '', stderr: '' };
      runs.push({
        host: m.hostname,
        stage,
        files: [...(input ?? '').matchAll(/^w '(\S+)'/gm)].map((x) => x[1] as string),
        caOfFiles: lastCa.get(m.name) ?? '',
      });
      stamps.set(m.name, `${fp} ${stage}\n`);
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const deps: RotationDeps = {
      nodes,
      caPem: newCa.certPem,
      previousCaPem: oldCa.certPem,
      files: async (n, caPem) => {
        lastCa.set(n.machine.name, caPem);
        return PAYLOAD;
      },
      exec,
      forgetPreviousCa: async () => {
        forgotten++;
      },
      event: async (message) => {
        events.push(message);
      },
      signal: new AbortController().signal,
      sleep: async () => {},
    };
    return { deps, runs, events, stamps, forgotten: () => forgotten };
  }

  test('a fresh rotation: every node trusts both, the apiserver switches, then every node drops the old CA', async () => {
    const f = fakeNodes();
    await rotateCa(f.deps);
    assert.deepEqual(
      f.runs.map((r) => `${r.host} ${r.stage}`),
      [
        'k-master-0 trust',
        'k-node-0 trust',
        'k-node-1 trust',
        'k-master-0 serve',
        'k-master-0 done',
        'k-node-0 done',
        'k-node-1 done',
      ],
    );
    const bundle = newCa.certPem + oldCa.certPem;
    assert.deepEqual(
      f.runs.map((r) => r.caOfFiles === bundle),
      [true, true, true, true, false, false, false],
    );
    assert.equal(f.runs[6]?.caOfFiles, newCa.certPem);
    assert.deepEqual(f.runs[3]?.files.length, 4);
    assert.equal(f.forgotten(), 1);
    assert.ok(f.events.some((e) => e.includes("every pod's service-account ca.crt trusts the new CA")));
    assert.match(f.events.at(-1) ?? '', /certificates of the replaced CA are refused/);
  });

  test('resumed after a kill: only what the nodes have not stamped runs; no pod wait once the apiserver switched', async () => {
    const f = fakeNodes({ stamps: { 'k-master-0': `${fp} serve\n`, 'k-node-0': `${fp} trust\n` } });
    await rotateCa(f.deps);
    assert.deepEqual(
      f.runs.map((r) => `${r.host} ${r.stage}`),
      ['k-node-1 trust', 'k-master-0 done', 'k-node-0 done', 'k-node-1 done'],
    );
    assert.ok(!f.events.some((e) => e.includes('ca.crt')));
    assert.match(f.events[0] ?? '', /resuming \(k-master-0 serve, k-node-0 trust\)/);
  });

  test("a stamp of an earlier rotation's CA counts as nothing done", async () => {
    const f = fakeNodes({ stamps: { 'k-master-0': '0123456789abcdef done\n' } });
    await rotateCa(f.deps);
    assert.equal(f.runs.length, 7);
  });

  test('all nodes done: nothing runs, the old CA is forgotten', async () => {
    const done = `${fp} done\n`;
    const f = fakeNodes({ stamps: { 'k-master-0': done, 'k-node-0': done, 'k-node-1': done } });
    await rotateCa(f.deps);
    assert.equal(f.runs.length, 0);
    assert.equal(f.forgotten(), 1);
  });

  test('the apiserver switches only once every pod has the new CA (polled)', async () => {
    const f = fakeNodes({ stale: [2, 1, 0, 1, 0, 0, 0, 0, 0] });
    await rotateCa(f.deps);
    assert.equal(f.runs[3]?.stage, 'serve');
    assert.ok(f.events.some((e) => e.includes("every pod's service-account ca.crt")));
  });

  test('pods that never get it: the switch goes on after the bound, with a warning', async () => {
    const f = fakeNodes({ stale: Array<number>(1000).fill(1) });
    f.deps.podCaTimeoutMs = 0;
    await rotateCa(f.deps);
    assert.ok(f.events.some((e) => /3 pod volume\(s\) still without the new CA/.test(e)));
    assert.equal(f.runs.length, 7);
  });

  test('a failed node stage fails the run (retryable) with the tail of its log; its stamp stays', async () => {
    const f = fakeNodes({ failOn: 'k-node-0 trust' });
    await assert.rejects(rotateCa(f.deps), (e: unknown) => {
      assert.ok(e instanceof DriverError);
      assert.equal(e.phase, 'rotate-ca');
      assert.equal(e.retryable, true);
      assert.match(e.message, /^k-node-0: stage trust failed \(exit 1\): \[ca-rotate\] the kubelet not back/);
      return true;
    });
    assert.equal(f.stamps.get('k-node-0'), undefined);
    assert.equal(f.forgotten(), 0);
    assert.ok(ROTATION_LOG.startsWith('/var/log/magnetar/'));
  });
});
