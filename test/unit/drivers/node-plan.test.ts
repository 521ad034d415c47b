/** @module test/unit/drivers/node-plan — planning nodes from desired counts and the nodes that exist (pure). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_MASTERS,
  MAX_WORKERS,
  nodeIdentity,
  planNodes,
  resolveNodesToRemove,
  type GroupWant,
  type ObservedMachine,
} from '../../../src/drivers/local-common/node-plan.ts';

const UUID = 'c0ffee00-0000-4000-8000-000000000001';
const IMG = 'magnetar/node:bookworm';

const groups = (workers: number, extra: GroupWant[] = [], masters = 1): GroupWant[] => [
  { name: 'default-master', role: 'master', nodeCount: masters, imageId: IMG },
  { name: 'default-worker', role: 'worker', nodeCount: workers, imageId: IMG },
  ...extra,
];

/** A machine that exists, as the provider lists it. */
function machine(kind: 'master' | 'worker', index: number, over: Partial<ObservedMachine> = {}): ObservedMachine {
  const id = nodeIdentity(UUID, 'demo', kind, index);
  return {
    name: id.name,
    hostname: id.hostname,
    role: kind,
    nodegroup: kind === 'master' ? 'default-master' : 'default-worker',
    index,
    image: IMG,
    state: 'running',
    ...over,
  };
}

const plan = (
  g: GroupWant[],
  observed: ObservedMachine[],
  more: { removeFirst?: string[]; tasks?: Map<string, number> } = {},
) => planNodes({ uuid: UUID, name: 'demo', groups: g, observed, ...more });

describe('planNodes', () => {
  test('a new cluster gets masters from .10 and workers from .20, numbered from 0', () => {
    const p = plan(groups(2), []);
    assert.deepEqual(
      p.nodes.map((n) => [n.hostname, n.role, n.host]),
      [
        ['demo-master-0', 'master', 10],
        ['demo-node-0', 'worker', 20],
        ['demo-node-1', 'worker', 21],
      ],
    );
    assert.equal(p.create.length, 3);
    assert.deepEqual(p.remove, []);
    assert.deepEqual(p.replace, []);
  });

  test('a cluster that matches its counts needs nothing', () => {
    const p = plan(groups(2), [machine('master', 0), machine('worker', 0), machine('worker', 1)]);
    assert.deepEqual([p.create, p.remove, p.replace], [[], [], []]);
    assert.equal(p.nodes.length, 3);
  });

  test('numbering stays stable: after node-1 went, node-0 and node-2 keep theirs and a new node takes index 1', () => {
    const observed = [machine('master', 0), machine('worker', 0), machine('worker', 2)];
    const p = plan(groups(3), observed);
    assert.deepEqual(
      p.create.map((n) => [n.hostname, n.host]),
      [['demo-node-1', 21]],
    );
    assert.deepEqual(
      p.nodes.filter((n) => n.role === 'worker').map((n) => n.index),
      [0, 1, 2],
    );
  });

  test('scale-out takes the lowest free indexes', () => {
    const p = plan(groups(4), [machine('master', 0), machine('worker', 1)]);
    assert.deepEqual(
      p.create.map((n) => n.index),
      [0, 2, 3],
    );
  });

  test('scale-in removes empty nodes first, then the fewest tasks, then the highest index', () => {
    const observed = [
      machine('master', 0),
      machine('worker', 0),
      machine('worker', 1),
      machine('worker', 2),
      machine('worker', 3),
    ];
    const tasks = new Map([
      [machine('worker', 0).name, 2],
      [machine('worker', 1).name, 0],
      [machine('worker', 2).name, 1],
      [machine('worker', 3).name, 0],
    ]);
    const p = plan(groups(1), observed, { tasks });
    assert.deepEqual(
      p.remove.map((r) => [r.machine.hostname, r.reason]),
      [
        ['demo-node-3', 'scale-in'],
        ['demo-node-1', 'scale-in'],
        ['demo-node-2', 'scale-in'],
      ],
    );
    assert.deepEqual(
      p.nodes.map((n) => n.hostname),
      ['demo-master-0', 'demo-node-0'],
    );
  });

  test('nodes named in nodes_to_remove go first, in the order named, even when they run tasks', () => {
    const observed = [machine('master', 0), machine('worker', 0), machine('worker', 1), machine('worker', 2)];
    const tasks = new Map([[machine('worker', 2).name, 5]]);
    const p = plan(groups(1), observed, { tasks, removeFirst: [machine('worker', 2).name, machine('worker', 0).name] });
    assert.deepEqual(
      p.remove.map((r) => r.machine.hostname),
      ['demo-node-2', 'demo-node-0'],
    );
  });

  test('only as many nodes as the group shrinks by go, even when more are named', () => {
    const observed = [machine('master', 0), machine('worker', 0), machine('worker', 1), machine('worker', 2)];
    const p = plan(groups(2), observed, { removeFirst: [machine('worker', 0).name, machine('worker', 1).name] });
    assert.deepEqual(
      p.remove.map((r) => r.machine.hostname),
      ['demo-node-0'],
    );
  });

  test('a stopped node goes before running ones', () => {
    const observed = [machine('master', 0), machine('worker', 0), machine('worker', 1, { state: 'exited' })];
    assert.deepEqual(
      plan(groups(1), observed).remove.map((r) => r.machine.hostname),
      ['demo-node-1'],
    );
  });

  test('worker indexes are shared across node groups, and a deleted group’s nodes are removed', () => {
    const big: GroupWant = { name: 'big', role: 'worker', nodeCount: 2, imageId: IMG };
    const p1 = plan(groups(2, [big]), [machine('master', 0), machine('worker', 0), machine('worker', 1)]);
    assert.deepEqual(
      p1.create.map((n) => [n.nodegroup, n.index]),
      [
        ['big', 2],
        ['big', 3],
      ],
    );
    const observed = [
      machine('master', 0),
      machine('worker', 0),
      machine('worker', 1),
      machine('worker', 2, { nodegroup: 'big' }),
      machine('worker', 3, { nodegroup: 'big' }),
    ];
    const p2 = plan(groups(2), observed);
    assert.deepEqual(
      p2.remove.map((r) => [r.machine.hostname, r.reason]),
      [
        ['demo-node-2', 'nodegroup-removed'],
        ['demo-node-3', 'nodegroup-removed'],
      ],
    );
  });

  test('indexes of nodes being removed are not reused in the same run', () => {
    const big: GroupWant = { name: 'big', role: 'worker', nodeCount: 1, imageId: IMG };
    const observed = [machine('master', 0), machine('worker', 0), machine('worker', 1)];
    const p = plan(groups(1, [big]), observed);
    assert.equal(p.remove.length, 1);
    assert.deepEqual(
      p.create.map((n) => n.index),
      [2],
    );
  });

  test('nodes on another image are replaced, workers first and then masters, each keeping its identity', () => {
    const old = 'magnetar/node:old';
    const observed = [
      machine('master', 0, { image: old }),
      machine('worker', 1, { image: old }),
      machine('worker', 0, { image: old }),
      machine('worker', 2),
    ];
    const p = plan(groups(3), observed);
    assert.deepEqual(
      p.replace.map((n) => [n.hostname, n.image]),
      [
        ['demo-node-0', IMG],
        ['demo-node-1', IMG],
        ['demo-master-0', IMG],
      ],
    );
    assert.deepEqual(p.create, []);
  });

  test('counts the layout cannot hold are refused with a RangeError naming the limit', () => {
    assert.throws(() => plan(groups(MAX_WORKERS + 1), []), /at most 180 workers/);
    assert.throws(() => plan(groups(1, [], MAX_MASTERS + 1), []), /at most 10 masters/);
    assert.equal(plan(groups(MAX_WORKERS), []).create.length, MAX_WORKERS + 1);
  });
});

describe('resolveNodesToRemove', () => {
  const machines = [
    { ...machine('worker', 0), id: 'aaaaaaaaaaaa1111' },
    { ...machine('worker', 1), id: 'bbbbbbbbbbbb2222' },
    { ...machine('worker', 2), id: 'cccccccccccc3333' },
  ];
  const swarmIds = new Map([[machine('worker', 2).hostname, 'swarmnodeid0123456789']]);

  test('matches hostnames, container names, container ids or 12-character prefixes, and swarm node ids', () => {
    const r = resolveNodesToRemove(
      ['demo-node-1', machine('worker', 0).name, 'swarmnodeid0', 'nope'],
      machines,
      swarmIds,
    );
    assert.deepEqual(r.names, [machine('worker', 1).name, machine('worker', 0).name, machine('worker', 2).name]);
    assert.deepEqual(r.unmatched, ['nope']);
    assert.deepEqual(resolveNodesToRemove(['bbbbbbbbbbbb'], machines).names, [machine('worker', 1).name]);
  });

  test('a short id prefix does not match, so a typo cannot pick a random node', () => {
    assert.deepEqual(resolveNodesToRemove(['bbbb'], machines).unmatched, ['bbbb']);
  });
});
