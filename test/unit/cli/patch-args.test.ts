/** @module test/unit/cli/patch-args — `op path=value` arguments to JSON PATCH, as python-magnumclient builds them. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../../src/cli/errors.ts';
import { argsToPatch } from '../../../src/cli/patch-args.ts';

void describe('argsToPatch', () => {
  void it('prefixes paths with / and JSON-decodes values that parse', () => {
    assert.deepEqual(argsToPatch('replace', ['node_count=3', '/name=new', 'master_lb_enabled=true', 'x=null']), [
      { op: 'replace', path: '/node_count', value: 3 },
      { op: 'replace', path: '/name', value: 'new' },
      { op: 'replace', path: '/master_lb_enabled', value: true },
      { op: 'replace', path: '/x', value: null },
    ]);
  });

  void it('splits at the first = only', () => {
    assert.deepEqual(argsToPatch('add', ['no_proxy=a=b,c']), [{ op: 'add', path: '/no_proxy', value: 'a=b,c' }]);
  });

  void it('sends labels as the Python repr of the label map, like magnumclient', () => {
    assert.deepEqual(argsToPatch('replace', ['labels=a=1,b=2']), [
      { op: 'replace', path: '/labels', value: "{'a': '1', 'b': '2'}" },
    ]);
    assert.deepEqual(argsToPatch('add', ['labels={"k": "v", "n": 1}']), [
      { op: 'add', path: '/labels', value: "{'k': 'v', 'n': '1'}" },
    ]);
  });

  void it('needs only the path on remove', () => {
    assert.deepEqual(argsToPatch('remove', ['labels', '/flavor_id']), [
      { op: 'remove', path: '/labels' },
      { op: 'remove', path: '/flavor_id' },
    ]);
  });

  void it('refuses an attribute without a value, an unknown op, and no attributes', () => {
    assert.throws(() => argsToPatch('replace', ['node_count']), {
      name: 'CliError',
      message: 'Attributes must be a list of PATH=VALUE not "/node_count"',
    });
    assert.throws(() => argsToPatch('move', ['a=b']), new CliError('Unknown PATCH operation: move'));
    assert.throws(() => argsToPatch('add', []), /required: <path=value>/);
    assert.throws(() => argsToPatch('replace', ['labels=broken']), /labels must be a list of KEY=VALUE not "broken"/);
  });
});
