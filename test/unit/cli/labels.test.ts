/** @module test/unit/cli/labels — `--labels` parsing compatible with magnumclient's handle_labels. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../../src/cli/errors.ts';
import { parseLabels } from '../../../src/cli/labels.ts';

void describe('parseLabels', () => {
  void it('splits a single --labels on commas and semicolons', () => {
    assert.deepEqual(parseLabels(['kube_tag=v1.23.3,a=1;b=2']), { kube_tag: 'v1.23.3', a: '1', b: '2' });
  });

  void it('takes one KEY=VALUE from each of several --labels', () => {
    assert.deepEqual(parseLabels(['a=1', 'b=2']), { a: '1', b: '2' });
  });

  void it('keeps commas in the value of a single pair', () => {
    assert.deepEqual(parseLabels(['no_proxy=a,b']), { no_proxy: 'a,b' });
  });

  void it('splits each item at its first equals sign only', () => {
    assert.deepEqual(parseLabels(['opts=x=y', 'z=1']), { opts: 'x=y', z: '1' });
  });

  void it('joins the values of a repeated key with a comma', () => {
    assert.deepEqual(parseLabels(['a=1', 'a=2', 'b=3']), { a: '1,2', b: '3' });
  });

  void it('returns an empty map when no labels are given', () => {
    assert.deepEqual(parseLabels(undefined), {});
    assert.deepEqual(parseLabels([]), {});
  });

  void it('rejects an item without an equals sign', () => {
    assert.throws(
      () => parseLabels(['novalue']),
      (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.match(err.message, /labels must be a list of KEY=VALUE not "novalue"/);
        return true;
      },
    );
    assert.throws(() => parseLabels(['a=1,oops,b=2']), /not "oops"/);
  });

  void it('rejects an empty key', () => {
    assert.throws(() => parseLabels(['=v']), CliError);
  });
});
