/**
 * @module test/unit/providers/load-balancer-config — the local load balancer's reconcile decision and haproxy
 * configuration: specs checked with the field named, one canonical form (so an unchanged spec changes nothing),
 * listeners/pools/health monitors/allowed CIDRs rendered as haproxy serves them, and what ensureLoadBalancer does to an
 * observed load balancer (create, recreate, start, reconfigure, nothing).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LbListenerSpec, LoadBalancerSpec } from '../../../src/providers/contract.ts';
import {
  canonicalListeners,
  checkLbSpec,
  expectedCodesRegex,
  renderHaproxyConfig,
  sameListeners,
} from '../../../src/providers/docker/haproxy-config.ts';
import { lbAction, lbState } from '../../../src/providers/docker/load-balancers.ts';

const UUID = 'c0ffee00-0000-4000-8000-00000000a11b';
const IMAGE = 'magnetar/lb-haproxy:bookworm';

const listener = (over: Partial<LbListenerSpec> = {}): LbListenerSpec => ({
  name: 'tcp-80',
  protocol: 'TCP',
  port: 80,
  allowedCidrs: [],
  idleTimeoutSeconds: 300,
  algorithm: 'ROUND_ROBIN',
  members: [
    { name: 'k-node-1', address: '10.9.8.21', port: 31080 },
    { name: 'k-node-0', address: '10.9.8.20', port: 31080 },
  ],
  healthMonitor: { type: 'TCP', delaySeconds: 2, timeoutSeconds: 2, maxRetries: 2 },
  ...over,
});

const spec = (over: Partial<LoadBalancerSpec> = {}): LoadBalancerSpec => ({
  name: `magnetar-${UUID}-lb-svc-1`,
  clusterUuid: UUID,
  purpose: 'service',
  network: { id: 'net-1', vipAddress: '10.9.8.201' },
  listeners: [listener()],
  labels: {},
  ...over,
});

describe('checkLbSpec', () => {
  test('accepts a complete spec', () => {
    assert.doesNotThrow(() => checkLbSpec(spec()));
  });

  const refusals: [string, LoadBalancerSpec, RegExp][] = [
    ['a name without the cluster UUID', spec({ name: 'lb-1' }), /does not contain the cluster UUID/],
    ['a VIP that is no IPv4 address', spec({ network: { id: 'n', vipAddress: '10.9.8' } }), /^network\.vipAddress/],
    ['a UDP listener', spec({ listeners: [listener({ protocol: 'UDP' as 'TCP' })] }), /listeners\[0\]\.protocol: UDP/],
    [
      'two listeners on one port',
      spec({ listeners: [listener(), listener({ name: 'other' })] }),
      /listeners\[1\]\.port: 80 is used by two listeners/,
    ],
    ['a listener name twice', spec({ listeners: [listener(), listener({ port: 81 })] }), /listeners\[1\]\.name/],
    ['a bad CIDR', spec({ listeners: [listener({ allowedCidrs: ['10.0.0.0/33'] })] }), /allowedCidrs: 10\.0\.0\.0\/33/],
    [
      'a member port out of range',
      spec({ listeners: [listener({ members: [{ name: 'a', address: '10.9.8.20', port: 70000 }] })] }),
      /members\[0\]\.port: 70000/,
    ],
    [
      'retries out of range',
      spec({
        listeners: [listener({ healthMonitor: { type: 'TCP', delaySeconds: 2, timeoutSeconds: 2, maxRetries: 11 } })],
      }),
      /healthMonitor\.maxRetries: 11/,
    ],
    [
      'malformed expected codes',
      spec({
        listeners: [
          listener({
            healthMonitor: { type: 'HTTP', delaySeconds: 2, timeoutSeconds: 2, maxRetries: 2, expectedCodes: '2xx' },
          }),
        ],
      }),
      /healthMonitor\.expectedCodes/,
    ],
  ];
  for (const [what, s, message] of refusals) {
    test(`refuses ${what}, naming the field`, () => {
      assert.throws(
        () => checkLbSpec(s),
        (e: unknown) => e instanceof RangeError && message.test(e.message),
      );
    });
  }
});

describe('canonical listeners', () => {
  test('order of listeners, members and CIDRs does not matter; content does', () => {
    const a = [listener({ allowedCidrs: ['10.0.0.0/8', '192.0.2.0/24'] }), listener({ name: 'tcp-443', port: 443 })];
    const b = [
      listener({ name: 'tcp-443', port: 443, members: [...listener().members].reverse() }),
      listener({ allowedCidrs: ['192.0.2.0/24', '10.0.0.0/8'], members: [...listener().members].reverse() }),
    ];
    assert.ok(sameListeners(a, b));
    assert.equal(canonicalListeners(a)[0]?.members[0]?.address, '10.9.8.20');
    assert.ok(!sameListeners(a, [listener({ name: 'tcp-443', port: 443 }), listener()]), 'CIDRs differ');
    const moved = [listener({ members: [{ name: 'k-node-0', address: '10.9.8.20', port: 31081 }] })];
    assert.ok(!sameListeners([listener()], moved), 'a NodePort change is a change');
  });

  test('HTTP monitor defaults are made explicit, so leaving them out or spelling them out is the same', () => {
    const implicit = listener({ healthMonitor: { type: 'HTTP', delaySeconds: 2, timeoutSeconds: 2, maxRetries: 2 } });
    const explicit = listener({
      healthMonitor: {
        type: 'HTTP',
        delaySeconds: 2,
        timeoutSeconds: 2,
        maxRetries: 2,
        urlPath: '/',
        expectedCodes: '200',
      },
    });
    assert.ok(sameListeners([implicit], [explicit]));
  });
});

describe('renderHaproxyConfig', () => {
  test('a listener with allowed CIDRs and a TCP monitor', () => {
    const cfg = renderHaproxyConfig(spec({ listeners: [listener({ allowedCidrs: ['192.0.2.0/24', '10.9.8.1'] })] }));
    const lines = cfg.split('\n');
    for (const want of [
      'frontend l-tcp-80',
      '  bind :80',
      '  timeout client 300s',
      '  tcp-request connection reject unless { src 10.9.8.1 192.0.2.0/24 }',
      '  default_backend p-tcp-80',
      'backend p-tcp-80',
      '  balance roundrobin',
      '  default-server inter 2s fall 2 rise 2',
      '  server m0-k-node-0 10.9.8.20:31080 check',
      '  server m1-k-node-1 10.9.8.21:31080 check',
    ])
      assert.ok(lines.includes(want), `${want}\n---\n${cfg}`);
    assert.ok(!cfg.includes('httpchk'));
    assert.ok(lines.includes('frontend alive'), 'always one listener so haproxy starts');
    assert.ok(lines.includes('  option redispatch 1'), 'a connection a dead member refuses is tried on another');
  });

  test('everyone allowed: no reject rule; no monitor: servers without check', () => {
    const cfg = renderHaproxyConfig(spec({ listeners: [listener({ healthMonitor: null })] }));
    assert.ok(!cfg.includes('tcp-request connection reject'));
    assert.ok(cfg.includes('  server m0-k-node-0 10.9.8.20:31080\n'));
  });

  test('an HTTPS monitor on a separate port (apiserver /readyz, kube-proxy healthCheckNodePort)', () => {
    const cfg = renderHaproxyConfig(
      spec({
        listeners: [
          listener({
            name: 'kube-api',
            port: 6443,
            algorithm: 'LEAST_CONNECTIONS',
            healthMonitor: {
              type: 'HTTPS',
              urlPath: '/readyz',
              expectedCodes: '200-202',
              port: 6444,
              delaySeconds: 3,
              timeoutSeconds: 1,
              maxRetries: 3,
            },
          }),
        ],
      }),
    );
    assert.match(cfg, /^ {2}balance leastconn$/m);
    assert.match(cfg, /^ {2}option httpchk GET \/readyz$/m);
    assert.match(cfg, /^ {2}http-check expect rstatus \^\(200\|201\|202\)\$$/m);
    assert.match(cfg, /^ {2}default-server inter 3s fall 3 rise 3 port 6444 check-ssl verify none$/m);
    assert.match(cfg, /^ {2}timeout check 1s$/m);
  });

  test('expected codes as a regular expression', () => {
    assert.equal(expectedCodesRegex('200'), '^(200)$');
    assert.equal(expectedCodesRegex('200,204-205'), '^(200|204|205)$');
  });
});

describe('lbAction: what ensureLoadBalancer does to what it observed', () => {
  const observed = (over: Partial<Parameters<typeof lbAction>[0] & object> = {}): Parameters<typeof lbAction>[0] => ({
    vip: '10.9.8.201',
    network: 'net-1',
    image: IMAGE,
    state: 'active',
    applied: canonicalListeners([listener()]),
    ...over,
  });
  test('nothing there: create', () => assert.equal(lbAction(null, spec(), IMAGE), 'create'));
  test('the same listeners (in another order): nothing', () => {
    const s = spec({ listeners: [listener({ members: [...listener().members].reverse() })] });
    assert.equal(lbAction(observed(), s, IMAGE), 'none');
  });
  test('other members: reconfigure in place', () => {
    const s = spec({ listeners: [listener({ members: [listener().members[0]!] })] });
    assert.equal(lbAction(observed(), s, IMAGE), 'reconfigure');
  });
  test('marker unreadable (killed before it was written): reconfigure', () =>
    assert.equal(lbAction(observed({ applied: null }), spec(), IMAGE), 'reconfigure'));
  test('stopped: configuration put again, then started', () =>
    assert.equal(lbAction(observed({ state: 'stopped' }), spec(), IMAGE), 'start'));
  test('another VIP, network or image, or dead: recreate', () => {
    assert.equal(lbAction(observed({ vip: '10.9.8.202' }), spec(), IMAGE), 'recreate');
    assert.equal(lbAction(observed({ network: 'net-2' }), spec(), IMAGE), 'recreate');
    assert.equal(lbAction(observed({ image: 'other:1' }), spec(), IMAGE), 'recreate');
    assert.equal(lbAction(observed({ state: 'error' }), spec(), IMAGE), 'recreate');
  });
  test('container states in the contract words', () => {
    assert.deepEqual(['running', 'restarting', 'created', 'exited', 'paused', 'dead'].map(lbState), [
      'active',
      'pending',
      'pending',
      'stopped',
      'stopped',
      'error',
    ]);
  });
});
