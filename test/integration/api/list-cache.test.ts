/**
 * The cached template list is never stale: every write (through this API or another process sharing the database)
 * bumps the revision it is cached against.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDb } from '../../../src/store/database.ts';
import { Store } from '../../../src/store/store.ts';
import { IMAGE, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';

const names = (res: { json: () => unknown }): string[] =>
  (res.json() as { clustertemplates: { name: string }[] }).clustertemplates.map((t) => t.name).sort();

describe('template list cache', () => {
  let h: ApiHarness;
  let other: Store;

  before(async () => {
    h = await startApiHarness();
    other = new Store(await openDb({ url: join(h.tmp, 'magnetar.db') }));
  });
  after(async () => {
    await other.close();
    await h.close();
  });

  it('shows creates, renames and deletes made through the API at once', async () => {
    assert.deepEqual(names(await h.send('GET', '/v1/clustertemplates')), []);
    const t = await h.createTemplate({ name: 'one', coe: 'swarm', image_id: IMAGE });
    assert.deepEqual(names(await h.send('GET', '/v1/clustertemplates')), ['one']);
    assert.deepEqual(names(await h.send('GET', '/v1/clustertemplates')), ['one'], 'served again from the cache');
    const patched = await h.send('PATCH', `/v1/clustertemplates/${String(t.uuid)}`, [
      { op: 'replace', path: '/name', value: 'uno' },
    ]);
    assert.equal(patched.statusCode, 200);
    assert.deepEqual(names(await h.send('GET', '/v1/clustertemplates')), ['uno']);
    assert.equal((await h.send('DELETE', `/v1/clustertemplates/${String(t.uuid)}`)).statusCode, 204);
    assert.deepEqual(names(await h.send('GET', '/v1/clustertemplates')), []);
  });

  it('shows a write made by another process sharing the database', async () => {
    const before = await h.send('GET', '/v1/clustertemplates/detail');
    assert.deepEqual(names(before), []);
    const t = await h.createTemplate({ name: 'seed', coe: 'swarm', image_id: IMAGE });
    const found = await other.templates.getByUuid(String(t.uuid));
    assert.ok(found);
    const { id: _id, ...row } = found;
    await other.templates.insert({ ...row, uuid: '00000000-0000-4000-8000-000000000001', name: 'from-elsewhere' });
    assert.deepEqual(names(await h.send('GET', '/v1/clustertemplates/detail')), ['from-elsewhere', 'seed']);
  });

  it('keeps callers of different projects apart', async () => {
    const a = await h.send('GET', '/v1/clustertemplates', undefined, { 'x-project-id': 'p-a', 'x-roles': 'member' });
    const admin = await h.send('GET', '/v1/clustertemplates');
    assert.deepEqual(names(a), []);
    assert.deepEqual(names(admin), ['from-elsewhere', 'seed']);
  });
});
