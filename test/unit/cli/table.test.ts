/** @module test/unit/cli/table — table rendering against output of python-magnumclient's own print_list/print_dict. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  displayWidth,
  fieldTitle,
  formatListTable,
  formatPropertyTable,
  pyRepr,
  pyReprNumber,
  renderTable,
} from '../../../src/cli/table.ts';
import type { ListColumn } from '../../../src/cli/table.ts';

/** Produced by fixtures/make-table-fixtures.py with Debian's python3-magnumclient and prettytable 3.6. */
interface Fixtures {
  lists: { name: string; columns: ListColumn[]; items: Record<string, unknown>[]; expected: string }[];
  dicts: { name: string; object: Record<string, unknown>; expected: string }[];
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/tables.json', import.meta.url), 'utf8')) as Fixtures;

void describe('list tables', () => {
  for (const fixture of fixtures.lists) {
    void it(`renders "${fixture.name}" exactly like magnumclient's print_list`, () => {
      assert.equal(formatListTable(fixture.items, fixture.columns), fixture.expected);
    });
  }
});

void describe('property tables', () => {
  for (const fixture of fixtures.dicts) {
    void it(`renders "${fixture.name}" exactly like magnumclient's print_dict`, () => {
      assert.equal(formatPropertyTable(fixture.object), fixture.expected);
    });
  }
});

void describe('python-style values', () => {
  void it('renders dicts, lists and scalars like Python repr', () => {
    assert.equal(
      pyRepr({ a: 'b', n: 1, t: true, z: null, l: ['x', 2] }),
      "{'a': 'b', 'n': 1, 't': True, 'z': None, 'l': ['x', 2]}",
    );
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.equal(pyRepr(`a'b"c`), `'a\\'b"c'`);
    assert.equal(pyRepr('line\nnext\u0001'), "'line\\nnext\\x01'");
  });

  void it('renders floats with Python exponent rules', () => {
    assert.equal(pyReprNumber(0.5), '0.5');
    assert.equal(pyReprNumber(0.0001), '0.0001');
    assert.equal(pyReprNumber(0.00001), '1e-05');
    assert.equal(pyReprNumber(1.5e-7), '1.5e-07');
    assert.equal(pyReprNumber(1e16), '10000000000000000'); // integral JSON numbers stay Python ints
    assert.equal(pyReprNumber(123.456), '123.456');
    assert.equal(pyReprNumber(-2.25), '-2.25');
  });

  void it('titles --fields headers like magnumclient', () => {
    assert.equal(fieldTitle('image_id'), 'Image Id');
    assert.equal(fieldTitle('k8s_version'), 'K8S Version');
    assert.equal(fieldTitle('mixedCase'), 'mixedCase');
  });

  void it('measures wide and combining characters by terminal columns', () => {
    assert.equal(displayWidth('中文'), 4);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(displayWidth('\u001b[31mred\u001b[0m'), 3);
  });

  void it('renders a table without rows as header and rules only', () => {
    assert.equal(renderTable(['a'], []), '+---+\n| a |\n+---+\n+---+');
  });
});
