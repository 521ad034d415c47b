import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  observeApiBalancer,
  recordedApiBalancer,
  watchesApiBalancer,
  withApiBalancer,
} from '../../../src/conductor/api-balancer-watch.ts';
import type { Cluster } from '../../../src/core/types.ts';
import { API_LOAD_BALANCER_STATE, type HealthReport } from '../../../src/drivers/contract.ts';
import type { LoadBalancer, LoadBalancerSpec } from '../../../src/providers/contract.ts';

const UUID = '0b5e6d36-4c1a-4a59-9d8e-1f0c2d3e4f50';
const spec: LoadBalancerSpec = {
  name: `magnetar-${UUID}-lb-api`,
  clusterUuid: UUID,
  purpose: 'api',
  network: { id: 'net-1', vipAddress: '10.20.0.200' },
  listeners: [],
  labels: {},
};
const lb = (state: LoadBalancer['state'], status: string, name = spec.name): LoadBalancer => ({
  id: 'c1',
  name,
  clusterUuid: UUID,
  purpose: 'api',
  vipAddress: '10.20.0.200',
  state,
  status,
  labels: {},
  listeners: [],
  endpoints: {},
});
/** Only the fields the watch reads. */
const cluster = (driverState: Record<string, unknown>): Cluster =>
  ({ uuid: UUID, master_lb_enabled: true, driver_state: driverState }) as unknown as Cluster;

describe('the API load balancer watch', () => {
  it('reads the recorded spec from the driver state; anything else is no spec', () => {
    assert.deepEqual(recordedApiBalancer(cluster({ [API_LOAD_BALANCER_STATE]: spec })), spec);
    assert.equal(recordedApiBalancer(cluster({})), undefined);
    assert.equal(recordedApiBalancer(cluster({ [API_LOAD_BALANCER_STATE]: { name: 'x' } })), undefined);
    assert.equal(recordedApiBalancer(cluster({ [API_LOAD_BALANCER_STATE]: 'x' })), undefined);
  });

  it('active: ok; stopped: its status; gone: missing (named from the recorded spec)', () => {
    const c = cluster({ [API_LOAD_BALANCER_STATE]: spec });
    assert.equal(watchesApiBalancer(c), true);
    assert.deepEqual(observeApiBalancer(c, [lb('active', 'running')]), {
      ok: true,
      reason: 'ok',
      spec,
    });
    assert.deepEqual(observeApiBalancer(c, [lb('stopped', 'exited')]), {
      ok: false,
      reason: `${spec.name} exited`,
      spec,
    });
    const other = lb('active', 'running', `magnetar-${UUID}-lb-svc-web`);
    assert.deepEqual(observeApiBalancer(c, [{ ...other, purpose: 'service' }]), {
      ok: false,
      reason: `${spec.name} missing`,
      spec,
    });
  });

  it('without a recorded spec, or without master_lb_enabled: not watched (the pass makes no provider call for it)', () => {
    assert.equal(watchesApiBalancer(cluster({})), false);
    assert.equal(observeApiBalancer(cluster({}), [lb('active', 'running')]), undefined);
    const off = { ...cluster({ [API_LOAD_BALANCER_STATE]: spec }), master_lb_enabled: false } as Cluster;
    assert.equal(watchesApiBalancer(off), false);
    assert.equal(observeApiBalancer(off, [lb('active', 'running')]), undefined);
  });

  it('adds api_lb to the report; a balancer that does not serve makes HEALTHY UNHEALTHY, never better', () => {
    const healthy: HealthReport = { status: 'HEALTHY', reason: { api: 'ok', 'm-0.Ready': 'True' }, failed: [] };
    assert.deepEqual(withApiBalancer(healthy, { ok: true, reason: 'ok', spec }), {
      ...healthy,
      reason: { ...healthy.reason, api_lb: 'ok' },
    });
    const down = withApiBalancer(healthy, { ok: false, reason: `${spec.name} missing`, spec });
    assert.equal(down.status, 'UNHEALTHY');
    assert.equal(down.reason.api_lb, `${spec.name} missing`);
    assert.deepEqual(down.failed, [], 'not a node failure: auto-healing does not replace nodes for it');
    const unknown: HealthReport = { status: 'UNKNOWN', reason: { api: 'down' }, failed: [] };
    assert.equal(withApiBalancer(unknown, { ok: false, reason: 'x', spec }).status, 'UNKNOWN');
  });
});
