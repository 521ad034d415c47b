import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, RetryBackoff } from '../../../src/core/retry-backoff.ts';

describe('backoffDelay', () => {
  const p = { baseMs: 4_000, maxMs: 120_000 };
  it('doubles from the base per failure in a row, up to the bound', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(p, n)),
      [4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000],
    );
  });
  it('no failure: no wait; a huge count stays at the bound (no overflow)', () => {
    assert.equal(backoffDelay(p, 0), 0);
    assert.equal(backoffDelay(p, 10_000), 120_000);
  });
});

describe('RetryBackoff', () => {
  it('a key that never failed is due; a failed one is due again only after its wait', () => {
    const b = new RetryBackoff({ baseMs: 1_000, maxMs: 5_000 });
    assert.equal(b.due('a', 0), true);
    assert.equal(b.failing('a'), false);
    const e = b.failed('a', 10_000, 'no answer');
    assert.deepEqual(e, { failures: 1, retryAt: 11_000, delayMs: 1_000, reason: 'no answer' });
    assert.equal(b.failing('a'), true);
    assert.equal(b.due('a', 10_999), false);
    assert.equal(b.due('a', 11_000), true);
    assert.equal(b.due('b', 10_500), true, 'other keys are not held up');
  });

  it('failures in a row back off exponentially up to the bound; a success forgets the key', () => {
    const b = new RetryBackoff({ baseMs: 1_000, maxMs: 5_000 });
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const e = b.failed('a', now, `fail ${i}`);
      waits.push(e.delayMs);
      now = e.retryAt;
    }
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
    assert.equal(b.entry('a')?.reason, 'fail 4');
    assert.equal(b.succeeded('a')?.failures, 5);
    assert.equal(b.failing('a'), false);
    assert.equal(b.succeeded('a'), undefined, 'already forgotten');
    assert.equal(b.failed('a', now, 'again').delayMs, 1_000, 'a new run of failures starts at the base');
  });

  it('retain forgets keys that are gone', () => {
    const b = new RetryBackoff({ baseMs: 1_000, maxMs: 5_000 });
    b.failed('a', 0, 'x');
    b.failed('b', 0, 'y');
    b.retain(new Set(['b', 'c']));
    assert.equal(b.size, 1);
    assert.equal(b.failing('a'), false);
    assert.equal(b.failing('b'), true);
  });

  it('refuses a policy without a positive base at most the bound', () => {
    assert.throws(() => new RetryBackoff({ baseMs: 0, maxMs: 1 }), RangeError);
    assert.throws(() => new RetryBackoff({ baseMs: 10, maxMs: 5 }), RangeError);
  });
});
