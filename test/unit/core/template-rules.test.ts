/** @module test/unit/core/template-rules — COE, server type, network/volume driver, storage, DNS and subnet checks. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import {
  checkCoe,
  checkDns,
  checkFixedSubnet,
  checkNetworkDriver,
  checkServerType,
  checkStorage,
  checkVolumeDriver,
} from '../../../src/core/template-rules.ts';

const is400 =
  (message: RegExp) =>
  (e: unknown): boolean =>
    e instanceof MagnumError && e.status === 400 && e.code === 'InvalidParameterValue' && message.test(e.message);

void describe('checkCoe', () => {
  for (const coe of ['kubernetes', 'swarm', 'swarm-mode', 'docker']) {
    test(`accepts ${coe}`, () => assert.equal(checkCoe(coe), coe));
  }
  test('refuses mesos and dcos as not supported', () => {
    assert.throws(() => checkCoe('mesos'), is400(/^Requested COE type mesos is not supported\.$/));
    assert.throws(() => checkCoe('dcos'), is400(/COE type dcos is not supported/));
  });
  test('refuses a missing COE as Unset', () => {
    assert.throws(() => checkCoe(undefined), is400(/Requested COE type Unset is not supported/));
  });
});

void describe('checkServerType', () => {
  test('accepts vm, bm and container', () => {
    for (const t of ['vm', 'bm', 'container']) assert.doesNotThrow(() => checkServerType(t));
  });
  test('refuses anything else naming the value', () => {
    assert.throws(() => checkServerType('lxc'), is400(/Server type lxc is not supported/));
  });
});

void describe('checkNetworkDriver', () => {
  test('returns the COE default when none is given', () => {
    assert.equal(checkNetworkDriver('kubernetes', null), 'flannel');
    assert.equal(checkNetworkDriver('swarm', undefined), 'docker');
    assert.equal(checkNetworkDriver('docker', ''), 'docker');
  });
  test('accepts a driver the COE supports', () => {
    assert.equal(checkNetworkDriver('kubernetes', 'calico'), 'calico');
    assert.equal(checkNetworkDriver('swarm-mode', 'flannel'), 'flannel');
  });
  test('refuses a driver the COE does not support, listing the allowed ones', () => {
    assert.throws(
      () => checkNetworkDriver('swarm', 'calico'),
      is400(/^Network driver type calico is not supported, expecting a docker\/flannel\/unspecified network driver\.$/),
    );
  });
});

void describe('checkVolumeDriver', () => {
  test('accepts no driver and a supported one', () => {
    assert.doesNotThrow(() => checkVolumeDriver('kubernetes', null));
    assert.doesNotThrow(() => checkVolumeDriver('kubernetes', 'cinder'));
    assert.doesNotThrow(() => checkVolumeDriver('swarm', 'rexray'));
  });
  test('refuses an unsupported driver', () => {
    assert.throws(
      () => checkVolumeDriver('swarm', 'cinder'),
      is400(/Volume driver type cinder is not supported, expecting a rexray\/unspecified/),
    );
    assert.throws(() => checkVolumeDriver('docker', 'rexray'), is400(/expecting a unspecified volume driver/));
  });
});

void describe('checkStorage', () => {
  test('requires a volume of at least 3 GB for devicemapper', () => {
    assert.throws(() => checkStorage('devicemapper', null), is400(/docker volume size None GB is not valid/));
    assert.throws(
      () => checkStorage('devicemapper', 2),
      is400(/docker volume size 2 GB is not valid, expecting minimum value 3GB/),
    );
    assert.doesNotThrow(() => checkStorage('devicemapper', 3));
  });
  test('has no minimum for other storage drivers', () => {
    assert.doesNotThrow(() => checkStorage('overlay2', null));
    assert.doesNotThrow(() => checkStorage(null, 1));
  });
});

void describe('checkDns', () => {
  test('accepts nothing, one address and a comma-separated list', () => {
    for (const dns of [null, undefined, '', '8.8.8.8', '8.8.8.8, 1.1.1.1', '255.255.255.255'])
      assert.doesNotThrow(() => checkDns(dns));
  });
  test('refuses names, out-of-range octets and IPv6 naming the value', () => {
    for (const dns of ['dns.example', '8.8.8.256', '8.8.8', '::1', '8.8.8.8;1.1.1.1', '08.8.8.8']) {
      assert.throws(() => checkDns(dns), is400(new RegExp(`but received ${dns.replace(/\./g, '\\.')}\\.$`)));
    }
  });
});

void describe('checkFixedSubnet', () => {
  test('accepts /8 to /29 IPv4 networks and subnet names', () => {
    for (const s of [null, '10.0.0.0/8', '192.168.1.0/24', '10.1.2.0/29', 'private-subnet'])
      assert.doesNotThrow(() => checkFixedSubnet(s));
  });
  test('refuses malformed or out-of-range CIDRs', () => {
    for (const s of ['10.0.0.0/30', '10.0.0.0/7', '300.0.0.0/24', '10.0.0.0', '10.0.0/24']) {
      assert.throws(() => checkFixedSubnet(s), is400(/is not a valid IPv4 CIDR/));
    }
  });
});
