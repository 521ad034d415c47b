/** Trusted proxies (addresses and CIDRs, IPv4-mapped peers) and the loopback test of bind addresses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost, trustedProxies } from '../../../src/config/addresses.ts';

describe('trustedProxies', () => {
  it('trusts no one when empty', () => {
    const t = trustedProxies([]);
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', undefined]) assert.equal(t(a), false);
  });

  it('matches addresses and CIDRs of both families, IPv4-mapped peers included', () => {
    const t = trustedProxies(['10.0.0.0/8', '192.168.1.5', '::1', 'fd00::/8']);
    assert.equal(t('10.2.3.4'), true);
    assert.equal(t('::ffff:10.2.3.4'), true);
    assert.equal(t('192.168.1.5'), true);
    assert.equal(t('192.168.1.6'), false);
    assert.equal(t('::1'), true);
    assert.equal(t('fd12::1'), true);
    assert.equal(t('11.0.0.1'), false);
    assert.equal(t('127.0.0.1'), false);
    assert.equal(t(undefined), false);
  });

  it('refuses an entry that is neither an address nor a CIDR, naming it', () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.0/x', '1.2.3.4/8/9', '']) {
      assert.throws(
        () => trustedProxies([bad]),
        new RegExp(`'${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' is not an IP address or CIDR`),
      );
    }
  });
});

describe('isLoopbackHost', () => {
  it('tells loopback-only bind addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', ''])
      assert.equal(isLoopbackHost(h), false, h);
  });
});
