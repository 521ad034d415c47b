/**
 * `/healthcheck` reports a store that cannot write (503, the reason as text, oslo.middleware's shape as Magnum serves
 * it) and recovers when it can again: on SQLite while another connection holds the write lock past the busy timeout,
 * on PostgreSQL while the database is read-only. The real `bin/magnetar serve` (spawned, conductor off).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freshDatabase, PG_SERVER, type FreshDatabase } from '../../helpers/postgres.ts';
import { startServe, type ServeProcess } from '../../helpers/service-process.ts';

const NO_CONDUCTOR = { env: { MAGNETAR_CONDUCTOR: 'false' } };

async function health(url: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(`${url}/healthcheck`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

/** Polls /healthcheck until it answers `status` (the check stands for one second). */
async function healthBecomes(url: string, status: number): Promise<{ status: number; type: string; body: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const h = await health(url);
    if (h.status === status || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('/healthcheck and a store that cannot write', { timeout: 600_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-healthcheck-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('SQLite: 503 with the reason while another writer holds the lock, 200 OK again after', async () => {
    const state = join(dir, 'sqlite');
    const svc = await startServe(state, NO_CONDUCTOR);
    try {
      assert.deepEqual(await health(svc.url), { status: 200, type: 'text/plain', body: 'OK' });
      const other = new DatabaseSync(join(state, 'magnetar.db'));
      try {
        other.exec('BEGIN EXCLUSIVE');
        const h = await healthBecomes(svc.url, 503);
        assert.equal(h.status, 503, h.body);
        assert.match(h.type, /^text\/plain/);
        assert.equal(h.body, 'store cannot write: database is locked');
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      assert.equal((await healthBecomes(svc.url, 200)).body, 'OK');
      assert.match(svc.output(), /healthcheck: the store cannot write/);
    } finally {
      await svc.stop();
    }
  });

  describe('PostgreSQL', () => {
    let db: FreshDatabase;
    let svc: ServeProcess;
    const onServer = async (text: string): Promise<void> => {
      const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
      await c.connect();
      try {
        await c.query(text);
      } finally {
        await c.end();
      }
    };
    /** Ends the service's connections so that its pool reconnects with the database's new default. */
    const reconnect = (): Promise<void> =>
      onServer(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`,
      );

    before(async () => {
      db = await freshDatabase('magnetar_health');
      svc = await startServe(join(dir, 'pg'), { ...NO_CONDUCTOR, databaseUrl: db.url });
    });

    after(async () => {
      await svc?.stop();
      await db?.drop();
    });

    it('503 naming the read-only transaction while the database is read-only, 200 OK again after', async () => {
      assert.equal((await health(svc.url)).body, 'OK');
      await onServer(`ALTER DATABASE ${db.name} SET default_transaction_read_only = on`);
      await reconnect();
      const h = await healthBecomes(svc.url, 503);
      assert.equal(h.status, 503, h.body);
      assert.match(h.body, /^store cannot write: .*(read-only transaction|terminating connection)/);
      const steady = await healthBecomes(svc.url, 503);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(
        (await health(svc.url)).body,
        'store cannot write: cannot execute UPDATE in a read-only transaction',
        steady.body,
      );
      await onServer(`ALTER DATABASE ${db.name} SET default_transaction_read_only = off`);
      await reconnect();
      assert.equal((await healthBecomes(svc.url, 200)).body, 'OK');
    });
  });
});
