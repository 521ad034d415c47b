import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeasedLoop, type PassControl } from '../../../src/conductor/leased-loop.ts';

/** An in-memory lease table of one row: what the loop asked, in order. */
class Leases {
  calls: string[] = [];
  holder: string | undefined;
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.calls.push(`acquire ${name} ${owner} ${ttlMs}`);
    if (this.holder && this.holder !== owner) return false;
    this.holder = owner;
    return true;
  }
  async releaseLease(name: string, owner: string): Promise<void> {
    this.calls.push(`release ${name} ${owner}`);
    if (this.holder === owner) this.holder = undefined;
  }
}
const warnings: string[] = [];
const log = { warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };

describe('LeasedLoop', () => {
  it('runOnce while a pass runs joins it; the lease lasts max(3 periods, 15 s)', async () => {
    const leases = new Leases();
    let passes = 0;
    let release!: () => void;
    const loop = new LeasedLoop(
      { lease: 'l', owner: 'a', periodMs: 10_000, leases, log, what: 'test sync' },
      async (ctl) => {
        passes++;
        assert.equal(await ctl.acquire(), true);
        await new Promise<void>((r) => (release = r));
        return ctl.ttlMs;
      },
    );
    const [p1, p2] = [loop.runOnce(), loop.runOnce()];
    assert.equal(p1, p2);
    await new Promise((r) => setImmediate(r));
    release();
    assert.equal(await p1, 30_000);
    assert.equal(passes, 1);
    assert.deepEqual(leases.calls, ['acquire l a 30000']);
    const short = new LeasedLoop(
      { lease: 'l', owner: 'a', periodMs: 100, leases, log, what: 'x' },
      async (c) => c.ttlMs,
    );
    assert.equal(await short.runOnce(), 15_000);
  });

  it('keep renews only once a third of the lease has passed, and says when it was lost', async () => {
    const leases = new Leases();
    const seen: boolean[] = [];
    const loop = new LeasedLoop(
      { lease: 'l', owner: 'a', periodMs: 10, leases, log, what: 'x' },
      async (ctl: PassControl) => {
        await ctl.acquire();
        seen.push(await ctl.keep()); // just taken: no call
        const t = Date.now;
        try {
          Date.now = () => t() + 6_000; // past 15 s / 3
          leases.holder = 'b'; // another conductor took it meanwhile
          seen.push(await ctl.keep());
        } finally {
          Date.now = t;
        }
        return 0;
      },
    );
    await loop.runOnce();
    assert.deepEqual(seen, [true, false]);
    assert.deepEqual(leases.calls, ['acquire l a 15000', 'acquire l a 15000']);
  });

  it('start runs now and every period; a failed pass is logged and the next one runs', async () => {
    const leases = new Leases();
    let n = 0;
    const loop = new LeasedLoop({ lease: 'l', owner: 'a', periodMs: 5, leases, log, what: 'flaky sync' }, async () => {
      n++;
      if (n === 1) throw new Error('boom');
      return n;
    });
    loop.start();
    loop.start(); // a second start changes nothing
    for (let i = 0; i < 200 && n < 3; i++) await new Promise((r) => setTimeout(r, 5));
    await loop.stop();
    assert.ok(n >= 3, `passes: ${n}`);
    assert.ok(warnings.includes('flaky sync pass failed'));
    const after = n;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(n, after, 'no pass after stop');
  });

  it('stop aborts the pass, waits for it and for the drain, then gives the lease up', async () => {
    const leases = new Leases();
    const order: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const loop = new LeasedLoop(
      {
        lease: 'l',
        owner: 'a',
        periodMs: 60_000,
        leases,
        log,
        what: 'test sync',
        drain: async () => void order.push(`drain (holder ${leases.holder})`),
      },
      async (ctl) => {
        await ctl.acquire();
        started();
        await new Promise((r) => ctl.signal.addEventListener('abort', r, { once: true }));
        order.push(`pass aborted: ${(ctl.signal.reason as Error).message}`);
        return 0;
      },
    );
    void loop.runOnce();
    await running;
    await loop.stop();
    order.push(`stopped (holder ${leases.holder})`);
    assert.deepEqual(order, ['pass aborted: test sync stopping', 'drain (holder a)', 'stopped (holder undefined)']);
    assert.equal(loop.signal.aborted, true);
  });
});
