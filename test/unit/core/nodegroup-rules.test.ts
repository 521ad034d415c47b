/** @module test/unit/core/nodegroup-rules — node group defaults, Magnum's count rules (409) and resize bounds (400). */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import {
  checkNodeCounts,
  checkResize,
  defaultWorker,
  newNodegroup,
  type NodeCounts,
} from '../../../src/core/nodegroup-rules.ts';
import type { Cluster, Nodegroup } from '../../../src/core/types.ts';

const NOW = '2026-01-02T03:04:05.678Z';

const cluster: Cluster = {
  id: 1,
  uuid: 'c0000000-0000-0000-0000-000000000001',
  name: 'c',
  project_id: 'p1',
  user_id: 'u1',
  cluster_template_id: 't0000000-0000-0000-0000-000000000001',
  keypair: null,
  docker_volume_size: 5,
  labels: { a: '1', b: '2' },
  master_flavor_id: 'm1.large',
  flavor_id: 'm1.small',
  create_timeout: 60,
  stack_id: null,
  status: 'CREATE_COMPLETE',
  status_reason: null,
  health_status: null,
  health_status_reason: null,
  discovery_url: null,
  api_address: 'tcp://127.0.0.1:2376',
  coe_version: null,
  container_version: null,
  fixed_network: null,
  fixed_subnet: null,
  floating_ip_enabled: true,
  master_lb_enabled: false,
  driver_state: {},
  created_at: NOW,
  updated_at: null,
};

/** Asserts `fn` throws a MagnumError with the status, code and message. */
function throwsMagnum(fn: () => unknown, status: number, code: string, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MagnumError, `expected a MagnumError, got ${String(e)}`);
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}

void describe('checkNodeCounts', () => {
  const counts = (node_count: number, min_node_count: number, max_node_count: number | null): NodeCounts => ({
    name: 'ng',
    node_count,
    min_node_count,
    max_node_count,
  });

  const ok: [string, NodeCounts][] = [
    ['counts inside the bounds pass', counts(2, 1, 3)],
    ['a count equal to both bounds passes', counts(2, 2, 2)],
    ['no maximum means any count above the minimum passes', counts(50, 0, null)],
    ['a maximum of 0 means no maximum, as Python truthiness has it', counts(5, 1, 0)],
  ];
  for (const [name, c] of ok) test(name, () => assert.doesNotThrow(() => checkNodeCounts(c)));

  const bad: [string, NodeCounts, string][] = [
    [
      'a minimum above the maximum is a 409 naming max_node_count',
      counts(2, 4, 3),
      'max_node_count for ng is invalid (min_node_count (4) should be less or equal to max_node_count (3)).',
    ],
    [
      'a count above the maximum is a 409 naming max_node_count',
      counts(5, 1, 3),
      'max_node_count for ng is invalid (node_count (5) should be less or equal to max_node_count (3)).',
    ],
    [
      'a minimum above the count is a 409 naming min_node_count',
      counts(1, 2, null),
      'min_node_count for ng is invalid (min_node_count (2) should be less or equal to node_count (1)).',
    ],
  ];
  for (const [name, c, message] of bad)
    test(name, () => throwsMagnum(() => checkNodeCounts(c), 409, 'NodeGroupInvalidInput', message));
});

void describe('checkResize', () => {
  const worker = { name: 'default-worker', role: 'worker', node_count: 2, min_node_count: 1, max_node_count: 4 };

  test('a count inside the bounds passes', () => assert.doesNotThrow(() => checkResize(worker, 4)));

  test('a master group cannot be resized', () =>
    throwsMagnum(
      () => checkResize({ ...worker, role: 'master' }, 2),
      400,
      'MasterNGResizeNotSupported',
      'Resizing a master nodegroup is not supported.',
    ));

  test('a count below the minimum is out of bounds', () =>
    throwsMagnum(
      () => checkResize(worker, 0),
      400,
      'NGResizeOutBounds',
      'Resizing default-worker outside the allowed range: min_node_count = 1, max_node_count = 4',
    ));

  test('a count above the maximum is out of bounds', () =>
    throwsMagnum(
      () => checkResize(worker, 5),
      400,
      'NGResizeOutBounds',
      'Resizing default-worker outside the allowed range: min_node_count = 1, max_node_count = 4',
    ));

  test('without a maximum the message says None and large counts pass', () => {
    assert.doesNotThrow(() => checkResize({ ...worker, max_node_count: null }, 99));
    throwsMagnum(
      () => checkResize({ ...worker, max_node_count: null }, 0),
      400,
      'NGResizeOutBounds',
      'Resizing default-worker outside the allowed range: min_node_count = 1, max_node_count = None',
    );
  });
});

void describe('newNodegroup', () => {
  test('defaults flavor, image, volume size and labels to the cluster and template', () => {
    const ng = newNodegroup(cluster, 'img-1', { name: 'extra' }, NOW);
    assert.equal(ng.name, 'extra');
    assert.equal(ng.cluster_id, cluster.uuid);
    assert.equal(ng.project_id, 'p1');
    assert.equal(ng.flavor_id, 'm1.small');
    assert.equal(ng.image_id, 'img-1');
    assert.equal(ng.docker_volume_size, 5);
    assert.deepEqual(ng.labels, { a: '1', b: '2' });
    assert.deepEqual([ng.node_count, ng.min_node_count, ng.max_node_count, ng.role], [1, 0, null, 'worker']);
    assert.deepEqual(
      [ng.is_default, ng.status, ng.created_at, ng.updated_at],
      [false, 'CREATE_IN_PROGRESS', NOW, null],
    );
  });

  test('given labels replace the cluster labels unless merge_labels is set', () => {
    assert.deepEqual(newNodegroup(cluster, 'img', { name: 'x', labels: { b: 3 } }, NOW).labels, { b: '3' });
    assert.deepEqual(newNodegroup(cluster, 'img', { name: 'x', labels: { b: 3 }, merge_labels: true }, NOW).labels, {
      a: '1',
      b: '3',
    });
  });

  test('given values win over the defaults', () => {
    const ng = newNodegroup(
      cluster,
      'img',
      {
        name: 'x',
        node_count: 3,
        min_node_count: 2,
        max_node_count: 5,
        flavor_id: 'f',
        image_id: 'i',
        docker_volume_size: 9,
        role: 'gpu',
      },
      NOW,
    );
    assert.deepEqual(
      [ng.node_count, ng.min_node_count, ng.max_node_count, ng.flavor_id, ng.image_id, ng.docker_volume_size, ng.role],
      [3, 2, 5, 'f', 'i', 9, 'gpu'],
    );
  });
});

void describe('defaultWorker', () => {
  const ng = (name: string, role: string, is_default: boolean): Nodegroup => ({
    ...newNodegroup(cluster, 'img', { name, role }, NOW),
    id: 1,
    is_default,
  });

  test('is the first default group that is not a master group', () => {
    const groups = [
      ng('default-master', 'master', true),
      ng('extra', 'worker', false),
      ng('default-worker', 'worker', true),
    ];
    assert.equal(defaultWorker(groups)?.name, 'default-worker');
  });

  test('is undefined when there is none', () =>
    assert.equal(defaultWorker([ng('default-master', 'master', true)]), undefined));
});
