import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerMemory, mean, median, mib, timesTable } from '../../../bench/create-figures.ts';

describe('bench/create figures', () => {
  it('median of odd and even counts, mean', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(mean([1, 2, 6]), 3);
  });

  it('the table has one row per run, median, mean and the ratio of medians', () => {
    const t = timesTable([10_000, 12_000, 11_000], [13_000, 14_000, 15_000], 1.3);
    assert.deepEqual(t.slice(0, 6), [
      'run   floor s   magnetar s',
      '  1     10.00        13.00',
      '  2     12.00        14.00',
      '  3     11.00        15.00',
      'med     11.00        14.00',
      'mean    11.00        14.00',
    ]);
    assert.equal(t.at(-1), 'ratio (median magnetar / median floor): 1.27x (target <= 1.30x)');
  });

  it('memory is usage less inactive page cache (cgroup v2 and v1), none without usage', () => {
    assert.equal(containerMemory({ memory_stats: { usage: 1000, stats: { inactive_file: 300 } } }), 700);
    assert.equal(containerMemory({ memory_stats: { usage: 1000, stats: { total_inactive_file: 100 } } }), 900);
    assert.equal(containerMemory({ memory_stats: { usage: 1000, stats: { inactive_file: 5000 } } }), 1000);
    assert.equal(containerMemory({ memory_stats: {} }), undefined);
    assert.equal(containerMemory({}), undefined);
    assert.equal(mib(3 * 2 ** 20 + 2 ** 19), '3.5 MiB');
  });
});
