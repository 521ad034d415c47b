/** The INTEGER column range applied to JSON schemas and to single values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundIntegers, checkDbInt, DB_INT_MAX, DB_INT_MIN } from '../../../src/core/int-bounds.ts';

describe('integer bounds', () => {
  it('bounds every integer subschema that has no bound of its own, and nothing else', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'integer', minimum: 1 },
        b: { type: 'integer', minimum: 1024, maximum: 65535 },
        c: { type: ['integer', 'null'] },
        d: { type: 'string' },
        e: { type: 'array', items: { type: 'integer' } },
        f: { type: 'object', additionalProperties: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
      },
    } as const;
    const out = boundIntegers(schema) as unknown as { properties: Record<string, Record<string, unknown>> };
    const p = out.properties;
    assert.deepEqual(p.a, { type: 'integer', minimum: 1, maximum: DB_INT_MAX });
    assert.deepEqual(p.b, { type: 'integer', minimum: 1024, maximum: 65535 });
    assert.deepEqual(p.c, { type: ['integer', 'null'], minimum: DB_INT_MIN, maximum: DB_INT_MAX });
    assert.deepEqual(p.d, { type: 'string' });
    assert.deepEqual(p.e?.items, { type: 'integer', minimum: DB_INT_MIN, maximum: DB_INT_MAX });
    assert.deepEqual((p.f?.additionalProperties as { anyOf: unknown[] }).anyOf[0], {
      type: 'integer',
      minimum: DB_INT_MIN,
      maximum: DB_INT_MAX,
    });
    assert.deepEqual(schema.properties.a, { type: 'integer', minimum: 1 }, 'the input is not changed');
    assert.deepEqual(boundIntegers(out), out, 'idempotent');
  });

  it('checks single values with the field named', () => {
    checkDbInt('n', DB_INT_MAX);
    checkDbInt('n', DB_INT_MIN);
    assert.throws(() => checkDbInt('node_count', DB_INT_MAX + 1), {
      message: `Invalid input for field/attribute node_count. Value: '${DB_INT_MAX + 1}'. Value should be lower or equal to ${DB_INT_MAX}`,
    });
    assert.throws(() => checkDbInt('n', DB_INT_MIN - 1), /Value should be greater or equal to -2147483648/);
  });
});
