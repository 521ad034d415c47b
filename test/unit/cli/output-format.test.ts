/** @module test/unit/cli/output-format — `--format table|json|yaml|value` of show and list commands. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { renderList, renderObject } from '../../../src/cli/output-format.ts';
import { formatListTable, formatPropertyTable } from '../../../src/cli/table.ts';

const OBJECT = { uuid: 'u1', name: 'c1', node_count: 2, labels: { a: '1' }, api_address: null, tags: ['x'] };
const ITEMS = [
  { uuid: 'u1', name: 'c1', node_count: 2, status: 'CREATE_COMPLETE', extra: 'hidden' },
  { uuid: 'u2', name: null, node_count: 0, status: 'CREATE_FAILED' },
];
const COLUMNS = ['uuid', 'name', 'node_count', 'status'].map((field) => ({ header: field, field }));

void describe('renderObject', () => {
  void it('table is the given magnumclient table', () => {
    assert.equal(
      renderObject('table', OBJECT, (o) => formatPropertyTable(o)),
      formatPropertyTable(OBJECT),
    );
  });

  void it('json and yaml keep the API values and types', () => {
    assert.deepEqual(JSON.parse(renderObject('json', OBJECT, () => '')), OBJECT);
    assert.deepEqual(parse(renderObject('yaml', OBJECT, () => '')), OBJECT);
  });

  void it('value prints each value on its own line, as Python str()', () => {
    assert.equal(
      renderObject('value', OBJECT, () => ''),
      "u1\nc1\n2\n{'a': '1'}\nNone\n['x']",
    );
  });
});

void describe('renderList', () => {
  const table = (): string => formatListTable(ITEMS, COLUMNS);

  void it('table is the magnumclient list table', () => {
    assert.equal(renderList('table', ITEMS, COLUMNS, table), formatListTable(ITEMS, COLUMNS));
  });

  void it('json and yaml give the listed columns only, keyed by field', () => {
    const expected = [
      { uuid: 'u1', name: 'c1', node_count: 2, status: 'CREATE_COMPLETE' },
      { uuid: 'u2', name: null, node_count: 0, status: 'CREATE_FAILED' },
    ];
    assert.deepEqual(JSON.parse(renderList('json', ITEMS, COLUMNS, table) ?? ''), expected);
    assert.deepEqual(parse(renderList('yaml', ITEMS, COLUMNS, table) ?? ''), expected);
    assert.equal(renderList('json', [], COLUMNS, table), '[]');
    assert.equal(renderList('yaml', [], COLUMNS, table), '[]');
  });

  void it('value prints one space-separated row per item and nothing for an empty list', () => {
    assert.equal(renderList('value', ITEMS, COLUMNS, table), 'u1 c1 2 CREATE_COMPLETE\nu2 None 0 CREATE_FAILED');
    assert.equal(renderList('value', [], COLUMNS, table), null);
  });
});
