import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostAddress, parseCidr, pickFreeSubnet } from '../../../src/providers/docker/subnets.ts';

void describe('pickFreeSubnet', () => {
  void it('returns 10.10.0.0/24 when nothing is in use', () => {
    assert.equal(pickFreeSubnet([]), '10.10.0.0/24');
  });

  void it('skips subnets that overlap used ones, whatever their size', () => {
    assert.equal(pickFreeSubnet(['10.10.0.0/24', '10.10.1.0/24']), '10.10.2.0/24');
    assert.equal(pickFreeSubnet(['10.10.0.0/23']), '10.10.2.0/24');
    assert.equal(pickFreeSubnet(['10.10.0.128/25']), '10.10.1.0/24');
    assert.equal(pickFreeSubnet(['10.10.0.0/16']), '10.11.0.0/24');
    assert.equal(pickFreeSubnet(['10.8.0.0/14']), '10.12.0.0/24');
  });

  void it('ignores used entries that are not IPv4 CIDRs', () => {
    assert.equal(pickFreeSubnet(['fd00::/64', 'garbage', '172.17.0.0/16']), '10.10.0.0/24');
  });

  void it('returns null when the whole 10.10-10.99 range is taken', () => {
    assert.equal(pickFreeSubnet(['10.0.0.0/8']), null);
    assert.equal(pickFreeSubnet(['10.0.0.0/9']), null);
  });

  void it('returns the preferred subnet when it is free', () => {
    assert.equal(pickFreeSubnet(['10.10.0.0/24'], '10.42.7.0/24'), '10.42.7.0/24');
    assert.equal(pickFreeSubnet([], '192.168.77.0/24'), '192.168.77.0/24');
  });

  void it('normalizes a preferred subnet with host bits set', () => {
    assert.equal(pickFreeSubnet([], '10.42.7.9/24'), '10.42.7.0/24');
  });

  void it('falls back to the search when the preferred subnet is taken, reserved or malformed', () => {
    assert.equal(pickFreeSubnet(['10.42.0.0/16'], '10.42.7.0/24'), '10.10.0.0/24');
    assert.equal(pickFreeSubnet([], '10.0.0.0/24'), '10.10.0.0/24');
    assert.equal(pickFreeSubnet([], '10.0.0.0/16'), '10.10.0.0/24');
    assert.equal(pickFreeSubnet([], '10.130.5.0/24'), '10.10.0.0/24');
    assert.equal(pickFreeSubnet([], '10.200.0.0/24'), '10.10.0.0/24');
    assert.equal(pickFreeSubnet([], 'not-a-cidr'), '10.10.0.0/24');
    assert.equal(pickFreeSubnet([], '10.1.2.300/24'), '10.10.0.0/24');
  });

  void it('never returns a subnet inside 10.128.0.0/9 or equal to 10.0.0.0/24', () => {
    const used: string[] = [];
    for (let i = 0; i < 300; i++) {
      const s = pickFreeSubnet(used);
      assert.ok(s);
      const r = parseCidr(s);
      assert.ok(r);
      assert.ok(r[1] < parseCidr('10.128.0.0/9')![0]);
      assert.notEqual(s, '10.0.0.0/24');
      used.push(s);
    }
    assert.equal(new Set(used).size, 300);
    assert.equal(used[299], '10.11.43.0/24');
  });
});

void describe('parseCidr and hostAddress', () => {
  void it('parses IPv4 CIDRs into address ranges', () => {
    assert.deepEqual(parseCidr('0.0.0.0/0'), [0, 2 ** 32 - 1]);
    assert.deepEqual(parseCidr('10.10.3.0/24'), [168428288, 168428543]);
    assert.equal(parseCidr('10.10.3.0/33'), null);
    assert.equal(parseCidr('fd00::/8'), null);
  });

  void it('gives the n-th host address of a subnet', () => {
    assert.equal(hostAddress('10.10.3.0/24', 10), '10.10.3.10');
    assert.equal(hostAddress('10.10.3.0/24', 1), '10.10.3.1');
    assert.throws(() => hostAddress('10.10.3.0/24', 255), RangeError);
    assert.throws(() => hostAddress('10.10.3.0/24', 0), RangeError);
  });
});
