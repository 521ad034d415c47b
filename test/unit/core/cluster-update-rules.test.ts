/** @module test/unit/core/cluster-update-rules — cluster PATCH: which paths may change and what the result asks for. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterDocument, patchCluster } from '../../../src/core/cluster-update-rules.ts';
import { MagnumError } from '../../../src/core/errors.ts';
import type { PatchOp } from '../../../src/core/json-patch.ts';
import type { Cluster, Nodegroup } from '../../../src/core/types.ts';

const NOW = '2026-01-02T03:04:05.678Z';
const cluster = {
  id: 7,
  uuid: 'c0000000-0000-0000-0000-000000000001',
  name: 'c',
  project_id: 'p1',
  user_id: 'u1',
  cluster_template_id: 't0000000-0000-0000-0000-000000000001',
  keypair: null,
  docker_volume_size: null,
  labels: { a: '1' },
  master_flavor_id: null,
  flavor_id: null,
  create_timeout: 60,
  stack_id: null,
  status: 'CREATE_COMPLETE',
  status_reason: null,
  health_status: null,
  health_status_reason: null,
  discovery_url: null,
  api_address: 'tcp://127.0.0.1:1',
  coe_version: null,
  container_version: null,
  fixed_network: null,
  fixed_subnet: null,
  floating_ip_enabled: true,
  master_lb_enabled: false,
  driver_state: { secret: 'x' },
  created_at: NOW,
  updated_at: null,
} satisfies Cluster;

const group = (name: string, role: string, node_count: number, addresses: string[]): Nodegroup => ({
  id: 1,
  uuid: `u-${name}`,
  cluster_id: cluster.uuid,
  project_id: 'p1',
  name,
  docker_volume_size: null,
  labels: {},
  flavor_id: null,
  image_id: null,
  node_addresses: addresses,
  node_count,
  role,
  min_node_count: 0,
  max_node_count: null,
  is_default: true,
  stack_id: null,
  status: 'CREATE_COMPLETE',
  status_reason: null,
  version: null,
  created_at: NOW,
  updated_at: null,
});
const NGS = [
  group('default-master', 'master', 1, ['10.0.0.2']),
  group('default-worker', 'worker', 2, ['10.0.0.3', '10.0.0.4']),
];
const doc = (): Record<string, unknown> => clusterDocument(cluster, NGS, 2);
const patch = (ops: PatchOp[], zeroNodesAllowed = false): ReturnType<typeof patchCluster> =>
  patchCluster(doc(), ops, { zeroNodesAllowed });

function refuses(ops: PatchOp[], message: RegExp, zeroNodesAllowed = false): void {
  assert.throws(
    () => patch(ops, zeroNodesAllowed),
    (e: unknown) => {
      assert.ok(e instanceof MagnumError);
      assert.equal(e.status, 400);
      assert.match(e.message, message);
      return true;
    },
  );
}

void describe('clusterDocument', () => {
  test('holds the default worker count, the master count and the addresses, never the id or driver state', () => {
    const d = doc();
    assert.equal(d.node_count, 2);
    assert.equal(d.master_count, 1);
    assert.deepEqual(d.node_addresses, ['10.0.0.3', '10.0.0.4']);
    assert.deepEqual(d.master_addresses, ['10.0.0.2']);
    assert.equal('id' in d, false);
    assert.equal('driver_state' in d, false);
  });
});

void describe('patchCluster', () => {
  test('replace /node_count asks for the new default worker count', () => {
    assert.deepEqual(patch([{ op: 'replace', path: '/node_count', value: 5 }]), {
      nodeCount: 5,
      healthStatus: null,
      healthStatusReason: null,
    });
  });

  test('remove /node_count means 1', () => assert.equal(patch([{ op: 'remove', path: '/node_count' }]).nodeCount, 1));

  test('health fields may change, the reason as a python dict string', () => {
    const p = patch([
      { op: 'add', path: '/health_status', value: 'HEALTHY' },
      { op: 'add', path: '/health_status_reason', value: "{'api': 'ok', 'nodes': 3}" },
    ]);
    assert.deepEqual(p, { nodeCount: 2, healthStatus: 'HEALTHY', healthStatusReason: { api: 'ok', nodes: '3' } });
  });

  test('zero nodes are allowed from 1.10', () =>
    assert.equal(patch([{ op: 'replace', path: '/node_count', value: 0 }], true).nodeCount, 0));

  const refusals: [string, PatchOp[], RegExp][] = [
    [
      'another attribute cannot change',
      [{ op: 'replace', path: '/name', value: 'other' }],
      /^cannot change cluster property\(ies\) name\.$/,
    ],
    [
      'several other attributes are listed sorted',
      [
        { op: 'replace', path: '/name', value: 'other' },
        { op: 'replace', path: '/create_timeout', value: 5 },
      ],
      /^cannot change cluster property\(ies\) create_timeout, name\.$/,
    ],
    [
      'labels cannot change',
      [{ op: 'replace', path: '/labels', value: "{'a': '2'}" }],
      /^cannot change cluster property\(ies\) labels\.$/,
    ],
    [
      'master_count cannot change',
      [{ op: 'replace', path: '/master_count', value: 3 }],
      /^cannot change cluster property\(ies\) master_count\.$/,
    ],
    [
      'api_address is internal',
      [{ op: 'replace', path: '/api_address', value: 'x' }],
      /^'\/api_address' is an internal attribute and can not be updated$/,
    ],
    ['stack_id is internal', [{ op: 'remove', path: '/stack_id' }], /^'\/stack_id' is an internal attribute/],
    ['uuid is internal', [{ op: 'replace', path: '/uuid', value: 'x' }], /^'\/uuid' is an internal attribute/],
    [
      'the template cannot be removed',
      [{ op: 'remove', path: '/cluster_template_id' }],
      /^'\/cluster_template_id' is a mandatory attribute and can not be removed$/,
    ],
    [
      'a node count given as a string is refused as Magnum does',
      [{ op: 'replace', path: '/node_count', value: '3' }],
      /^Invalid input for field\/attribute node_count\. Value: '3'\. '<' not supported between instances of 'str' and 'int'$/,
    ],
    [
      'a negative node count is refused',
      [{ op: 'replace', path: '/node_count', value: -1 }],
      /^Invalid input for field\/attribute node_count\. Value: '-1'\. Value should be greater or equal to 0$/,
    ],
    [
      'an unknown health status is refused',
      [{ op: 'add', path: '/health_status', value: 'FINE' }],
      /^Invalid input for field\/attribute health_status\. Value: 'FINE'\. Value should be one of: HEALTHY, UNHEALTHY, UNKNOWN$/,
    ],
    [
      'a health reason that is not a mapping is refused',
      [{ op: 'add', path: '/health_status_reason', value: 3 }],
      /^Invalid input for field\/attribute health_status_reason\./,
    ],
    [
      'zero nodes are refused below 1.10',
      [{ op: 'replace', path: '/node_count', value: 0 }],
      /^Resizing a nodegroup to zero is not supported in the provided microversion\.$/,
    ],
    [
      'an unknown attribute cannot be added',
      [{ op: 'add', path: '/nodes', value: 3 }],
      /^Adding a new attribute \/nodes to the root of the resource is not allowed\.$/,
    ],
  ];
  for (const [name, ops, message] of refusals) test(name, () => refuses(ops, message));
});

void describe('patchCluster through a legacy view (Magnum Bay)', () => {
  const view = {
    fields: new Set(['name', 'node_count', 'master_count', 'labels', 'cluster_template_id']),
    minNodeCount: 1,
    mandatory: ['/baymodel_id'],
  };
  const viaBay = (ops: PatchOp[]): ReturnType<typeof patchCluster> =>
    patchCluster(doc(), ops, { zeroNodesAllowed: true, view });

  test('takes a new node count', () => {
    assert.equal(viaBay([{ op: 'replace', path: '/node_count', value: 3 }]).nodeCount, 3);
  });

  test('drops changes to fields outside the view, health fields included (their stored values stay)', () => {
    const p = viaBay([
      { op: 'replace', path: '/keypair', value: 'k' },
      { op: 'add', path: '/health_status', value: 'NOT-A-STATUS' },
    ]);
    assert.deepEqual(p, { nodeCount: 2, healthStatus: null, healthStatusReason: null });
  });

  test("refuses a change to a field of the view that may not change, in Magnum's words", () => {
    assert.throws(
      () => viaBay([{ op: 'replace', path: '/name', value: 'other' }]),
      (e: unknown) => e instanceof MagnumError && e.message === 'cannot change cluster property(ies) name.',
    );
  });

  test("holds node_count to the view's minimum, even where zero nodes are allowed", () => {
    assert.throws(
      () => viaBay([{ op: 'replace', path: '/node_count', value: 0 }]),
      (e: unknown) =>
        e instanceof MagnumError &&
        e.message === "Invalid input for field/attribute node_count. Value: '0'. Value should be greater or equal to 1",
    );
  });

  test("refuses removing the view's mandatory attribute", () => {
    assert.throws(
      () => viaBay([{ op: 'remove', path: '/baymodel_id' }]),
      (e: unknown) =>
        e instanceof MagnumError && e.message === "'/baymodel_id' is a mandatory attribute and can not be removed",
    );
  });
});
