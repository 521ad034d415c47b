/** @module test/unit/core/labels — label normalization, label diffs and strict boolean parsing. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import { labelsDiff, normalizeLabels, parseBool } from '../../../src/core/labels.ts';

void describe('normalizeLabels', () => {
  test('keeps strings and turns numbers and booleans into the strings Magnum stores', () => {
    assert.deepEqual(normalizeLabels({ a: 'b', n: 3, f: 1.5, t: true, x: false }), {
      a: 'b',
      n: '3',
      f: '1.5',
      t: 'True',
      x: 'False',
    });
  });

  test('treats null and undefined as no labels', () => {
    assert.deepEqual(normalizeLabels(null), {});
    assert.deepEqual(normalizeLabels(undefined), {});
  });

  const bad: [string, unknown, RegExp][] = [
    ['a nested object value is refused naming the key', { ok: 'x', deep: { a: 1 } }, /Label 'deep' must be a string/],
    ['an array value is refused naming the key', { list: [1] }, /Label 'list'/],
    ['a null value is refused naming the key', { gone: null }, /Label 'gone'/],
    ['a non-finite number is refused', { n: Number.NaN }, /Label 'n'/],
    ['an array instead of a mapping is refused', ['a'], /dictionary of strings/],
    ['a string instead of a mapping is refused', 'a=b', /dictionary of strings/],
    ['an empty key is refused', { '': 'x' }, /Label key '' must be 1 to 255 characters/],
    ['a key longer than 255 characters is refused', { ['k'.repeat(256)]: 'x' }, /must be 1 to 255 characters/],
  ];
  for (const [name, input, message] of bad) {
    test(name, () => {
      assert.throws(
        () => normalizeLabels(input),
        (e: unknown) =>
          e instanceof MagnumError &&
          e.status === 400 &&
          e.code === 'InvalidInput' &&
          message.test(e.message) &&
          e.message.includes('labels'),
      );
    });
  }

  test('names the field given by the caller in the error', () => {
    assert.throws(() => normalizeLabels(3, 'health_status_reason'), /field\/attribute health_status_reason/);
  });
});

void describe('labelsDiff', () => {
  test('reports overridden (with the base value), added and skipped labels', () => {
    const base = { a: '1', b: '2', c: '3' };
    const own = { a: '1', b: 'two', d: '4' };
    assert.deepEqual(labelsDiff(base, own), { overridden: { b: '2' }, added: { d: '4' }, skipped: { c: '3' } });
  });

  test('reports nothing when the labels equal the base', () => {
    assert.deepEqual(labelsDiff({ a: '1' }, { a: '1' }), { overridden: {}, added: {}, skipped: {} });
  });
});

void describe('parseBool', () => {
  for (const word of ['true', 'TRUE', ' yes ', 'on', 'y', 't', '1']) {
    test(`reads '${word}' as true`, () => assert.equal(parseBool(word), true));
  }
  for (const word of ['false', 'False', 'no', 'off', 'n', 'f', '0']) {
    test(`reads '${word}' as false`, () => assert.equal(parseBool(word), false));
  }
  for (const word of ['maybe', '', '2', 'truee', 'null']) {
    test(`does not read '${word}' as a boolean`, () => assert.equal(parseBool(word), undefined));
  }
});
