/** @module test/unit/core/json-patch — Magnum's JSON PATCH: parsing, internal/mandatory paths, add-onto-null, mappings. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import { applyPatch, parseMapping, parsePatch, type PatchRules } from '../../../src/core/json-patch.ts';

const RULES: PatchRules = {
  internal: ['/status'],
  mandatory: ['/image_id', '/coe'],
  mappings: ['/labels'],
  defaults: { public: false, labels: {} },
};

const doc = (): Record<string, unknown> => ({
  uuid: '5d12f6fd-a196-4bf0-ae4c-1f639a523a52',
  name: 'old',
  image_id: 'img',
  coe: 'swarm',
  keypair_id: null,
  public: true,
  status: 'X',
  labels: { a: '1', b: '2' },
});

/** Asserts `fn` throws a 400 MagnumError with `code` whose message matches `message`. */
function throws400(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MagnumError, `expected a MagnumError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

void describe('parsePatch', () => {
  test('accepts add, replace and remove with string, integer and boolean values', () => {
    const ops = parsePatch([
      { op: 'replace', path: '/name', value: 'x' },
      { op: 'add', path: '/labels/k', value: 3 },
      { op: 'replace', path: '/public', value: true },
      { op: 'remove', path: '/keypair_id', value: 'ignored' },
    ]);
    assert.deepEqual(ops, [
      { op: 'replace', path: '/name', value: 'x' },
      { op: 'add', path: '/labels/k', value: 3 },
      { op: 'replace', path: '/public', value: true },
      { op: 'remove', path: '/keypair_id' },
    ]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a body that is not an array', { op: 'remove', path: '/name' }, /must be an array/],
    ['an operation that is not an object', ['remove'], /must be an object/],
    [
      'an unknown attribute on an operation',
      [{ op: 'remove', path: '/name', from: '/x' }],
      /Unknown attribute for argument patch: from/,
    ],
    ['an unknown op', [{ op: 'move', path: '/name' }], /field\/attribute op\. Value: 'move'/],
    ['a missing op', [{ path: '/name' }], /field\/attribute op/],
    ['a path with a JSON-pointer escape', [{ op: 'remove', path: '/a~1b' }], /field\/attribute path/],
    ['a path without a leading slash', [{ op: 'remove', path: 'name' }], /field\/attribute path/],
    ['a path with a dot', [{ op: 'remove', path: '/a.b' }], /field\/attribute path/],
    ['replace without a value', [{ op: 'replace', path: '/name' }], /'add' and 'replace' operations needs value/],
    ['add with a null value', [{ op: 'add', path: '/name', value: null }], /needs value/],
    ['an object value', [{ op: 'replace', path: '/labels', value: { a: 'b' } }], /field\/attribute value/],
    ['an array value', [{ op: 'replace', path: '/name', value: ['a'] }], /field\/attribute value/],
    ['a float value', [{ op: 'replace', path: '/node_count', value: 1.5 }], /field\/attribute value/],
  ];
  for (const [name, body, message] of bad) {
    test(`refuses ${name}`, () => throws400(() => parsePatch(body), 'InvalidInput', message));
  }
});

void describe('applyPatch', () => {
  const apply = (ops: unknown[], d = doc()): Record<string, unknown> => applyPatch(d, parsePatch(ops), RULES);

  test('replaces a top-level attribute without changing the input document', () => {
    const original = doc();
    const out = apply([{ op: 'replace', path: '/name', value: 'new' }], original);
    assert.equal(out.name, 'new');
    assert.equal(original.name, 'old');
  });

  test('adds onto an attribute that exists and is null', () => {
    assert.equal(apply([{ op: 'add', path: '/keypair_id', value: 'kp' }]).keypair_id, 'kp');
  });

  test('refuses add onto an attribute that already has a value', () => {
    throws400(
      () => apply([{ op: 'add', path: '/name', value: 'x' }]),
      'InvalidInput',
      /The attribute \/name has existed, please use 'replace'/,
    );
  });

  test('refuses add of a new attribute at the root', () => {
    throws400(
      () => apply([{ op: 'add', path: '/flavor', value: 'x' }]),
      'InvalidInput',
      /Adding a new attribute \/flavor to the root of the resource is not allowed/,
    );
  });

  for (const path of [
    '/uuid',
    '/id',
    '/links',
    '/created_at',
    '/updated_at',
    '/project_id',
    '/user_id',
    '/status',
    '/uuid/sub',
  ]) {
    test(`refuses any operation on the internal path ${path}`, () => {
      for (const op of ['replace', 'remove']) {
        throws400(
          () => apply([{ op, path, value: 'x' }]),
          'InvalidInput',
          new RegExp(`'${path.split('/').slice(0, 2).join('/')}' is an internal attribute and can not be updated`),
        );
      }
    });
  }

  test('refuses removing a mandatory attribute', () => {
    throws400(
      () => apply([{ op: 'remove', path: '/image_id' }]),
      'InvalidInput',
      /'\/image_id' is a mandatory attribute and can not be removed/,
    );
  });

  test('allows replacing a mandatory attribute', () => {
    assert.equal(apply([{ op: 'replace', path: '/coe', value: 'kubernetes' }]).coe, 'kubernetes');
  });

  test('resets a removed attribute to its declared default, or null without one', () => {
    const out = apply([
      { op: 'remove', path: '/public' },
      { op: 'remove', path: '/name' },
      { op: 'remove', path: '/labels' },
    ]);
    assert.equal(out.public, false);
    assert.equal(out.name, null);
    assert.deepEqual(out.labels, {});
  });

  test('refuses replacing or removing an attribute the document does not have', () => {
    throws400(
      () => apply([{ op: 'replace', path: '/nope', value: 'x' }]),
      'PatchError',
      /Couldn't apply patch .*Reason: can't replace a non-existent object 'nope'/,
    );
    throws400(
      () => apply([{ op: 'remove', path: '/nope' }]),
      'PatchError',
      /can't remove a non-existent object 'nope'/,
    );
  });

  test('adds, replaces and removes single labels through nested paths', () => {
    const out = apply([
      { op: 'add', path: '/labels/c', value: 3 },
      { op: 'replace', path: '/labels/a', value: 'one' },
      { op: 'remove', path: '/labels/b' },
    ]);
    assert.deepEqual(out.labels, { a: 'one', c: 3 });
  });

  test('refuses nested paths into missing labels, scalars or deeper than one level', () => {
    throws400(
      () => apply([{ op: 'remove', path: '/labels/zz' }]),
      'PatchError',
      /can't remove a non-existent object 'zz'/,
    );
    throws400(
      () => apply([{ op: 'replace', path: '/labels/zz', value: 'x' }]),
      'PatchError',
      /can't replace a non-existent object 'zz'/,
    );
    throws400(
      () => apply([{ op: 'replace', path: '/name/x', value: 'x' }]),
      'PatchError',
      /path \/name\/x does not exist/,
    );
    throws400(() => apply([{ op: 'add', path: '/labels/a/b', value: 'x' }]), 'PatchError', /does not exist/);
  });

  test('parses a python-dict label string as magnumclient sends it', () => {
    const out = apply([
      { op: 'replace', path: '/labels', value: "{'a': 'b', 'n': 1, 't': True, 'f': False, 'z': None, 'q': \"it's\"}" },
    ]);
    assert.deepEqual(out.labels, { a: 'b', n: 1, t: true, f: false, z: null, q: "it's" });
  });

  test('parses a JSON label string', () => {
    assert.deepEqual(apply([{ op: 'replace', path: '/labels', value: '{"a": "b"}' }]).labels, { a: 'b' });
  });

  test('leaves a string value of a non-mapping attribute as it is', () => {
    assert.equal(apply([{ op: 'replace', path: '/name', value: "{'a': 'b'}" }]).name, "{'a': 'b'}");
  });

  test('refuses a label string that is neither JSON nor a python dict', () => {
    for (const value of ['k1=v1,k2=v2', "{'a': }", '[1, 2]', "{'a': 'b' 'c': 'd'}"]) {
      throws400(() => apply([{ op: 'replace', path: '/labels', value }]), 'PatchError', /malformed mapping/);
    }
  });
});

void describe('parseMapping', () => {
  test('reads an empty python dict and negative and decimal numbers', () => {
    assert.deepEqual(parseMapping('{}', []), {});
    assert.deepEqual(parseMapping("{'a': -2, 'b': 1.5,}", []), { a: -2, b: 1.5 });
  });
});
