/**
 * @module test/unit/drivers/kubernetes/upgrade — the rolling upgrade's order (masters one at a time, then workers in
 * batches), version matching, and a drain that PodDisruptionBudgets keep from finishing: the node is uncordoned and
 * kept (no machine removed) and the run fails naming it. The apiserver and the provider are stand-ins (this module's
 * unit test only; the real path runs in test/integration/drivers/kubernetes-upgrade.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DriverError, type DriverContext } from '../../../../src/drivers/contract.ts';
import type { KubeApi, KubePod } from '../../../../src/drivers/kubernetes/kube-api.ts';
import type { SpecContext } from '../../../../src/drivers/kubernetes/machines.ts';
import {
  imageTag,
  kubeletAt,
  rollingUpgrade,
  upgradeWaves,
  type UpgradeDeps,
} from '../../../../src/drivers/kubernetes/upgrade.ts';
import type { PlannedNode } from '../../../../src/drivers/local-common/node-plan.ts';
import type { Machine, Provider } from '../../../../src/providers/contract.ts';

const node = (role: 'master' | 'worker', index: number, image = 'magnetar/k8s-node:v1.37.2'): PlannedNode => ({
  name: `magnetar-u-${role === 'master' ? 'master' : 'node'}-${index}`,
  hostname: `demo-${role === 'master' ? 'master' : 'node'}-${index}`,
  role,
  nodegroup: role === 'master' ? 'default-master' : 'default-worker',
  index,
  host: (role === 'master' ? 10 : 20) + index,
  image,
});

void describe('rolling upgrade order and versions', () => {
  test('masters one at a time first (by index), then workers max_batch_size at a time', () => {
    const replace = [node('worker', 2), node('worker', 0), node('master', 1), node('worker', 1), node('master', 0)];
    const names = (waves: PlannedNode[][]): string[][] => waves.map((w) => w.map((p) => p.hostname));
    assert.deepEqual(names(upgradeWaves(replace, 2)), [
      ['demo-master-0'],
      ['demo-master-1'],
      ['demo-node-0', 'demo-node-1'],
      ['demo-node-2'],
    ]);
    assert.deepEqual(names(upgradeWaves(replace, 0)).length, 5, 'a batch below 1 is 1');
  });

  test("a kubelet's version matches its tag exactly or with a build suffix", () => {
    assert.equal(kubeletAt('v1.37.2', 'v1.37.2'), true);
    assert.equal(kubeletAt('v1.37.2+magnetar', 'v1.37.2'), true);
    assert.equal(kubeletAt('v1.37.20', 'v1.37.2'), false);
    assert.equal(kubeletAt('v1.36.3', 'v1.37.2'), false);
    assert.equal(kubeletAt(undefined, 'v1.37.2'), false);
    assert.equal(imageTag('magnetar/k8s-node:v1.36.3'), 'v1.36.3');
  });
});

void describe('a drain PodDisruptionBudgets keep from finishing', () => {
  test('uncordons the node, removes no machine, forgets the cordon and fails naming the node and the block', async () => {
    const calls: string[] = [];
    const web: KubePod = {
      metadata: { name: 'web-1', namespace: 'default' },
      spec: { nodeName: 'demo-node-0' },
      status: { phase: 'Running' },
    } as KubePod;
    const api = {
      get: async () => ({ metadata: { name: 'demo-node-0' }, status: {} }),
      patchNode: async (name: string, patch: { spec?: { unschedulable?: boolean | null } }) => {
        calls.push(`patch ${name} unschedulable=${String(patch.spec?.unschedulable)}`);
      },
      podsOnNode: async () => [web],
      evict: async () => ({
        outcome: 'blocked',
        message: 'Cannot evict pod as it would violate the disruption budget.',
      }),
      close: () => undefined,
    } as unknown as KubeApi;
    const old: Machine = {
      id: 'c1',
      name: 'magnetar-u-node-0',
      hostname: 'demo-node-0',
      clusterUuid: 'u',
      role: 'worker',
      nodegroup: 'default-worker',
      index: 0,
      image: 'magnetar/k8s-node:v1.36.3',
      flavor: '',
      address: '10.1.2.20',
      state: 'running',
      status: 'running',
      endpoints: {},
    };
    const provider = {
      removeMachine: async () => {
        calls.push('removeMachine');
      },
      ensureMachine: async () => {
        calls.push('ensureMachine');
        return old;
      },
    } as unknown as Provider;
    const events: string[] = [];
    const tracked: string[] = [];
    const ctx = {
      intent: { action: 'upgrade', maxBatchSize: 1 },
      signal: new AbortController().signal,
      state: { get: () => ({}), merge: async () => undefined },
      event: async (_phase: string, message: string) => {
        events.push(message);
      },
    } as unknown as DriverContext;
    const deps: UpgradeDeps = {
      provider,
      ctx,
      specCtx: {} as SpecContext,
      drainTimeoutMs: 300,
      timeouts: { bootstrap: 1_000, apiserver: 1_000, nodes: 1_000 },
      connect: async () => api,
      track: async (h, cordoned) => {
        tracked.push(`${h}=${String(cordoned)}`);
      },
    };
    const machines = new Map([[old.name, old]]);
    await assert.rejects(
      rollingUpgrade(deps, [node('worker', 0)], machines, api),
      (e: unknown) =>
        e instanceof DriverError &&
        e.phase === 'upgrade' &&
        !e.retryable &&
        /^node demo-node-0 could not be drained in 0\.3s \(still blocked: default\/web-1: Cannot evict pod as it would violate the disruption budget\.\); it stays on magnetar\/k8s-node:v1\.36\.3 and schedulable/.test(
          e.message,
        ),
    );
    assert.deepEqual(
      calls,
      ['patch demo-node-0 unschedulable=true', 'patch demo-node-0 unschedulable=null'],
      'cordoned, then uncordoned; no machine removed or made',
    );
    assert.deepEqual(tracked, ['demo-node-0=true', 'demo-node-0=false']);
    assert.equal(machines.get(old.name), old, 'the old machine is kept');
    assert.ok(events.some((m) => /eviction of default\/web-1 from demo-node-0 refused/.test(m)));
  });
});
