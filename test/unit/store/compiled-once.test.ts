import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { CompiledOnce } from '../../../src/store/compiled-once.ts';
import type { Database } from '../../../src/store/schema.ts';

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('CompiledOnce', () => {
  it('compiles once and puts each run’s values where the arguments were, keeping the query’s constants', () => {
    let builds = 0;
    const q = new CompiledOnce((uuid, project) => {
      builds += 1;
      return db
        .selectFrom('cluster_templates')
        .selectAll()
        .where('uuid', '=', uuid)
        .where((eb) => eb.or([eb('project_id', '=', project), eb('public', '=', 1)]))
        .limit(2);
    });
    const a = q.with('u-1', 'p-1');
    const b = q.with('u-2', 'p-2');
    assert.equal(builds, 1);
    assert.equal(a.sql, b.sql);
    assert.deepEqual(a.parameters, ['u-1', 'p-1', 1, 2]);
    assert.deepEqual(b.parameters, ['u-2', 'p-2', 1, 2]);
    const direct = db
      .selectFrom('cluster_templates')
      .selectAll()
      .where('uuid', '=', 'u-2')
      .where((eb) => eb.or([eb('project_id', '=', 'p-2'), eb('public', '=', 1)]))
      .limit(2)
      .compile();
    assert.equal(b.sql, direct.sql);
    assert.deepEqual(b.parameters, direct.parameters);
  });

  it('refuses a build that does not use an argument as a parameter', () => {
    const q = new CompiledOnce((_uuid) => db.selectFrom('cluster_templates').selectAll());
    assert.throws(() => q.with('u-1'), /argument 0 of a compiled-once query is not a parameter/);
  });
});
