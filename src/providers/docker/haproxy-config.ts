/**
 * @module The local load balancer's configuration (pure): a {@link LoadBalancerSpec}'s listeners checked, put in one
 * canonical form (what is compared to decide whether anything changed), and rendered as an haproxy configuration —
 * one frontend per listener (bound on every address of the container, i.e. the VIP), `tcp-request connection reject`
 * outside its allowed CIDRs, one backend per pool with its balance algorithm and health checks (TCP connect, or an
 * HTTP(S) GET expecting Octavia-style status codes, optionally on a separate monitor port). Octavia's amphorae run
 * haproxy the same way.
 */
import { parseCidr } from '../../core/cidr.ts';
import type { LbHealthMonitorSpec, LbListenerSpec, LoadBalancerSpec } from '../contract.ts';

/** Where the configuration lives in the load-balancer container. */
export const HAPROXY_CONFIG = '/etc/haproxy/haproxy.cfg';
/** The listeners last applied (canonical JSON), read back to observe what the load balancer serves. */
export const APPLIED_LISTENERS = '/etc/haproxy/magnetar-listeners.json';
/** haproxy's admin socket (member states: `show servers state`). */
export const HAPROXY_SOCKET = '/run/haproxy.sock';

/** Inside the container only: answers 200 while haproxy runs. */
export const ALIVE_PORT = 8404;

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const CODES = /^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/;

/** Whether `text` is a dotted IPv4 address. */
export function isIpv4(text: string): boolean {
  const m = IPV4.exec(text);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

const port = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

/** Throws a RangeError naming the field when the spec cannot be served as asked. */
export function checkLbSpec(spec: LoadBalancerSpec): void {
  if (!spec.name.includes(spec.clusterUuid))
    throw new RangeError(`load balancer name ${spec.name} does not contain the cluster UUID ${spec.clusterUuid}`);
  if (!NAME.test(spec.purpose)) throw new RangeError(`purpose: ${JSON.stringify(spec.purpose)} is not [a-z0-9-]`);
  if (!isIpv4(spec.network.vipAddress))
    throw new RangeError(`network.vipAddress: ${JSON.stringify(spec.network.vipAddress)} is not an IPv4 address`);
  const names = new Set<string>();
  const ports = new Set<number>();
  spec.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    if (!NAME.test(l.name)) throw new RangeError(`${at}.name: ${JSON.stringify(l.name)} is not [a-z0-9-] (≤ 63)`);
    if (names.has(l.name)) throw new RangeError(`${at}.name: ${l.name} is used twice`);
    names.add(l.name);
    if ((l.protocol as string) !== 'TCP')
      throw new RangeError(`${at}.protocol: ${String(l.protocol)} is not supported by the local load balancer (TCP)`);
    if (!port(l.port)) throw new RangeError(`${at}.port: ${l.port} is not a port`);
    if (ports.has(l.port)) throw new RangeError(`${at}.port: ${l.port} is used by two listeners`);
    ports.add(l.port);
    for (const c of l.allowedCidrs)
      if (!isIpv4(c) && !parseCidr(c)) throw new RangeError(`${at}.allowedCidrs: ${c} is not an IPv4 CIDR`);
    if (!Number.isInteger(l.idleTimeoutSeconds) || l.idleTimeoutSeconds < 1)
      throw new RangeError(`${at}.idleTimeoutSeconds: ${l.idleTimeoutSeconds} is not a positive integer`);
    if (!['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP'].includes(l.algorithm))
      throw new RangeError(`${at}.algorithm: ${String(l.algorithm)} is not supported`);
    l.members.forEach((m, j) => {
      if (!isIpv4(m.address)) throw new RangeError(`${at}.members[${j}].address: ${m.address} is not an IPv4 address`);
      if (!port(m.port)) throw new RangeError(`${at}.members[${j}].port: ${m.port} is not a port`);
    });
    if (l.healthMonitor) checkMonitor(l.healthMonitor, `${at}.healthMonitor`);
  });
}

function checkMonitor(h: LbHealthMonitorSpec, at: string): void {
  if (!['TCP', 'HTTP', 'HTTPS'].includes(h.type))
    throw new RangeError(`${at}.type: ${String(h.type)} is not supported`);
  for (const k of ['delaySeconds', 'timeoutSeconds'] as const)
    if (!Number.isInteger(h[k]) || h[k] < 1) throw new RangeError(`${at}.${k}: ${h[k]} is not a positive integer`);
  if (!Number.isInteger(h.maxRetries) || h.maxRetries < 1 || h.maxRetries > 10)
    throw new RangeError(`${at}.maxRetries: ${h.maxRetries} is not within 1..10`);
  if (h.urlPath !== undefined && !/^\/\S*$/.test(h.urlPath))
    throw new RangeError(`${at}.urlPath: ${JSON.stringify(h.urlPath)} is not a path`);
  if (h.expectedCodes !== undefined && !CODES.test(h.expectedCodes))
    throw new RangeError(`${at}.expectedCodes: ${JSON.stringify(h.expectedCodes)} is not like 200, 200,202 or 200-399`);
  if (h.port !== undefined && !port(h.port)) throw new RangeError(`${at}.port: ${h.port} is not a port`);
}

/**
 * The listeners in one canonical form: listeners by port, members by address then port, CIDRs sorted, optional
 * fields present only when set, keys in a fixed order. Two specs serve the same when these are equal as JSON.
 */
export function canonicalListeners(listeners: readonly LbListenerSpec[]): LbListenerSpec[] {
  return [...listeners]
    .sort((a, b) => a.port - b.port)
    .map((l) => ({
      name: l.name,
      protocol: l.protocol,
      port: l.port,
      allowedCidrs: [...new Set(l.allowedCidrs)].sort(),
      idleTimeoutSeconds: l.idleTimeoutSeconds,
      algorithm: l.algorithm,
      members: [...l.members]
        .sort((a, b) => ipNumber(a.address) - ipNumber(b.address) || a.port - b.port || a.name.localeCompare(b.name))
        .map((m) => ({ name: m.name, address: m.address, port: m.port })),
      healthMonitor: l.healthMonitor
        ? {
            type: l.healthMonitor.type,
            delaySeconds: l.healthMonitor.delaySeconds,
            timeoutSeconds: l.healthMonitor.timeoutSeconds,
            maxRetries: l.healthMonitor.maxRetries,
            ...(l.healthMonitor.type !== 'TCP'
              ? {
                  urlPath: l.healthMonitor.urlPath ?? '/',
                  expectedCodes: l.healthMonitor.expectedCodes ?? '200',
                }
              : {}),
            ...(l.healthMonitor.port !== undefined ? { port: l.healthMonitor.port } : {}),
          }
        : null,
    }));
}

/** True when two listener sets serve the same (compared in {@link canonicalListeners} form). */
export function sameListeners(a: readonly LbListenerSpec[], b: readonly LbListenerSpec[]): boolean {
  return JSON.stringify(canonicalListeners(a)) === JSON.stringify(canonicalListeners(b));
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

const BALANCE: Record<LbListenerSpec['algorithm'], string> = {
  ROUND_ROBIN: 'roundrobin',
  LEAST_CONNECTIONS: 'leastconn',
  SOURCE_IP: 'source',
};

/** Octavia's `expected_codes` (`200`, `200,202`, `200-204`) as an anchored regular expression over the status. */
export function expectedCodesRegex(codes: string): string {
  const alternatives: string[] = [];
  for (const part of codes.split(',')) {
    const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = lo; c <= (hi ?? lo); c++) alternatives.push(String(c));
  }
  return `^(${alternatives.join('|')})$`;
}

/** A member name as an haproxy server name (unique in its backend by its position). */
function serverName(i: number, name: string): string {
  return `m${i}-${name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'member'}`;
}

/**
 * The haproxy configuration serving `listeners` (checked with {@link checkLbSpec} first). haproxy runs as PID 1's
 * child in master-worker mode, so SIGUSR2 reloads this file without dropping established connections.
 */
export function renderHaproxyConfig(spec: Pick<LoadBalancerSpec, 'name' | 'listeners'>): string {
  const out: string[] = [
    `# ${spec.name}: written by Magnetar (local load balancer); changes are replaced on the next sync`,
    'global',
    '  maxconn 4096',
    `  stats socket ${HAPROXY_SOCKET} mode 600 level admin`,
    '  hard-stop-after 60s',
    '  log stdout format raw local0 notice',
    '',
    'defaults',
    '  mode tcp',
    '  log global',
    '  option dontlognull',
    // A member that does not take the connection (gone before its health check noticed) costs a retry on another.
    '  retries 2',
    '  option redispatch 1',
    '  timeout connect 2s',
    '  timeout client 50s',
    '  timeout server 50s',
    '  timeout check 5s',
    '',
    // Always one listener, so that haproxy runs (and reloads) with no listener of the spec's: inside only.
    'frontend alive',
    '  mode http',
    `  bind 127.0.0.1:${ALIVE_PORT}`,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ];
  for (const l of canonicalListeners(spec.listeners)) {
    out.push(`frontend l-${l.name}`, `  bind :${l.port}`, `  timeout client ${l.idleTimeoutSeconds}s`);
    if (l.allowedCidrs.length > 0)
      out.push(`  tcp-request connection reject unless { src ${l.allowedCidrs.join(' ')} }`);
    out.push(`  default_backend p-${l.name}`, '');
    out.push(`backend p-${l.name}`, `  balance ${BALANCE[l.algorithm]}`, `  timeout server ${l.idleTimeoutSeconds}s`);
    const h = l.healthMonitor;
    const check: string[] = [];
    if (h) {
      out.push(`  timeout check ${h.timeoutSeconds}s`);
      if (h.type !== 'TCP') {
        out.push(`  option httpchk GET ${h.urlPath ?? '/'}`);
        out.push(`  http-check expect rstatus ${expectedCodesRegex(h.expectedCodes ?? '200')}`);
      }
      out.push(
        `  default-server inter ${h.delaySeconds}s fall ${h.maxRetries} rise ${h.maxRetries}` +
          (h.port !== undefined ? ` port ${h.port}` : '') +
          (h.type === 'HTTPS' ? ' check-ssl verify none' : ''),
      );
      check.push('check');
    }
    l.members.forEach((m, i) =>
      out.push(`  server ${serverName(i, m.name)} ${m.address}:${m.port}${check.length ? ` ${check.join(' ')}` : ''}`),
    );
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
