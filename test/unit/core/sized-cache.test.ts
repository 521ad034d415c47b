/** Caches are bounded by the bytes they hold, not by how many entries: big entries cannot pile up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseCache } from '../../../src/api/response-cache.ts';
import { SizedCache, stringBytes } from '../../../src/core/sized-cache.ts';

const MiB = 1024 * 1024;

describe('SizedCache', () => {
  it('drops the least recently used entries to stay under its byte bound', () => {
    const c = new SizedCache<string>(10_000, stringBytes);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, 'x'.repeat(1000));
    assert.ok(c.bytes <= 10_000, `${c.bytes} bytes held`);
    assert.ok(c.size >= 4 && c.size < 10, `${c.size} entries`);
    assert.equal(c.get('k0'), undefined, 'the oldest went first');
    assert.equal(c.get('k99')?.length, 1000, 'the newest is kept');
  });

  it('a read makes an entry recent; replacing an entry counts its new size only', () => {
    // Each entry: 2 bytes of key, 2000 of value, 64 of bookkeeping; four fit.
    const c = new SizedCache<string>(4 * (2 + 2000 + 64), stringBytes);
    for (const k of ['a', 'b', 'c', 'd']) c.set(k, 'x'.repeat(1000));
    assert.ok(c.get('a'));
    c.set('e', 'x'.repeat(1000));
    assert.equal(c.get('b'), undefined, 'b was the least recently used');
    assert.ok(c.get('a'));
    const before = c.bytes;
    c.set('a', 'y'.repeat(1000));
    assert.equal(c.bytes, before);
  });

  it('never keeps an entry larger than a quarter of the bound, and 0 keeps nothing', () => {
    const c = new SizedCache<string>(10_000, stringBytes);
    c.set('big', 'x'.repeat(2_000));
    assert.equal(c.get('big'), undefined);
    assert.equal(c.bytes, 0);
    const off = new SizedCache<string>(0, stringBytes);
    off.set('k', 'v');
    assert.equal(off.size, 0);
  });
});

describe('ResponseCache', () => {
  it('holding many big rendered lists stays under its byte bound', () => {
    const bound = 32 * MiB;
    const cache = new ResponseCache(bound);
    // 200 different list variants (limits, markers, sort keys) of 3 MiB each: 600 MiB if counted by entries.
    for (let i = 0; i < 200; i++) cache.set(`/v1/clustertemplates|p|limit=${i}`, 'r1', Buffer.alloc(3 * MiB, 0x61));
    assert.ok(cache.bytes <= bound, `${cache.bytes} bytes held, bound ${bound}`);
    assert.ok(cache.bytes > bound / 2, 'the bound is used, not ignored');
    assert.equal(cache.get('/v1/clustertemplates|p|limit=199', 'r1')?.length, 3 * MiB);
    assert.equal(cache.get('/v1/clustertemplates|p|limit=199', 'r2'), undefined, 'another revision is a miss');
    assert.equal(cache.get('/v1/clustertemplates|p|limit=0', 'r1'), undefined, 'the oldest were dropped');
  });
});
