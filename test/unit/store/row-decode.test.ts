/** Strict column decoding: exact integers from every form the engines return, JSON of the expected shape, named rows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEach, decodeRow, int, intOrNull, json, UnreadableRowError } from '../../../src/store/row-decode.ts';

describe('row decoding', () => {
  it('reads exact integers from numbers, BigInts and numeric strings', () => {
    assert.equal(int(42, 'n'), 42);
    assert.equal(int(-7n, 'n'), -7);
    assert.equal(int(BigInt(Number.MAX_SAFE_INTEGER), 'n'), Number.MAX_SAFE_INTEGER);
    assert.equal(int('1700000000000', 'n'), 1_700_000_000_000);
    assert.equal(intOrNull(null, 'n'), null);
  });

  it('names the column and the value of an integer it cannot hold exactly', () => {
    const cases: [unknown, RegExp][] = [
      [9007199254740993n, /^create_timeout 9007199254740993 exceeds the exact integer range/],
      ['4611686018427387904', /^create_timeout 4611686018427387904 exceeds/],
      [2 ** 60, /^create_timeout 1152921504606847000 exceeds/],
      [1e300, /^create_timeout 1e\+300 exceeds/],
      [1.5, /^create_timeout 1\.5 is not an integer$/],
      ['ten', /^create_timeout ten is not an integer$/],
    ];
    for (const [v, re] of cases) {
      assert.throws(
        () => decodeRow('cluster c1', () => int(v, 'create_timeout'), 'c1'),
        (err: unknown) =>
          err instanceof UnreadableRowError &&
          err.cluster === 'c1' &&
          err.row === 'cluster c1' &&
          re.test(err.detail) &&
          err.message === `cluster c1: unreadable row: ${err.detail}`,
      );
    }
  });

  it('parses JSON columns to the expected shape and refuses others', () => {
    assert.deepEqual(json('{"a":"b"}', 'labels', 'object', {}), { a: 'b' });
    assert.deepEqual(json('', 'labels', 'object', {}), {});
    assert.equal(json('null', 'health_status_reason', 'object', null), null);
    assert.deepEqual(json('["10.0.0.1"]', 'node_addresses', 'array', []), ['10.0.0.1']);
    assert.throws(() => json('{"a"', 'labels', 'object', {}), /^Error: labels is not valid JSON/);
    assert.throws(() => json('[1]', 'labels', 'object', {}), /labels is not a JSON object/);
    assert.throws(() => json('{}', 'node_addresses', 'array', []), /node_addresses is not a JSON array/);
  });

  it('decodes rows one by one: the readable ones, and an error per unreadable one', () => {
    const rows = [{ v: 1 }, { v: 2n ** 60n }, { v: 3 }];
    const { items, unreadable } = decodeEach(rows, (r) => decodeRow(`row ${String(r.v)}`, () => int(r.v, 'v')));
    assert.deepEqual(items, [1, 3]);
    assert.equal(unreadable.length, 1);
    assert.match(
      unreadable[0]?.message ?? '',
      /^row 1152921504606846976: unreadable row: v 1152921504606846976 exceeds/,
    );
  });
});
