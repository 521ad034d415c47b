/** The nesting depth of request JSON, counted without recursion and ignoring brackets inside strings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonDepth, MAX_JSON_DEPTH } from '../../../src/api/json-body.ts';

describe('jsonDepth', () => {
  it('counts arrays and objects, not brackets in strings', () => {
    assert.equal(jsonDepth('1'), 0);
    assert.equal(jsonDepth('{"a":[1,{"b":2}]}'), 3);
    assert.equal(jsonDepth('{"a":"[[[{{{\\"]]]"}'), 1);
    assert.equal(jsonDepth('[[],[[]],[]]'), 3);
  });

  it('handles a million levels without a stack', () => {
    assert.equal(jsonDepth('['.repeat(1_000_000) + ']'.repeat(1_000_000)), 1_000_000);
    assert.ok(MAX_JSON_DEPTH >= 3, "Magnum's own bodies nest 3 deep");
  });
});
