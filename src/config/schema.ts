/** @module Every configuration key: its type, default, environment variable and meaning. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type KeyType = 'string' | 'integer' | 'boolean' | 'string-list';

/** One configuration key. */
export interface KeySpec {
  type: KeyType;
  default: string | number | boolean | string[] | null;
  env: string;
  description: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export const CONFIG_SCHEMA = {
  'api.host': { type: 'string', default: '127.0.0.1', env: 'MAGNETAR_HOST', description: 'Address the API binds to (loopback by default).' },
  'api.port': { type: 'integer', default: 9511, env: 'MAGNETAR_PORT', description: 'TCP port of the API (Magnum uses 9511).', min: 0, max: 65535 },
  'api.max_limit': { type: 'integer', default: 1000, env: 'MAGNETAR_MAX_LIMIT', description: 'Largest page a list call returns.', min: 1 },
  state_dir: {
    type: 'string',
    default: join(homedir(), '.local', 'state', 'magnetar'),
    env: 'MAGNETAR_STATE_DIR',
    description: 'Directory of the embedded database, the key that seals private keys, and other local files.',
  },
  'database.url': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_DATABASE_URL',
    description: 'postgresql://… for PostgreSQL; default: SQLite file <state_dir>/magnetar.db.',
  },
  'auth.mode': { type: 'string', default: 'noauth', env: 'MAGNETAR_AUTH', description: 'noauth: identity from X-User-Id / X-Project-Id / X-Roles headers.', choices: ['noauth'] },
  'auth.default_project': { type: 'string', default: 'default', env: 'MAGNETAR_DEFAULT_PROJECT', description: 'noauth: project of a request without X-Project-Id.' },
  'auth.default_user': { type: 'string', default: 'admin', env: 'MAGNETAR_DEFAULT_USER', description: 'noauth: user of a request without X-User-Id.' },
  'auth.default_roles': { type: 'string-list', default: ['admin'], env: 'MAGNETAR_DEFAULT_ROLES', description: 'noauth: roles of a request without X-Roles.' },
  'conductor.enabled': { type: 'boolean', default: true, env: 'MAGNETAR_CONDUCTOR', description: 'Run the conductor in this process (serve).' },
  'conductor.workers': { type: 'integer', default: 4, env: 'MAGNETAR_CONDUCTOR_WORKERS', description: 'Operations one conductor runs at once.', min: 1, max: 64 },
  'conductor.lease_seconds': { type: 'integer', default: 15, env: 'MAGNETAR_LEASE_SECONDS', description: 'Lease on a claimed operation; renewed every third of it. Another conductor takes over after it expires.', min: 2 },
  'conductor.poll_ms': { type: 'integer', default: 500, env: 'MAGNETAR_POLL_MS', description: 'How often an idle conductor looks for work.', min: 10 },
  'conductor.max_attempts': { type: 'integer', default: 5, env: 'MAGNETAR_MAX_ATTEMPTS', description: 'Attempts of an operation after retryable errors before it fails.', min: 1 },
  'drivers.disabled': { type: 'string-list', default: [], env: 'MAGNETAR_DISABLED_DRIVERS', description: 'Driver names not to register.' },
  'docker.socket': { type: 'string', default: '/var/run/docker.sock', env: 'MAGNETAR_DOCKER_SOCKET', description: 'Unix socket of the Docker engine the local provider drives.' },
  'docker.node_image': { type: 'string', default: 'magnetar/node:bookworm', env: 'MAGNETAR_NODE_IMAGE', description: 'Default node image built by `magnetar image build`.' },
  'log.level': { type: 'string', default: 'info', env: 'MAGNETAR_LOG_LEVEL', description: 'pino log level.', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
