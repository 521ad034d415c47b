/**
 * @module ca-rotate of a Kubernetes cluster, in place on the running nodes (no node is made again, no pod moves).
 *
 * The API has already stored the new cluster CA and kept the replaced one(s) as `ca-previous`. Three stages, each node
 * at a time (master first), each node's progress stamped on the node itself (`/etc/kubernetes/pki/rotation`:
 * `<new CA fingerprint> <stage>`), so a killed conductor resumes from what the nodes say:
 * 1. **trust**: `ca.crt` and every kubeconfig trust the bundle new + old CA; every certificate is issued anew from the
 *    new CA (etcd and front-proxy ones from their own CAs, which are kept), except the apiserver's serving and kubelet
 *    client certificates;
 *    the components restart in turn (etcd, apiserver, controller-manager, scheduler, kubelet, kube-proxy, flanneld),
 *    each waited for (readyz, kubelet healthz and a renewed node Lease, which proves its new identity is accepted).
 *    The controller-manager publishes the bundle as `kube-root-ca.crt`, so pods trust both; the conductor waits until
 *    every pod's projected `ca.crt` holds the new CA.
 * 2. **serve** (masters): the apiserver gets its serving and kubelet client certificates from the new CA.
 * 3. **done**: everything trusts the new CA only; certificates are issued again, components restart in turn. Client
 *    certificates of the old CA are refused from then on; the conductor forgets the old CA.
 * The service-account signing key is never touched: pods keep their tokens. Containerd is never restarted: pods keep
 * running, and kube-proxy's rules and flannel's routes stay while their daemons restart.
 *
 * The node scripts run under a lock on the node with their output in `/var/log/magnetar/ca-rotate.log`; one left
 * running by a killed conductor finishes, and the next run waits for it and then reads its stamp.
 */
import { X509Certificate } from 'node:crypto';
import type { WriteFile } from '../../providers/cloud-config.ts';
import type { ExecOutcome, Machine } from '../../providers/contract.ts';
import { DriverError } from '../contract.ts';
import { BIN, KUBELET_DIR, kubeconfigPath, PKI_DIR, SUPERVISE } from './layout.ts';

/** Where a node records how far the rotation got on it. */
export const ROTATION_STAMP = `${PKI_DIR}/rotation`;
export const ROTATION_LOG = '/var/log/magnetar/ca-rotate.log';
const LOCK = '/run/magnetar/ca-rotate.lock';

/**
 * Runs the script given on standard input from a file (a script read from the pipe itself could lose lines to a
 * command that reads its input; one too long for an argument would not fit).
 */
export const RUN_INPUT: readonly string[] = [
  'sh',
  '-c',
  'f=$(mktemp /run/ca-rotate.XXXXXX); cat >"$f"; rc=0; ' +
    // A script cut short (the conductor killed while sending it) is not run.
    'if [ "$(tail -n 1 "$f")" = "# end" ]; then sh "$f" </dev/null || rc=$?; else echo "script incomplete" >&2; rc=3; fi; ' +
    'rm -f "$f"; exit $rc',
];

/** The last line of every script sent with {@link RUN_INPUT}. */
const END = '# end';

export const STAGES = ['trust', 'serve', 'done'] as const;
export type Stage = (typeof STAGES)[number];

/** The kubeconfigs a node may hold (all carry the CA they trust and an identity from the cluster CA). */
const KUBECONFIGS = ['kubelet', 'kube-proxy', 'cni', 'controller-manager', 'scheduler', 'admin'].map(kubeconfigPath);
/**
 * What the apiserver presents to others: its serving pair, and its client pair towards the kubelets. Both switch to
 * the new CA only once every node trusts it (serve stage); until then the nodes keep their old ones.
 */
const SERVE_FILES = ['apiserver', 'apiserver-kubelet-client'].flatMap((b) => [
  `${PKI_DIR}/${b}.crt`,
  `${PKI_DIR}/${b}.key`,
]);

/** Short SHA-256 fingerprint of a certificate (the first one of a bundle), as stamped on the nodes. */
export function caFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase();
}

/** The PEM blocks of a bundle, each ending with a newline. */
function pems(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}

/** The new CA first, then the replaced ones it does not repeat. */
export function caBundle(current: string, previous: string | undefined): string {
  return [...new Set([...pems(current), ...pems(previous ?? '')])].join('');
}

/** A line of the CA's base64 body that pods' projected `ca.crt` must contain once they trust it. */
export function caMark(pem: string): string {
  const body =
    pems(pem)[0]
      ?.split('\n')
      .filter((l) => l && !l.startsWith('-----')) ?? [];
  const line = body[Math.min(2, body.length - 1)];
  if (!line) throw new Error('not a PEM certificate');
  return line;
}

/** How far a node is: the stage stamped for this rotation (by fingerprint), or none. */
export function stampedStage(stamp: string, fingerprint: string): Stage | undefined {
  const [fp, stage] = stamp.trim().split(/\s+/);
  return fp === fingerprint && (STAGES as readonly string[]).includes(stage ?? '') ? (stage as Stage) : undefined;
}

/** Whether a node stamped `have` still needs `stage` (workers have no serve stage: it is the apiserver's). */
export function needs(have: Stage | undefined, stage: Stage, master: boolean): boolean {
  if (stage === 'serve' && !master) return false;
  return have === undefined || STAGES.indexOf(have) < STAGES.indexOf(stage);
}

/** Whether a payload file is one a rotation rewrites: certificates, keys, CA files and kubeconfigs. */
export function isPkiFile(path: string): boolean {
  return path.startsWith(`${PKI_DIR}/`) || path.startsWith(`${KUBELET_DIR}/pki/`) || KUBECONFIGS.includes(path);
}

/** The files a node's stage writes, taken from the node's payload (built with the stage's CA bundle). */
export function stageFiles(files: readonly WriteFile[], stage: Stage): WriteFile[] {
  const pki = files.filter((f) => isPkiFile(f.path) && f.path !== ROTATION_STAMP);
  if (stage === 'serve') return pki.filter((f) => SERVE_FILES.includes(f.path));
  if (stage === 'trust') return pki.filter((f) => !SERVE_FILES.includes(f.path));
  return pki;
}

/** A restart step: the supervised service and what shows it is back. */
interface Restart {
  service: string;
  wait?: 'readyz' | 'kubelet';
}

/** The services a stage restarts, in order. */
export function stageRestarts(stage: Stage, master: boolean): Restart[] {
  if (stage === 'serve') return [{ service: '30-kube-apiserver', wait: 'readyz' }];
  const node: Restart[] = [
    { service: '50-kubelet', wait: 'kubelet' },
    { service: '60-kube-proxy' },
    { service: '40-flanneld' },
  ];
  if (!master) return node;
  return [
    { service: '20-etcd' },
    { service: '30-kube-apiserver', wait: 'readyz' },
    { service: '31-kube-controller-manager' },
    { service: '32-kube-scheduler' },
    ...node,
  ];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The shell script that moves one node through one stage: under the node's rotation lock, skipped when the stamp says
 * it is done already; files written atomically (temporary file, then rename); services restarted one at a time, each
 * waited for; then the stamp. Its output goes to the node's rotation log.
 */
export function stageScript(opts: {
  hostname: string;
  fingerprint: string;
  stage: Stage;
  master: boolean;
  files: readonly WriteFile[];
}): string {
  const { fingerprint: fp, stage } = opts;
  const reached = STAGES.slice(STAGES.indexOf(stage)).map((s) => `${q(`${fp} ${s}`)}`);
  const lines = [
    'set -eu',
    'mkdir -p /run/magnetar /var/log/magnetar',
    `exec 9>${LOCK}`,
    'flock 9',
    `exec >>${ROTATION_LOG} 2>&1`,
    `echo "[ca-rotate] $(date -u +%FT%TZ) ${stage} of CA ${fp} on ${opts.hostname}"`,
    `case "$(cat ${ROTATION_STAMP} 2>/dev/null || true)" in ${reached.join('|')}) echo "[ca-rotate] already done"; exit 0;; esac`,
    // w PATH MODE BASE64: one file, replaced atomically.
    'w() { mkdir -p "$(dirname "$1")"; printf %s "$3" | base64 -d >"$1.rotate"; chmod "$2" "$1.rotate"; mv -f "$1.rotate" "$1"; }',
    // restart NAME [SECONDS]: stop the service, wait for its process to exit (SECONDS, default 5, then SIGKILL: the
    // apiserver's graceful stop waits on its watches for a minute with its port already closed; etcd gets longer to
    // stop cleanly, though its write-ahead log survives a kill), start it again. The lock's descriptor is closed for
    // the daemons: they would hold it.
    'restart() {',
    '  pid=$(cat /run/magnetar/$1.pid 2>/dev/null || true)',
    `  ${SUPERVISE} stop "$1" 9>&-`,
    '  if [ -n "$pid" ]; then i=0; while kill -0 "$pid" 2>/dev/null; do i=$((i+1)); if [ $i -ge $(( ${2:-5} * 5 )) ]; then echo "[ca-rotate] $1 still running after ${2:-5}s: killed"; kill -9 "$pid" 2>/dev/null || true; break; fi; sleep 0.2; done; fi',
    `  ${SUPERVISE} start "$1" 9>&-`,
    '  echo "[ca-rotate] $(date -u +%FT%TZ) $1 restarted"',
    '}',
    // upto SECONDS WHAT CMD...: waits until CMD succeeds.
    'upto() { n=$(( $1 * 5 )); what=$2; shift 2; i=0; until "$@" >/dev/null 2>&1; do i=$((i+1)); if [ $i -ge $n ]; then echo "[ca-rotate] $what not back after $((n / 5))s" >&2; exit 1; fi; sleep 0.2; done; }',
    // renewed SINCE: the kubelet renewed its node Lease after SINCE (epoch seconds), as itself.
    `renewed() { t=$(${BIN}/kubectl --kubeconfig=${kubeconfigPath('kubelet')} --request-timeout=3s -n kube-node-lease get lease ${q(opts.hostname)} -o 'jsonpath={.spec.renewTime}') && [ -n "$t" ] && [ "$(date -d "$t" +%s)" -gt "$1" ]; }`,
  ];
  for (const f of opts.files) {
    const mode = f.permissions ?? '0644';
    const b64 = f.encoding === 'b64' ? f.content : Buffer.from(f.content, 'utf8').toString('base64');
    lines.push(`w ${q(f.path)} ${mode} ${q(b64)}`);
  }
  for (const r of stageRestarts(stage, opts.master)) {
    lines.push(`restart ${r.service}${r.service === '20-etcd' ? ' 20' : ''}`);
    // After the old kubelet has exited: a renewal later than this second is the new one's.
    if (r.wait === 'kubelet') lines.push('since=$(date +%s)');
    if (r.wait === 'readyz')
      lines.push('upto 120 "the apiserver" curl -sfk --max-time 2 https://127.0.0.1:6443/readyz');
    if (r.wait === 'kubelet') {
      lines.push('upto 120 "the kubelet" curl -sf --max-time 2 http://127.0.0.1:10248/healthz');
      lines.push('upto 120 "the node Lease renewal" renewed "$since"');
    }
  }
  lines.push(
    `printf '%s\\n' ${q(`${fp} ${stage}`)} >${ROTATION_STAMP}.new`,
    `mv -f ${ROTATION_STAMP}.new ${ROTATION_STAMP}`,
  );
  lines.push(`echo "[ca-rotate] $(date -u +%FT%TZ) ${stage} done"`, END, '');
  return lines.join('\n');
}

/** Counts pods' projected `ca.crt` files on a node that do not hold the CA yet (prints the number). */
export function staleCaScript(mark: string): string {
  return [
    'n=0',
    `for f in ${KUBELET_DIR}/pods/*/volumes/kubernetes.io~projected/*/ca.crt; do [ -e "$f" ] || continue; grep -qF ${q(mark)} "$f" || n=$((n+1)); done`,
    'echo "$n"',
    END,
    '',
  ].join('\n');
}

/** One node of the rotation. */
export interface RotationNode {
  machine: Machine;
  master: boolean;
}

/** What the rotation needs from the driver. */
export interface RotationDeps {
  nodes: readonly RotationNode[];
  /** The new cluster CA and the replaced ones still trusted (undefined when none is left). */
  caPem: string;
  previousCaPem: string | undefined;
  /** The node's payload files with certificates issued now, trusting `caPem` (a bundle during the switch). */
  files(node: RotationNode, caPem: string): Promise<readonly WriteFile[]>;
  exec(machine: Machine, argv: readonly string[], input?: string): Promise<ExecOutcome>;
  forgetPreviousCa(): Promise<void>;
  event(message: string, level?: 'info' | 'warning'): Promise<void>;
  signal: AbortSignal;
  /** How long pods may take to get the new CA in their `ca.crt` before the switch goes on anyway. @default 240000 */
  podCaTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs (or resumes) the rotation until every node trusts only the new CA. */
export async function rotateCa(d: RotationDeps): Promise<void> {
  const fp = caFingerprint(d.caPem);
  const bundle = caBundle(d.caPem, d.previousCaPem);
  const order = [...d.nodes.filter((n) => n.master), ...d.nodes.filter((n) => !n.master)];
  const stamps = new Map<string, Stage | undefined>();
  for (const n of order) stamps.set(n.machine.name, await readStage(d, n.machine, fp));
  if (order.every((n) => stamps.get(n.machine.name) === 'done')) {
    if (d.previousCaPem) await d.forgetPreviousCa();
    return;
  }
  await d.event(`rotating to the CA ${fp}: ${order.length} nodes, ${describe(order, stamps)}`);
  for (const stage of STAGES) {
    if (stage === 'serve' && order.some((n) => n.master && needs(stamps.get(n.machine.name), 'serve', true)))
      await waitPodsTrust(d, order);
    for (const n of order) {
      if (!needs(stamps.get(n.machine.name), stage, n.master)) continue;
      d.signal.throwIfAborted();
      const files = stageFiles(await d.files(n, stage === 'done' ? d.caPem : bundle), stage);
      const script = stageScript({ hostname: n.machine.hostname, fingerprint: fp, stage, master: n.master, files });
      const r = await d.exec(n.machine, RUN_INPUT, script);
      if (r.exitCode !== 0) {
        const tail = await d.exec(n.machine, ['tail', '-n', '15', ROTATION_LOG]).catch(() => undefined);
        throw new DriverError(
          'rotate-ca',
          `${n.machine.hostname}: stage ${stage} failed (exit ${r.exitCode}): ${(tail?.stdout || r.stderr).trim().slice(-800)}`,
          { retryable: true },
        );
      }
      stamps.set(n.machine.name, stage);
      await d.event(`${n.machine.hostname}: ${STAGE_DONE[stage]}`);
    }
  }
  await d.forgetPreviousCa();
  await d.event(`every node trusts only the CA ${fp}; certificates of the replaced CA are refused`);
}

const STAGE_DONE: Record<Stage, string> = {
  trust: 'certificates of the new CA, trusting the new and the old CA; components restarted',
  serve: 'the apiserver serves (and calls kubelets) with certificates of the new CA',
  done: 'trusts only the new CA; components restarted',
};

function describe(order: readonly RotationNode[], stamps: ReadonlyMap<string, Stage | undefined>): string {
  const done = order
    .filter((n) => stamps.get(n.machine.name))
    .map((n) => `${n.machine.hostname} ${stamps.get(n.machine.name)}`);
  return done.length ? `resuming (${done.join(', ')})` : 'starting';
}

async function readStage(d: RotationDeps, m: Machine, fp: string): Promise<Stage | undefined> {
  const r = await d.exec(m, ['cat', ROTATION_STAMP]);
  return r.exitCode === 0 ? stampedStage(r.stdout, fp) : undefined;
}

/**
 * Waits until no pod on any node has a projected `ca.crt` without the new CA (the kubelets refresh them from the
 * `kube-root-ca.crt` ConfigMap); after the time-out the switch goes on with a warning naming the count.
 */
async function waitPodsTrust(d: RotationDeps, nodes: readonly RotationNode[]): Promise<void> {
  const mark = caMark(d.caPem);
  const timeout = d.podCaTimeoutMs ?? 240_000;
  const sleep = d.sleep ?? defaultSleep;
  const deadline = Date.now() + timeout;
  let stale = 0;
  for (;;) {
    d.signal.throwIfAborted();
    stale = 0;
    for (const n of nodes) {
      const r = await d.exec(n.machine, RUN_INPUT, staleCaScript(mark));
      stale += r.exitCode === 0 ? Number.parseInt(r.stdout.trim(), 10) || 0 : 0;
    }
    if (stale === 0) {
      await d.event("every pod's service-account ca.crt trusts the new CA");
      return;
    }
    if (Date.now() >= deadline) break;
    await sleep(3_000);
  }
  await d.event(
    `${stale} pod volume(s) still without the new CA in ca.crt after ${timeout / 1000}s; switching the apiserver anyway`,
    'warning',
  );
}
