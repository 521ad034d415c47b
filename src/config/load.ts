/** @module Loads configuration: defaults, then a YAML file, then environment, then flags; validated and frozen. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isLoopbackHost, trustedProxies } from './addresses.ts';
import { StartupError } from './startup-error.ts';
import { parseFlavorTable, type FlavorTable } from '../core/flavors.ts';
import { CONFIG_SCHEMA, type ConfigKey, type KeySpec } from './schema.ts';
import type { TrustSettings } from '../openstack/keystone-trusts.ts';

/** The compiled configuration every module receives. */
export interface Config {
  api: {
    host: string;
    port: number;
    maxLimit: number;
    maxPageBytes: number;
    listCacheBytes: number;
    trustedProxies: string[];
  };
  stateDir: string;
  databaseUrl: string;
  auth: {
    mode: 'noauth' | 'keystone';
    defaultProject: string;
    defaultUser: string;
    defaultRoles: string[];
    /** noauth on a non-loopback api.host is allowed (`auth.allow_remote_noauth`). */
    allowRemoteNoauth: boolean;
  };
  /** Policy: the override file and oslo.policy's two switches (see api/policy.ts). */
  policy: { file: string | null; enforceNewDefaults: boolean; enforceScope: boolean };
  /** Keystone (auth.mode keystone, catalog look-ups); `authUrl` null when not configured. */
  keystone: KeystoneConfig;
  conductor: {
    enabled: boolean;
    workers: number;
    leaseMs: number;
    pollMs: number;
    maxAttempts: number;
    syncMs: number;
    /** Period of the load-balancer sync (0: off). */
    lbSyncMs: number;
  };
  /** Flavor name → node size (`flavors`); the API refuses names it does not hold. See core/flavors.ts. */
  flavors: FlavorTable;
  drivers: { disabled: string[] };
  /** Who may create clusters on the local Docker provider (`providers.local.allowed_projects`; empty = everyone). */
  providers: { local: { allowedProjects: string[] } };
  docker: { socket: string; nodeImage: string };
  /** Cluster trusts in Keystone mode (`trust.*`, Magnum's [trust] section); see openstack/keystone-trusts.ts. */
  trust: TrustSettings;
  log: { level: string };
  quotas: { maxClustersPerProject: number };
  /** Heartbeats of this process (mservices). */
  services: { heartbeatMs: number; host: string };
  notify: {
    driver: 'messagingv2' | 'log' | 'noop';
    transportUrl: string | null;
    topics: string[];
    exchange: string;
    host: string;
    pollMs: number;
  };
}

/** The `keystone.*` keys. */
export interface KeystoneConfig {
  authUrl: string | null;
  wwwAuthenticateUri: string | null;
  username: string | null;
  password: string | null;
  userDomainName: string;
  projectName: string;
  projectDomainName: string;
  applicationCredentialId: string | null;
  applicationCredentialSecret: string | null;
  regionName: string | null;
  interface: 'public' | 'internal' | 'admin';
  tokenCacheMs: number;
  tokenCacheSize: number;
  timeoutMs: number;
  serviceTokenRoles: string[];
  serviceTokenRolesRequired: boolean;
}

export class ConfigError extends Error {}

type Raw = Partial<Record<ConfigKey, unknown>>;
type Source = { value: unknown; from: string };

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** Path of a YAML file (nested sections, e.g. `api: {port: 9511}`). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by key. */
  flags?: Raw;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const sources = new Map<ConfigKey, Source>();
  const file = opts.file ?? env.MAGNETAR_CONFIG;
  if (file) {
    for (const [k, v] of Object.entries(flattenFile(file))) {
      if (!(k in CONFIG_SCHEMA)) throw new ConfigError(`config: unknown key '${k}' in ${file}`);
      sources.set(k as ConfigKey, { value: v, from: file });
    }
  }
  for (const [key, spec] of entries()) {
    const v = env[spec.env];
    if (v !== undefined && v !== '') sources.set(key, { value: v, from: `environment variable ${spec.env}` });
  }
  for (const [key, v] of Object.entries(opts.flags ?? {})) {
    if (v !== undefined) sources.set(key as ConfigKey, { value: v, from: 'command line' });
  }
  const values = new Map<ConfigKey, unknown>();
  for (const [key, spec] of entries()) {
    const src = sources.get(key);
    values.set(key, src ? coerce(key, spec, src) : spec.default);
  }
  const get = <T>(k: ConfigKey): T => values.get(k) as T;
  try {
    trustedProxies(get<string[]>('api.trusted_proxies'));
  } catch (e) {
    const from = sources.get('api.trusted_proxies')?.from ?? 'defaults';
    throw new ConfigError(`config: api.trusted_proxies: ${(e as Error).message} (from ${from})`);
  }
  const stateDir = resolve(get<string>('state_dir'));
  return deepFreeze({
    api: {
      host: get('api.host'),
      port: get('api.port'),
      maxLimit: get('api.max_limit'),
      maxPageBytes: get('api.max_page_bytes'),
      listCacheBytes: get('api.list_cache_bytes'),
      trustedProxies: get('api.trusted_proxies'),
    },
    stateDir,
    databaseUrl: get<string | null>('database.url') ?? join(stateDir, 'magnetar.db'),
    auth: {
      mode: get('auth.mode'),
      defaultProject: get('auth.default_project'),
      defaultUser: get('auth.default_user'),
      defaultRoles: get('auth.default_roles'),
      allowRemoteNoauth: get('auth.allow_remote_noauth'),
    },
    policy: {
      file: policyFile(get<string | null>('policy.file'), sources.get('policy.file')?.from, file),
      enforceNewDefaults: get('policy.enforce_new_defaults'),
      enforceScope: get('policy.enforce_scope'),
    },
    keystone: keystoneConfig(get, sources),
    conductor: {
      enabled: get('conductor.enabled'),
      workers: get('conductor.workers'),
      leaseMs: get<number>('conductor.lease_seconds') * 1000,
      pollMs: get('conductor.poll_ms'),
      maxAttempts: get('conductor.max_attempts'),
      syncMs: get<number>('conductor.sync_seconds') * 1000,
      lbSyncMs: get<number>('conductor.lb_sync_seconds') * 1000,
    },
    flavors: get('flavors'),
    drivers: { disabled: get('drivers.disabled') },
    providers: { local: { allowedProjects: get('providers.local.allowed_projects') } },
    docker: { socket: get('docker.socket'), nodeImage: get('docker.node_image') },
    trust: {
      authUrl: get<string | null>('keystone.auth_url')?.replace(/\/+$/, '') ?? null,
      trusteeDomainId: get('trust.trustee_domain_id'),
      trusteeDomainName: get('trust.trustee_domain_name'),
      trusteeDomainAdminId: get('trust.trustee_domain_admin_id'),
      trusteeDomainAdminName: get('trust.trustee_domain_admin_name'),
      trusteeDomainAdminDomainId: get('trust.trustee_domain_admin_domain_id'),
      trusteeDomainAdminDomainName: get('trust.trustee_domain_admin_domain_name'),
      trusteeDomainAdminPassword: get('trust.trustee_domain_admin_password'),
      roles: get('trust.roles'),
      trusteeKeystoneInterface: get('trust.trustee_keystone_interface'),
      trusteeKeystoneRegionName: get('trust.trustee_keystone_region_name'),
    },
    log: { level: get('log.level') },
    quotas: { maxClustersPerProject: get('quotas.max_clusters_per_project') },
    services: {
      heartbeatMs: get<number>('services.heartbeat_seconds') * 1000,
      host: get<string | null>('services.host') ?? hostname(),
    },
    notify: {
      driver: get('notify.driver'),
      transportUrl: get('notify.transport_url'),
      topics: get('notify.topics'),
      exchange: get('notify.exchange'),
      host: get<string | null>('notify.host') ?? get<string | null>('services.host') ?? hostname(),
      pollMs: get('notify.poll_ms'),
    },
  });
}

function keystoneConfig(get: <T>(k: ConfigKey) => T, sources: Map<ConfigKey, Source>): KeystoneConfig {
  const k: KeystoneConfig = {
    authUrl: get<string | null>('keystone.auth_url')?.replace(/\/+$/, '') ?? null,
    wwwAuthenticateUri: get('keystone.www_authenticate_uri'),
    username: get('keystone.username'),
    password: get('keystone.password'),
    userDomainName: get('keystone.user_domain_name'),
    projectName: get('keystone.project_name'),
    projectDomainName: get('keystone.project_domain_name'),
    applicationCredentialId: get('keystone.application_credential_id'),
    applicationCredentialSecret: get('keystone.application_credential_secret'),
    regionName: get('keystone.region_name'),
    interface: get('keystone.interface'),
    tokenCacheMs: get<number>('keystone.token_cache_seconds') * 1000,
    tokenCacheSize: get('keystone.token_cache_size'),
    timeoutMs: get<number>('keystone.timeout_seconds') * 1000,
    serviceTokenRoles: get('keystone.service_token_roles'),
    serviceTokenRolesRequired: get('keystone.service_token_roles_required'),
  };
  const from = (key: ConfigKey): string => sources.get(key)?.from ?? 'defaults';
  if (get('auth.mode') === 'keystone') {
    if (!k.authUrl)
      throw new ConfigError(
        `config: auth.mode keystone needs keystone.auth_url (MAGNETAR_KEYSTONE_AUTH_URL), e.g. http://127.0.0.1:5000/v3 (auth.mode from ${from('auth.mode')})`,
      );
    const appCred = k.applicationCredentialId !== null;
    if (appCred && !k.applicationCredentialSecret)
      throw new ConfigError('config: keystone.application_credential_id needs keystone.application_credential_secret');
    if (!appCred && (!k.username || !k.password))
      throw new ConfigError(
        "config: auth.mode keystone needs the service's own credentials: keystone.username and keystone.password (or keystone.application_credential_id and _secret)",
      );
  }
  if (k.authUrl !== null && !/^https?:\/\/[^/]/.test(k.authUrl))
    throw new ConfigError(
      `config: keystone.auth_url must be an http(s) URL (got ${JSON.stringify(k.authUrl)} from ${from('keystone.auth_url')})`,
    );
  return k;
}

/**
 * Refuses an API on a non-loopback address in noauth mode (anyone reaching it would act as any project, and as admin
 * without X-Roles) unless `auth.allow_remote_noauth` is set.
 */
export function checkApiExposure(config: Config): void {
  if (config.auth.mode !== 'noauth' || config.auth.allowRemoteNoauth || isLoopbackHost(config.api.host)) return;
  throw new StartupError(
    `config: refusing to serve noauth on non-loopback api.host ${config.api.host} (anyone reaching it acts as any project or admin); bind to 127.0.0.1 (--host, MAGNETAR_HOST) or set auth.allow_remote_noauth: true (MAGNETAR_ALLOW_REMOTE_NOAUTH=true) behind an authenticating proxy`,
  );
}

/** `policy.file` as an absolute path: relative to the configuration file when given there, else to the working directory. */
function policyFile(path: string | null, from: string | undefined, configFile: string | undefined): string | null {
  if (path === null) return null;
  return from !== undefined && from === configFile ? resolve(dirname(resolve(configFile)), path) : resolve(path);
}

const entries = (): [ConfigKey, KeySpec][] => Object.entries(CONFIG_SCHEMA) as [ConfigKey, KeySpec][];

function coerce(key: ConfigKey, spec: KeySpec, src: Source): unknown {
  const { value, from } = src;
  const bad = (what: string): never => {
    throw new ConfigError(`config: ${key} ${what} (got ${JSON.stringify(value)} from ${from})`);
  };
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string' || value === '') bad('must be a non-empty string');
      if (spec.choices && !spec.choices.includes(value as string)) bad(`must be one of ${spec.choices.join(', ')}`);
      return value;
    }
    case 'integer': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^-?\d+$/.test(value.trim())
            ? Number(value)
            : NaN;
      if (!Number.isInteger(n)) bad('must be an integer');
      if (spec.min !== undefined && n < spec.min) bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) bad(`must be at most ${spec.max}`);
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const t = String(value).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off'].includes(t)) return false;
      return bad('must be a boolean (true/false)');
    }
    case 'flavor-table': {
      try {
        return parseFlavorTable(value);
      } catch (e) {
        return bad((e as Error).message);
      }
    }
    case 'string-list': {
      if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return value;
      if (typeof value === 'string')
        return value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      return bad('must be a list of strings or a comma-separated string');
    }
  }
}

function flattenFile(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config: cannot read ${path}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config: ${path} must hold a mapping`);
  const out: Record<string, unknown> = {};
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(key in CONFIG_SCHEMA))
        walk(v as Record<string, unknown>, key);
      else out[key] = v;
    }
  };
  walk(doc as Record<string, unknown>, '');
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
