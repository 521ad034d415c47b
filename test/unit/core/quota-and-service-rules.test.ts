/** @module test/unit/core/quota-and-service-rules — the per-project cluster limit and a service's up/down state. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import { checkClusterQuota } from '../../../src/core/quota-rules.ts';
import { COMPLETE_STATUSES, serviceState } from '../../../src/core/status.ts';

void describe('checkClusterQuota', () => {
  test('passes below the limit', () => assert.doesNotThrow(() => checkClusterQuota(19, 20)));

  test("refuses at the limit with Magnum's 403 ResourceLimitExceeded message", () => {
    assert.throws(
      () => checkClusterQuota(2, 2),
      (e: unknown) => {
        assert.ok(e instanceof MagnumError);
        assert.equal(e.status, 403);
        assert.equal(e.code, 'ResourceLimitExceeded');
        assert.equal(
          e.message,
          'Resource limit exceeded: You have reached the maximum clusters per project, 2. You may delete a cluster to make room for a new one.',
        );
        return true;
      },
    );
  });

  test('a limit of 0 refuses every cluster', () => assert.throws(() => checkClusterQuota(0, 0), MagnumError));
});

void describe('serviceState', () => {
  const at = (iso: string): number => Date.parse(iso);
  const row = {
    forced_down: false,
    last_seen_up: '2026-01-01T00:00:00.000Z',
    updated_at: null,
    created_at: '2025-12-31T00:00:00.000Z',
  };

  test('is up while the last heartbeat is recent enough', () =>
    assert.equal(serviceState(row, at('2026-01-01T00:00:30.000Z'), 30_000), 'up'));
  test('is down once the heartbeat is older than the limit', () =>
    assert.equal(serviceState(row, at('2026-01-01T00:00:30.001Z'), 30_000), 'down'));
  test('is down when forced down', () =>
    assert.equal(serviceState({ ...row, forced_down: true }, at('2026-01-01T00:00:01.000Z'), 30_000), 'down'));
  test('falls back to updated_at, then created_at', () => {
    assert.equal(
      serviceState(
        { ...row, last_seen_up: null, updated_at: '2026-01-01T00:00:00.000Z' },
        at('2026-01-01T00:00:10.000Z'),
        30_000,
      ),
      'up',
    );
    assert.equal(serviceState({ ...row, last_seen_up: null }, at('2026-01-01T00:00:10.000Z'), 30_000), 'down');
  });
});

void describe('COMPLETE_STATUSES', () => {
  test("holds Magnum's eight statuses an update may start from, none in progress or failed", () => {
    assert.equal(COMPLETE_STATUSES.size, 8);
    for (const s of COMPLETE_STATUSES) assert.match(s, /_COMPLETE$/);
    assert.equal(COMPLETE_STATUSES.has('DELETE_COMPLETE'), false);
  });
});
