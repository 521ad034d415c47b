/** @module test/unit/drivers/kubernetes/health — Magnum's health_status and health_status_reason for Kubernetes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { staleNodes, missingLabels } from '../../../../src/drivers/kubernetes/cluster-ops.ts';
import { kubeHealth, type ApiAnswer } from '../../../../src/drivers/kubernetes/health.ts';
import type { KubeNode } from '../../../../src/drivers/kubernetes/kube-api.ts';

const node = (name: string, ready: string, labels: Record<string, string> = {}): KubeNode => ({
  metadata: { name, labels },
  status: { conditions: [{ type: 'Ready', status: ready }] },
});
const machines = [
  { hostname: 'k-master-0', state: 'running' },
  { hostname: 'k-node-0', state: 'running' },
  { hostname: 'k-node-1', state: 'running' },
];
const answer = (nodes: KubeNode[], ready = true): ApiAnswer => ({
  ok: true,
  ready,
  detail: ready ? 'ok' : '[-]etcd failed',
  nodes,
});

void describe('kubeHealth', () => {
  void test('HEALTHY: readyz ok and every node Ready', () => {
    const r = kubeHealth(
      'k',
      machines,
      3,
      answer([node('k-master-0', 'True'), node('k-node-0', 'True'), node('k-node-1', 'True')]),
    );
    assert.deepEqual(r, {
      status: 'HEALTHY',
      reason: { api: 'ok', 'k-master-0.Ready': 'True', 'k-node-0.Ready': 'True', 'k-node-1.Ready': 'True' },
      failed: [],
    });
  });

  void test('UNHEALTHY: a stopped worker (its Node may still say Ready for a while) and a NotReady one', () => {
    const r = kubeHealth(
      'k',
      [machines[0] as never, { hostname: 'k-node-0', state: 'stopped' }, machines[2] as never],
      3,
      answer([node('k-master-0', 'True'), node('k-node-0', 'True'), node('k-node-1', 'Unknown')]),
    );
    assert.equal(r.status, 'UNHEALTHY');
    assert.equal(r.reason['k-node-0.Ready'], 'False');
    assert.equal(r.reason['k-node-1.Ready'], 'Unknown');
    assert.deepEqual(r.failed, ['k-node-0', 'k-node-1']);
  });

  void test('UNHEALTHY: missing nodes; a stale Node object without a machine is ignored', () => {
    const r = kubeHealth(
      'k',
      machines.slice(0, 2),
      3,
      answer([node('k-master-0', 'True'), node('k-node-0', 'True'), node('k-node-9', 'False')]),
    );
    assert.equal(r.status, 'UNHEALTHY');
    assert.equal(r.reason.nodes, '2 of 3 nodes exist');
    assert.deepEqual(r.failed, ['1 missing']);
    assert.equal(r.reason['k-node-9.Ready'], undefined);
  });

  void test('UNHEALTHY when the apiserver answers but is not ready', () => {
    const r = kubeHealth(
      'k',
      machines,
      3,
      answer([node('k-master-0', 'True'), node('k-node-0', 'True'), node('k-node-1', 'True')], false),
    );
    assert.equal(r.status, 'UNHEALTHY');
    assert.equal(r.reason.api, '[-]etcd failed');
  });

  void test('UNKNOWN when the apiserver does not answer and no machine is known dead; none when no nodes', () => {
    const r = kubeHealth('k', machines, 3, { ok: false, error: 'connect ECONNREFUSED' });
    assert.deepEqual(r, { status: 'UNKNOWN', reason: { api: 'connect ECONNREFUSED' }, failed: [] });
    assert.equal(kubeHealth('k', [], 3, undefined).status, 'UNKNOWN');
    const dead = kubeHealth('k', [{ hostname: 'k-master-0', state: 'stopped' }, ...machines.slice(1)], 3, undefined);
    assert.equal(dead.status, 'UNHEALTHY');
    assert.deepEqual(dead.reason, { api: 'no master node is running', 'k-master-0.Ready': 'False' });
  });
});

void describe('cluster steps (pure parts)', () => {
  void test('staleNodes: only Node objects of this cluster’s naming that are not wanted', () => {
    const nodes = [
      node('k-master-0', 'True'),
      node('k-node-0', 'True'),
      node('k-node-3', 'False'),
      node('other-node-1', 'True'),
      node('k-node-x', 'True'),
    ];
    assert.deepEqual(staleNodes(nodes, new Set(['k-master-0', 'k-node-0']), 'k'), ['k-node-3']);
  });
  void test('missingLabels: only what differs', () => {
    const n = node('k-node-0', 'True', { a: '1', b: '2' });
    assert.equal(missingLabels(n, { a: '1' }), undefined);
    assert.deepEqual(missingLabels(n, { a: '1', b: '3', c: '' }), { b: '3', c: '' });
  });
});
