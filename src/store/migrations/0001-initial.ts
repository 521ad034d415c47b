/** @module First schema: templates, clusters, nodegroups, operations, events, certificates. Runs on SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const isPg = db.getExecutor().adapter instanceof PostgresAdapter;
  const idCol = isPg ? 'bigserial' : 'integer';
  const text = 'text';

  await db.schema
    .createTable('cluster_templates')
    .addColumn('id', idCol, (c) => c.primaryKey().$call((b) => (isPg ? b : b.autoIncrement())))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('coe', 'varchar(32)', (c) => c.notNull())
    .addColumn('image_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('flavor_id', 'varchar(255)')
    .addColumn('master_flavor_id', 'varchar(255)')
    .addColumn('keypair_id', 'varchar(255)')
    .addColumn('dns_nameserver', 'varchar(255)')
    .addColumn('external_network_id', 'varchar(255)')
    .addColumn('fixed_network', 'varchar(255)')
    .addColumn('fixed_subnet', 'varchar(255)')
    .addColumn('network_driver', 'varchar(255)')
    .addColumn('volume_driver', 'varchar(255)')
    .addColumn('apiserver_port', 'integer')
    .addColumn('docker_volume_size', 'integer')
    .addColumn('docker_storage_driver', 'varchar(255)')
    .addColumn('cluster_distro', 'varchar(255)')
    .addColumn('http_proxy', 'varchar(255)')
    .addColumn('https_proxy', 'varchar(255)')
    .addColumn('no_proxy', 'varchar(255)')
    .addColumn('registry_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('insecure_registry', 'varchar(255)')
    .addColumn('labels', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('tls_disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('server_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('master_lb_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('floating_ip_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('tags', 'varchar(255)')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .execute();
  await db.schema.createIndex('cluster_templates_project').on('cluster_templates').column('project_id').execute();
  await db.schema.createIndex('cluster_templates_name').on('cluster_templates').column('name').execute();

  await db.schema
    .createTable('clusters')
    .addColumn('id', idCol, (c) => c.primaryKey().$call((b) => (isPg ? b : b.autoIncrement())))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('cluster_template_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('keypair', 'varchar(255)')
    .addColumn('docker_volume_size', 'integer')
    .addColumn('labels', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('master_flavor_id', 'varchar(255)')
    .addColumn('flavor_id', 'varchar(255)')
    .addColumn('create_timeout', 'integer', (c) => c.notNull())
    .addColumn('stack_id', 'varchar(255)')
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('status_reason', text)
    .addColumn('health_status', 'varchar(20)')
    .addColumn('health_status_reason', text)
    .addColumn('discovery_url', 'varchar(255)')
    .addColumn('api_address', 'varchar(255)')
    .addColumn('coe_version', 'varchar(255)')
    .addColumn('container_version', 'varchar(255)')
    .addColumn('fixed_network', 'varchar(255)')
    .addColumn('fixed_subnet', 'varchar(255)')
    .addColumn('floating_ip_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('master_lb_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('driver_state', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .execute();
  await db.schema.createIndex('clusters_project').on('clusters').column('project_id').execute();
  await db.schema.createIndex('clusters_template').on('clusters').column('cluster_template_id').execute();
  await db.schema.createIndex('clusters_name').on('clusters').column('name').execute();

  await db.schema
    .createTable('nodegroups')
    .addColumn('id', idCol, (c) => c.primaryKey().$call((b) => (isPg ? b : b.autoIncrement())))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('docker_volume_size', 'integer')
    .addColumn('labels', text, (c) => c.notNull().defaultTo('{}'))
    .addColumn('flavor_id', 'varchar(255)')
    .addColumn('image_id', 'varchar(255)')
    .addColumn('node_addresses', text, (c) => c.notNull().defaultTo('[]'))
    .addColumn('node_count', 'integer', (c) => c.notNull())
    .addColumn('role', 'varchar(255)', (c) => c.notNull())
    .addColumn('min_node_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_node_count', 'integer')
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stack_id', 'varchar(255)')
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('status_reason', text)
    .addColumn('version', 'varchar(20)')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .addUniqueConstraint('nodegroups_cluster_name', ['cluster_id', 'name'])
    .execute();

  await db.schema
    .createTable('operations')
    .addColumn('id', idCol, (c) => c.primaryKey().$call((b) => (isPg ? b : b.autoIncrement())))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('owner', 'varchar(255)')
    .addColumn('lease_until', 'bigint')
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('deadline', 'bigint', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('phase', 'varchar(64)')
    .addColumn('error', text)
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)')
    .execute();
  await db.schema.createIndex('operations_claim').on('operations').columns(['state', 'not_before']).execute();
  await db.schema.createIndex('operations_cluster').on('operations').column('cluster_id').execute();

  await db.schema
    .createTable('cluster_events')
    .addColumn('id', idCol, (c) => c.primaryKey().$call((b) => (isPg ? b : b.autoIncrement())))
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('at', 'varchar(40)', (c) => c.notNull())
    .addColumn('phase', 'varchar(64)', (c) => c.notNull())
    .addColumn('level', 'varchar(16)', (c) => c.notNull())
    .addColumn('message', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cluster_events_cluster').on('cluster_events').columns(['cluster_id', 'id']).execute();

  await db.schema
    .createTable('certificates')
    .addColumn('id', idCol, (c) => c.primaryKey().$call((b) => (isPg ? b : b.autoIncrement())))
    .addColumn('cluster_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('cert_pem', text, (c) => c.notNull())
    .addColumn('key_sealed', text, (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addUniqueConstraint('certificates_cluster_kind', ['cluster_id', 'kind'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['certificates', 'cluster_events', 'operations', 'nodegroups', 'clusters', 'cluster_templates']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
