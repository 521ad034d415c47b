/** @module test/unit/core/names — generated names and UUID-like identifiers. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalUuid, generateName, isUuidLike } from '../../../src/core/names.ts';

void describe('generateName', () => {
  test('builds <greek letter>-<n>-<kind> from the random source', () => {
    assert.equal(
      generateName('cluster', () => 0),
      'alpha-1-cluster',
    );
    assert.equal(
      generateName('template', () => 0.999999),
      'omega-24-template',
    );
  });

  test('always produces a name matching the cluster name pattern', () => {
    for (let i = 0; i < 200; i++) {
      const name = generateName('cluster');
      assert.match(name, /^[a-z]+-([1-9]|1\d|2[0-4])-cluster$/);
      assert.match(name, /^[a-zA-Z][a-zA-Z0-9_.-]*$/);
    }
  });
});

void describe('isUuidLike and canonicalUuid', () => {
  const cases: [string, string, boolean][] = [
    ['a dashed lower-case uuid', '5d12f6fd-a196-4bf0-ae4c-1f639a523a52', true],
    ['an upper-case uuid', '5D12F6FD-A196-4BF0-AE4C-1F639A523A52', true],
    ['32 hex digits without dashes', '5d12f6fda1964bf0ae4c1f639a523a52', true],
    ['a name', 'my-cluster', false],
    ['a uuid with one digit too few', '5d12f6fd-a196-4bf0-ae4c-1f639a523a5', false],
    ['a uuid with a non-hex digit', '5d12f6fd-a196-4bf0-ae4c-1f639a523a5g', false],
  ];
  for (const [name, s, like] of cases) {
    test(`${like ? 'accepts' : 'refuses'} ${name}`, () => assert.equal(isUuidLike(s), like));
  }

  test('canonicalizes to lower-case dashed form', () => {
    const want = '5d12f6fd-a196-4bf0-ae4c-1f639a523a52';
    assert.equal(canonicalUuid('5D12F6FDA1964BF0AE4C1F639A523A52'), want);
    assert.equal(canonicalUuid(want), want);
  });
});
