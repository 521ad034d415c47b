/** Fair turns: one at a time, round-robin across projects, and other work runs between turns. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FairGate } from '../../../src/api/fair-gate.ts';

describe('FairGate', () => {
  it('runs one turn at a time and serves projects round-robin, not in arrival order', async () => {
    const gate = new FairGate();
    const order: string[] = [];
    let running = 0;
    const turn = (key: string, n: number): Promise<void> =>
      gate.run(key, async () => {
        running += 1;
        assert.equal(running, 1, 'one turn at a time');
        order.push(`${key}${n}`);
        await tick();
        running -= 1;
      });
    // Project a queues five turns before b and c ask for one each.
    const all = [1, 2, 3, 4, 5].map((n) => turn('a', n));
    all.push(turn('b', 1), turn('c', 1));
    await Promise.all(all);
    assert.deepEqual(
      order.slice(0, 4),
      ['a1', 'a2', 'b1', 'c1'],
      `b and c are not queued behind a's turns: ${order.join(' ')}`,
    );
    assert.equal(order.length, 7);
  });

  it('lets other work run between turns', async () => {
    const gate = new FairGate();
    const log: string[] = [];
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const turns = [1, 2, 3].map((n) =>
      gate.run('big', async () => {
        busy(5);
        log.push(`turn${n}`);
      }),
    );
    const other = (async () => {
      await tick();
      log.push('other');
    })();
    await Promise.all([...turns, other]);
    assert.ok(log.indexOf('other') < log.indexOf('turn3'), log.join(' '));
  });

  it('a failing turn releases the gate', async () => {
    const gate = new FairGate();
    await assert.rejects(
      gate.run('p', async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await gate.run('p', async () => 42), 42);
    assert.equal(gate.waiting, 0);
  });
});
