/**
 * @module test/unit/drivers/kubernetes/api-balancer — the masters' load balancer spec: name and purpose, VIP on the
 * cluster network, one TCP listener on 6443 with every master a member, health-checked by an HTTPS GET of /readyz.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  API_LB_LISTENER,
  apiBalancerName,
  apiBalancerSpec,
  apiBalancerVip,
} from '../../../../src/drivers/kubernetes/api-balancer.ts';
import { API_LB_HOST, FIRST_MASTER_HOST, MAX_MASTERS } from '../../../../src/drivers/local-common/node-plan.ts';

const UUID = '0b6c4d2e-1111-4222-8333-944455556666';
const NET = { id: 'net-1', cidr: '10.20.7.0/24' };
const MASTERS = [0, 1, 2].map((i) => ({ hostname: `ha-master-${i}`, ip: `10.20.7.${10 + i}` }));

void describe('API load balancer spec', () => {
  void test('named after the cluster, purpose api, VIP .200 of the cluster network (off every node address)', () => {
    const spec = apiBalancerSpec({ clusterUuid: UUID, network: NET, masters: MASTERS });
    assert.equal(spec.name, `magnetar-${UUID}-lb-api`);
    assert.equal(spec.name, apiBalancerName(UUID));
    assert.equal(spec.clusterUuid, UUID);
    assert.equal(spec.purpose, 'api');
    assert.deepEqual(spec.network, { id: 'net-1', vipAddress: '10.20.7.200' });
    assert.equal(apiBalancerVip({ cidr: '192.168.5.0/24' }), '192.168.5.200');
    assert.ok(API_LB_HOST >= FIRST_MASTER_HOST + MAX_MASTERS, 'the VIP is never a master address');
  });

  void test('one TCP listener on 6443: every master a member, /readyz over HTTPS checks them, long idle timeout', () => {
    const spec = apiBalancerSpec({ clusterUuid: UUID, network: NET, masters: MASTERS });
    assert.equal(spec.listeners.length, 1);
    const l = spec.listeners[0]!;
    assert.equal(l.name, API_LB_LISTENER);
    assert.equal(l.protocol, 'TCP');
    assert.equal(l.port, 6443);
    assert.deepEqual(l.allowedCidrs, []);
    assert.deepEqual(l.members, [
      { name: 'ha-master-0', address: '10.20.7.10', port: 6443 },
      { name: 'ha-master-1', address: '10.20.7.11', port: 6443 },
      { name: 'ha-master-2', address: '10.20.7.12', port: 6443 },
    ]);
    assert.deepEqual(l.healthMonitor, {
      type: 'HTTPS',
      urlPath: '/readyz',
      expectedCodes: '200',
      delaySeconds: 2,
      timeoutSeconds: 2,
      maxRetries: 2,
    });
    assert.ok(l.idleTimeoutSeconds >= 600, 'watches outlive short idle timeouts');
  });
});
