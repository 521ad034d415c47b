/** Per-node replacement times of bench/upgrade.ts, from an upgrade's event timeline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeReplacements } from '../../../bench/upgrade-figures.ts';

test('each node: from its first "cordon and drain" to its "replaced" event; other events ignored', () => {
  const ev = (
    time: string,
    message: string,
    phase = 'upgrade',
  ): { phase: string; level: string; message: string; time: string } => ({
    phase,
    level: 'info',
    message,
    time: `2026-12-01T04:00:${time}Z`,
  });
  assert.deepEqual(
    nodeReplacements([
      ev('00', 'node b-master-0 (master): magnetar/k8s-node:v1.36.3 → magnetar/k8s-node:v1.37.2; cordon and drain'),
      ev('01', 'node b-master-0 drained (1 pods evicted)'),
      ev('20', 'node b-master-0 replaced: Ready at v1.37.2, schedulable'),
      ev('21', 'node b-node-0 (worker): magnetar/k8s-node:v1.36.3 → magnetar/k8s-node:v1.37.2; cordon and drain'),
      ev('22', 'attempt 2 of cluster_update (resuming)', 'conductor'),
      ev('23', 'node b-node-0 (worker): magnetar/k8s-node:v1.36.3 → magnetar/k8s-node:v1.37.2; cordon and drain'),
      ev('40', 'node b-node-0 replaced: Ready at v1.37.2, schedulable'),
    ]),
    [
      { node: 'b-master-0', ms: 20_000 },
      { node: 'b-node-0', ms: 19_000 },
    ],
  );
});
