/**
 * @module The service scripts of a Kubernetes node: `/etc/magnetar/services/NN-<daemon>`, started in name order and
 * restarted with back-off by magnetar-supervise (NODE-CONVENTION §3). Daemons that cannot work before something else is
 * up wait for it in their script (the apiserver's readyz, the node's podCIDR) instead of exiting into ever longer
 * back-offs. Pure.
 */
import {
  APISERVER_PORT,
  BIN,
  CNI_CONFLIST,
  CONTAINERD_CONFIG,
  ETCD_CLIENT_PORT,
  ETCD_DATA_DIR,
  ETCD_PKI_DIR,
  FLANNEL_NET_CONF,
  FLANNEL_SUBNET_ENV,
  KUBE_PROXY_CONFIG,
  KUBELET_CONFIG,
  kubeconfigPath,
  PKI_DIR,
  SERVICES_DIR,
} from './layout.ts';
import { etcdClientUrl, etcdInitialCluster, etcdPeerUrl, type ControlPlane } from './control-plane.ts';
import { cniConflistTemplate } from './node-config.ts';
import type { KubeSettings } from './settings.ts';

/** The apiserver's service name (its pid is in `/run/magnetar/<name>.pid`). */
const APISERVER_SERVICE = '30-kube-apiserver';

/** A shell word: quoted only when it needs it. */
export function sh(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One service script. */
export interface ServiceScript {
  path: string;
  content: string;
}

const script = (name: string, lines: string[]): ServiceScript => ({
  path: `${SERVICES_DIR}/${name}`,
  content: [
    '#!/bin/sh',
    `# ${name}: written by Magnetar's kubernetes driver; run by magnetar-supervise.`,
    ...lines,
    '',
  ].join('\n'),
});

/** A word the shell expands (written as it is, e.g. `"--flag=$var"`), not quoted by {@link sh}. */
interface RawWord {
  raw: string;
}

/** `exec <binary> <args…>` with each argument on its own line. */
const execLine = (binary: string, args: readonly (string | RawWord)[]): string =>
  [`exec ${binary}`, ...args.map((a) => `  ${typeof a === 'string' ? sh(a) : a.raw}`)].join(' \\\n');

/** Blocks until the local apiserver is ready (its readyz is public), so clients do not crash-loop before RBAC exists. */
const waitApiserver = (server: string): string =>
  `until curl -sfk --max-time 2 ${server}/readyz >/dev/null 2>&1; do sleep 0.5; done`;

export const containerdService = (): ServiceScript =>
  script('10-containerd', [execLine('/usr/bin/containerd', [`--config=${CONTAINERD_CONFIG}`])]);

/**
 * A master's etcd member: TLS for clients and peers (the etcd CA), data on the etcd volume, one member per master
 * (`--initial-cluster` names them all, by master index; the cluster UUID is the token). Data that exists wins over
 * the flags, so a master made again on its kept volume rejoins as the same member. When the control plane is
 * `existing` (the members already formed the cluster) and this member's data is gone, the script asks the other
 * members (with its own certificate, a client of the etcd CA too) to drop the lost member and add it again, then
 * starts it as a new member of the existing cluster; it waits while the others have no quorum.
 */
export function etcdService(
  node: { hostname: string; ip: string },
  cp?: Omit<ControlPlane, 'endpoint' | 'sans'>,
): ServiceScript {
  const plane = cp ?? { masters: [node], etcdStart: 'new' as const, etcdToken: node.hostname };
  const peer = etcdPeerUrl(node);
  const others = plane.masters.filter((m) => m.ip !== node.ip);
  const join =
    plane.etcdStart === 'existing' && others.length > 0
      ? [
          `if [ ! -d ${ETCD_DATA_DIR}/member ]; then`,
          '  # This member lost its data while the others run: drop it from the membership and join again.',
          `  ctl() { ${BIN}/etcdctl --endpoints=${others.map(etcdClientUrl).join(',')} --cacert=${ETCD_PKI_DIR}/ca.crt --cert=${ETCD_PKI_DIR}/server.crt --key=${ETCD_PKI_DIR}/server.key --dial-timeout=3s --command-timeout=10s "$@"; }`,
          '  until members=$(ctl member list 2>/dev/null); do echo "etcd: waiting for the other members (quorum)"; sleep 2; done',
          `  line=$(printf '%s\n' "$members" | grep ', ${peer},' || true)`,
          '  case "$line" in',
          "    *', unstarted, '*) ;; # added by an earlier attempt that stopped before it started",
          `    '') ctl member add ${sh(node.hostname)} --peer-urls=${peer} >/dev/null || exit 1 ;;`,
          `    *) ctl member remove "\${line%%,*}" >/dev/null && ctl member add ${sh(node.hostname)} --peer-urls=${peer} >/dev/null || exit 1 ;;`,
          '  esac',
          `  initial=$(ctl member list | awk -F', ' -v me=${sh(node.hostname)} -v peer=${peer} '{ n = ($4 == peer) ? me : ($3 == "" ? "unstarted-" NR : $3); print n "=" $4 }' | paste -sd, -)`,
          '  state=existing',
          'fi',
        ]
      : [];
  return script('20-etcd', [
    'set -u',
    `mkdir -p ${ETCD_DATA_DIR} && chmod 700 ${ETCD_DATA_DIR}`,
    `initial=${sh(etcdInitialCluster(plane))}`,
    'state=new',
    ...join,
    ...runEtcd(
      plane.masters.length > 1,
      [
        `--name=${node.hostname}`,
        `--data-dir=${ETCD_DATA_DIR}`,
        `--listen-client-urls=https://127.0.0.1:${ETCD_CLIENT_PORT},${etcdClientUrl(node)}`,
        `--advertise-client-urls=${etcdClientUrl(node)}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        { raw: '"--initial-cluster=$initial"' },
        { raw: '"--initial-cluster-state=$state"' },
        `--initial-cluster-token=${plane.etcdToken}`,
        '--listen-metrics-urls=http://127.0.0.1:2381',
        `--cert-file=${ETCD_PKI_DIR}/server.crt`,
        `--key-file=${ETCD_PKI_DIR}/server.key`,
        `--trusted-ca-file=${ETCD_PKI_DIR}/ca.crt`,
        '--client-cert-auth=true',
        `--peer-cert-file=${ETCD_PKI_DIR}/server.crt`,
        `--peer-key-file=${ETCD_PKI_DIR}/server.key`,
        `--peer-trusted-ca-file=${ETCD_PKI_DIR}/ca.crt`,
        '--peer-client-cert-auth=true',
        '--snapshot-count=10000',
        // Several members sharing a busy host: heartbeats every 250 ms, an election after 2.5 s without one (etcd's
        // tuning guide for slow hosts; its defaults, 100 ms and 1 s, leave no slack when members wait for CPU).
        ...(plane.masters.length > 1 ? ['--heartbeat-interval=250', '--election-timeout=2500'] : []),
      ],
      peer,
    ),
  ]);
}

/**
 * etcd's start: `exec` for a lone member. A member of several, on SIGTERM (`docker stop`: magnetar-node-init stops
 * every service at once and kills what is left after 10 s):
 * 1. at once hands raft leadership to another started member if it leads (`etcdctl move-leader`: one round trip
 *    while every member runs), so the cluster never waits out an election timeout (2.5–5 s without a leader, every
 *    write and consistent read of every apiserver stalled) for a leader that was killed;
 * 2. stays up while its apiserver drains (fails readyz, is taken out of the load balancer, serves on until
 *    {@link API_SHUTDOWN_DELAY_SECONDS}), at most {@link API_SHUTDOWN_DELAY_SECONDS} + 1 s by the clock;
 * 3. then stops, as a follower, well before the 10 s are up (its own graceful stop is quick then).
 */
function runEtcd(several: boolean, args: readonly (string | RawWord)[], peer: string): string[] {
  if (!several) return [execLine(`${BIN}/etcd`, args)];
  const pidFile = `/run/magnetar/${APISERVER_SERVICE}.pid`;
  const waitMs = (API_SHUTDOWN_DELAY_SECONDS + 1) * 1000;
  return [
    execLine(`${BIN}/etcd`, args).replace(/^exec /, '') + ' &',
    'pid=$!',
    `ctl() { ${BIN}/etcdctl --endpoints=https://127.0.0.1:${ETCD_CLIENT_PORT} --cacert=${ETCD_PKI_DIR}/ca.crt --cert=${ETCD_PKI_DIR}/server.crt --key=${ETCD_PKI_DIR}/server.key --dial-timeout=1s --command-timeout=2s "$@"; }`,
    'stop() {',
    `  end=$(( $(date +%s%3N) + ${waitMs} ))`,
    `  to=$(ctl member list 2>/dev/null | awk -F', ' -v me=${peer} '$2 == "started" && $4 != me { print $1; exit }')`,
    '  # move-leader answers "no leader endpoint given" when this member does not lead: nothing to hand over then.',
    '  if [ -n "$to" ] && ctl move-leader "$to" >/dev/null 2>&1; then echo "etcd: handed leadership to $to before stopping"; fi',
    `  a=$(cat ${pidFile} 2>/dev/null)`,
    '  while [ -n "$a" ] && kill -0 "$a" 2>/dev/null && [ "$(date +%s%3N)" -lt "$end" ]; do sleep 0.1; done',
    '  kill "$pid" 2>/dev/null',
    '}',
    'trap stop TERM INT',
    'while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done',
  ];
}

/**
 * How long an apiserver behind the load balancer keeps serving after SIGTERM while its readyz already fails, so the
 * load balancer's health check (every 2 s, 2 failures) takes it out before it stops listening: a master stopped with
 * `docker stop` drops no request. magnetar-node-init gives the daemons 10 s in all; the apiserver need not exit in
 * them (after the delay it waits up to its request timeout for watches held open through the load balancer), its
 * etcd member stops at delay + 1 s ({@link runEtcd}).
 */
export const API_SHUTDOWN_DELAY_SECONDS = 7;

/** kube-apiserver flags before the user's `kubeapi_options` (which come last, so they win where allowed). */
export function apiserverArgs(
  node: { ip: string },
  s: Pick<KubeSettings, 'serviceCidr' | 'clusterDomain' | 'apiserverArgs'>,
  balanced = false,
): string[] {
  return [
    `--advertise-address=${node.ip}`,
    '--bind-address=0.0.0.0',
    `--secure-port=${APISERVER_PORT}`,
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--client-ca-file=${PKI_DIR}/ca.crt`,
    `--tls-cert-file=${PKI_DIR}/apiserver.crt`,
    `--tls-private-key-file=${PKI_DIR}/apiserver.key`,
    `--etcd-servers=https://127.0.0.1:${ETCD_CLIENT_PORT}`,
    `--etcd-cafile=${ETCD_PKI_DIR}/ca.crt`,
    `--etcd-certfile=${PKI_DIR}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${PKI_DIR}/apiserver-etcd-client.key`,
    `--kubelet-client-certificate=${PKI_DIR}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${PKI_DIR}/apiserver-kubelet-client.key`,
    `--kubelet-certificate-authority=${PKI_DIR}/ca.crt`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    `--service-cluster-ip-range=${s.serviceCidr.text}`,
    `--service-account-issuer=https://kubernetes.default.svc.${s.clusterDomain}`,
    `--service-account-key-file=${PKI_DIR}/sa.pub`,
    `--service-account-signing-key-file=${PKI_DIR}/sa.key`,
    `--requestheader-client-ca-file=${PKI_DIR}/front-proxy-ca.crt`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--proxy-client-cert-file=${PKI_DIR}/front-proxy-client.crt`,
    `--proxy-client-key-file=${PKI_DIR}/front-proxy-client.key`,
    '--enable-aggregator-routing=true',
    ...(balanced ? [`--shutdown-delay-duration=${API_SHUTDOWN_DELAY_SECONDS}s`] : []),
    ...s.apiserverArgs,
  ];
}

export function apiserverService(
  node: { ip: string },
  s: Pick<KubeSettings, 'serviceCidr' | 'clusterDomain' | 'apiserverArgs'>,
  balanced = false,
): ServiceScript {
  return script(APISERVER_SERVICE, [execLine(`${BIN}/kube-apiserver`, apiserverArgs(node, s, balanced))]);
}

const LOCAL_API = `https://127.0.0.1:${APISERVER_PORT}`;

export function controllerManagerService(
  s: Pick<KubeSettings, 'serviceCidr' | 'podsCidr' | 'nodeCidrMask'>,
): ServiceScript {
  const kc = kubeconfigPath('controller-manager');
  return script('31-kube-controller-manager', [
    waitApiserver(LOCAL_API),
    execLine(`${BIN}/kube-controller-manager`, [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1',
      '--leader-elect=true',
      '--use-service-account-credentials=true',
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${s.podsCidr.text}`,
      `--node-cidr-mask-size=${s.nodeCidrMask}`,
      `--service-cluster-ip-range=${s.serviceCidr.text}`,
      `--root-ca-file=${PKI_DIR}/ca.crt`,
      `--service-account-private-key-file=${PKI_DIR}/sa.key`,
      `--requestheader-client-ca-file=${PKI_DIR}/front-proxy-ca.crt`,
    ]),
  ]);
}

export function schedulerService(): ServiceScript {
  const kc = kubeconfigPath('scheduler');
  return script('32-kube-scheduler', [
    waitApiserver(LOCAL_API),
    execLine(`${BIN}/kube-scheduler`, [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1',
      '--leader-elect=true',
    ]),
  ]);
}

/**
 * flanneld with the kube subnet manager under the `magnetar:cni` identity. It waits until its node has a podCIDR
 * (flanneld exits otherwise), and once flannel has written subnet.env it writes the bridge CNI conflist, which is
 * what turns the node Ready.
 */
export function flanneldService(node: { hostname: string }, apiServer: string): ServiceScript {
  const creds = `--cacert ${PKI_DIR}/ca.crt --cert ${PKI_DIR}/cni.crt --key ${PKI_DIR}/cni.key`;
  return script('40-flanneld', [
    'set -u',
    `export NODE_NAME=${sh(node.hostname)}`,
    `until curl -sf --max-time 2 ${creds} ${apiServer}/api/v1/nodes/${sh(node.hostname)} 2>/dev/null | grep -q '"podCIDR"'; do sleep 0.5; done`,
    `rm -f ${FLANNEL_SUBNET_ENV}`,
    `${BIN}/flanneld --kube-subnet-mgr --kubeconfig-file=${kubeconfigPath('cni')} --net-config-path=${FLANNEL_NET_CONF} --ip-masq &`,
    'pid=$!',
    'trap \'kill "$pid" 2>/dev/null\' TERM INT',
    `while kill -0 "$pid" 2>/dev/null && [ ! -s ${FLANNEL_SUBNET_ENV} ]; do sleep 0.2; done`,
    `if [ -s ${FLANNEL_SUBNET_ENV} ]; then`,
    `  . ${FLANNEL_SUBNET_ENV}`,
    '  # host-local wants the network address: FLANNEL_SUBNET is the gateway address with its prefix.',
    '  IFS=./ read -r a b c d len <<EOF',
    '$FLANNEL_SUBNET',
    'EOF',
    '  n=$(( (a << 24) | (b << 16) | (c << 8) | d )); n=$(( n & ((0xffffffff << (32 - len)) & 0xffffffff) ))',
    '  SUBNET="$(( (n >> 24) & 255 )).$(( (n >> 16) & 255 )).$(( (n >> 8) & 255 )).$(( n & 255 ))/$len"',
    '  MTU=$FLANNEL_MTU',
    `  cat > ${CNI_CONFLIST}.tmp <<EOF`,
    cniConflistTemplate(),
    'EOF',
    `  mv ${CNI_CONFLIST}.tmp ${CNI_CONFLIST}`,
    'fi',
    'wait "$pid"',
  ]);
}

export function kubeletService(
  node: { hostname: string; ip: string },
  nodeLabels: Readonly<Record<string, string>>,
  s: Pick<KubeSettings, 'kubeletArgs'>,
): ServiceScript {
  const labels = Object.entries(nodeLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return script('50-kubelet', [
    execLine(`${BIN}/kubelet`, [
      `--config=${KUBELET_CONFIG}`,
      `--kubeconfig=${kubeconfigPath('kubelet')}`,
      `--hostname-override=${node.hostname}`,
      `--node-ip=${node.ip}`,
      ...(labels ? [`--node-labels=${labels}`] : []),
      ...s.kubeletArgs,
    ]),
  ]);
}

export const kubeProxyService = (): ServiceScript =>
  script('60-kube-proxy', [execLine(`${BIN}/kube-proxy`, [`--config=${KUBE_PROXY_CONFIG}`])]);
