/** @module Every configuration key: its type, default, environment variable and meaning. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FLAVORS, type FlavorTable } from '../core/flavors.ts';

export type KeyType = 'string' | 'integer' | 'boolean' | 'string-list' | 'flavor-table';

/** One configuration key. */
export interface KeySpec {
  type: KeyType;
  default: string | number | boolean | string[] | FlavorTable | null;
  env: string;
  description: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export const CONFIG_SCHEMA = {
  'api.host': {
    type: 'string',
    default: '127.0.0.1',
    env: 'MAGNETAR_HOST',
    description: 'Address the API binds to (loopback by default).',
  },
  'api.port': {
    type: 'integer',
    default: 9511,
    env: 'MAGNETAR_PORT',
    description: 'TCP port of the API (Magnum uses 9511).',
    min: 0,
    max: 65535,
  },
  'api.max_limit': {
    type: 'integer',
    default: 1000,
    env: 'MAGNETAR_MAX_LIMIT',
    description: 'Largest page a list call returns.',
    min: 1,
  },
  'api.max_page_bytes': {
    type: 'integer',
    default: 1024 * 1024,
    env: 'MAGNETAR_MAX_PAGE_BYTES',
    description:
      'Bytes of stored objects one list page holds at most (sizes of labels and other JSON columns plus 1 KiB a row): a page ends early, with a `next` link, rather than pass it (it always holds at least one object). Keeps every list request small whatever the objects; clients follow `next`.',
    min: 4096,
  },
  'api.list_cache_bytes': {
    type: 'integer',
    default: 32 * 1024 * 1024,
    env: 'MAGNETAR_LIST_CACHE_BYTES',
    description:
      'Bytes of rendered list responses each API process keeps (least recently used dropped first; a response larger than a quarter of it is not kept); 0 turns the cache off.',
    min: 0,
  },
  'api.trusted_proxies': {
    type: 'string-list',
    default: [],
    env: 'MAGNETAR_TRUSTED_PROXIES',
    description:
      'Addresses or CIDRs (e.g. 127.0.0.1, 10.0.0.0/8, ::1) of reverse proxies whose X-Forwarded-Proto / X-Forwarded-Host / X-Forwarded-For are believed (links and the Location header are built from them); default none: the headers are ignored.',
  },
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
  'auth.mode': {
    type: 'string',
    default: 'noauth',
    env: 'MAGNETAR_AUTH',
    description:
      "noauth: identity from X-User-Id / X-Project-Id / X-Roles headers. keystone: every request but /, /v1, /healthcheck and /v1/openapi.json carries a Keystone token (X-Auth-Token) validated against keystone.auth_url with the service's own credentials, as keystonemiddleware does.",
    choices: ['noauth', 'keystone'],
  },
  'auth.allow_remote_noauth': {
    type: 'boolean',
    default: false,
    env: 'MAGNETAR_ALLOW_REMOTE_NOAUTH',
    description:
      'Let noauth serve on a non-loopback api.host. Off by default: with noauth anyone who reaches the port acts as any project and as admin, so the service refuses to start on such an address.',
  },
  'auth.default_project': {
    type: 'string',
    default: 'default',
    env: 'MAGNETAR_DEFAULT_PROJECT',
    description: 'noauth: project of a request without X-Project-Id.',
  },
  'auth.default_user': {
    type: 'string',
    default: 'admin',
    env: 'MAGNETAR_DEFAULT_USER',
    description: 'noauth: user of a request without X-User-Id.',
  },
  'auth.default_roles': {
    type: 'string-list',
    default: ['admin'],
    env: 'MAGNETAR_DEFAULT_ROLES',
    description: 'noauth: roles of a request without X-Roles.',
  },
  'policy.file': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_POLICY_FILE',
    description:
      "Policy override file in oslo.policy's YAML format (rule name: check string); its rules replace the defaults of the same name. A relative path is taken from the configuration file's directory. Default: none (Magnum 15's defaults).",
  },
  'policy.enforce_new_defaults': {
    type: 'boolean',
    default: false,
    env: 'MAGNETAR_POLICY_ENFORCE_NEW_DEFAULTS',
    description:
      "oslo.policy's enforce_new_defaults: false (Magnum 15's default) evaluates each persona default OR'd with the Magnum 15 check it replaced; true evaluates the persona defaults (project reader / member, admin) alone.",
  },
  'policy.enforce_scope': {
    type: 'boolean',
    default: false,
    env: 'MAGNETAR_POLICY_ENFORCE_SCOPE',
    description:
      "oslo.policy's enforce_scope: true refuses a token whose scope (project / domain / system) is not among a rule's scope types; false (Magnum 15's default) does not look at the scope.",
  },
  'keystone.auth_url': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_AUTH_URL',
    description:
      "Keystone's identity v3 URL, e.g. http://127.0.0.1:5000/v3 ([keystone_authtoken] auth_url). Required when auth.mode is keystone.",
  },
  'keystone.www_authenticate_uri': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_WWW_AUTHENTICATE_URI',
    description:
      'URI in the WWW-Authenticate: Keystone uri="…" header of a 401 (where clients authenticate); default: keystone.auth_url.',
  },
  'keystone.username': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_USERNAME',
    description:
      "The service's own Keystone user (validates tokens; needs the admin or service role, as keystonemiddleware's user does).",
  },
  'keystone.password': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_PASSWORD',
    description: 'Password of keystone.username.',
  },
  'keystone.user_domain_name': {
    type: 'string',
    default: 'Default',
    env: 'MAGNETAR_KEYSTONE_USER_DOMAIN_NAME',
    description: 'Domain of keystone.username.',
  },
  'keystone.project_name': {
    type: 'string',
    default: 'service',
    env: 'MAGNETAR_KEYSTONE_PROJECT_NAME',
    description: "Project the service's own token is scoped to.",
  },
  'keystone.project_domain_name': {
    type: 'string',
    default: 'Default',
    env: 'MAGNETAR_KEYSTONE_PROJECT_DOMAIN_NAME',
    description: 'Domain of keystone.project_name.',
  },
  'keystone.application_credential_id': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_APPLICATION_CREDENTIAL_ID',
    description:
      "The service's own identity as an application credential (instead of keystone.username / password); its scope is the credential's.",
  },
  'keystone.application_credential_secret': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_APPLICATION_CREDENTIAL_SECRET',
    description: 'Secret of keystone.application_credential_id.',
  },
  'keystone.region_name': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_KEYSTONE_REGION_NAME',
    description:
      "Region of the other services' endpoints taken from the catalog (image, compute, network, volume, load-balancer); default: any region.",
  },
  'keystone.interface': {
    type: 'string',
    default: 'public',
    env: 'MAGNETAR_KEYSTONE_INTERFACE',
    description: 'Which catalog endpoint of another service is used.',
    choices: ['public', 'internal', 'admin'],
  },
  'keystone.token_cache_seconds': {
    type: 'integer',
    default: 300,
    env: 'MAGNETAR_KEYSTONE_TOKEN_CACHE_SECONDS',
    description:
      "How long a validated (or refused) token is believed without asking Keystone again ([keystone_authtoken] token_cache_time): a revoked token is refused at the latest this long after its revocation. Never past the token's own expiry. 0: every request is validated.",
    min: 0,
  },
  'keystone.token_cache_size': {
    type: 'integer',
    default: 10000,
    env: 'MAGNETAR_KEYSTONE_TOKEN_CACHE_SIZE',
    description: 'Tokens each API process keeps validated at most (the oldest are dropped first).',
    min: 1,
  },
  'keystone.timeout_seconds': {
    type: 'integer',
    default: 10,
    env: 'MAGNETAR_KEYSTONE_TIMEOUT_SECONDS',
    description: 'Timeout of each call to Keystone (and other OpenStack services); past it the request answers 503.',
    min: 1,
  },
  'keystone.service_token_roles': {
    type: 'string-list',
    default: ['service'],
    env: 'MAGNETAR_KEYSTONE_SERVICE_TOKEN_ROLES',
    description:
      'Roles that make an X-Service-Token a service token: with one, the X-Auth-Token may have expired (another service acting later for a user).',
  },
  'keystone.service_token_roles_required': {
    type: 'boolean',
    default: false,
    env: 'MAGNETAR_KEYSTONE_SERVICE_TOKEN_ROLES_REQUIRED',
    description:
      'An X-Service-Token without one of keystone.service_token_roles is refused (401); default false: only its allow-expired power needs the role (keystonemiddleware).',
  },
  'conductor.enabled': {
    type: 'boolean',
    default: true,
    env: 'MAGNETAR_CONDUCTOR',
    description: 'Run the conductor in this process (serve).',
  },
  'conductor.workers': {
    type: 'integer',
    default: 4,
    env: 'MAGNETAR_CONDUCTOR_WORKERS',
    description: 'Operations one conductor runs at once.',
    min: 1,
    max: 64,
  },
  'conductor.lease_seconds': {
    type: 'integer',
    default: 15,
    env: 'MAGNETAR_LEASE_SECONDS',
    description:
      'Lease on a claimed operation; renewed every third of it. Another conductor takes over after it expires.',
    min: 2,
  },
  'conductor.poll_ms': {
    type: 'integer',
    default: 500,
    env: 'MAGNETAR_POLL_MS',
    description: 'How often an idle conductor looks for work.',
    min: 10,
  },
  'conductor.max_attempts': {
    type: 'integer',
    default: 5,
    env: 'MAGNETAR_MAX_ATTEMPTS',
    description: 'Attempts of an operation after retryable errors before it fails.',
    min: 1,
  },
  'conductor.sync_seconds': {
    type: 'integer',
    default: 10,
    env: 'MAGNETAR_SYNC_SECONDS',
    description:
      'Period of the status and health sync pass over all clusters (one conductor at a time runs it); 0 turns it off.',
    min: 0,
  },
  'conductor.lb_sync_seconds': {
    type: 'integer',
    default: 2,
    env: 'MAGNETAR_LB_SYNC_SECONDS',
    description:
      'Period of the load-balancer sync (Services of type LoadBalancer of every Kubernetes cluster → load balancers ' +
      'on the provider, their addresses written back; one conductor at a time runs it); 0 turns it off.',
    min: 0,
  },
  flavors: {
    type: 'flavor-table',
    default: DEFAULT_FLAVORS,
    env: 'MAGNETAR_FLAVORS',
    description:
      "Flavor name → node size: a mapping {m1.small: {memory_mb: 2048, vcpus: 1}, …} (environment: JSON, or name=memory_mb:vcpus,…). On the local provider a flavor sets the node container's Memory and NanoCpus; the API refuses other names.",
  },
  'drivers.disabled': {
    type: 'string-list',
    default: [],
    env: 'MAGNETAR_DISABLED_DRIVERS',
    description: 'Driver names not to register.',
  },
  'providers.local.allowed_projects': {
    type: 'string-list',
    default: [],
    env: 'MAGNETAR_LOCAL_ALLOWED_PROJECTS',
    description:
      'Projects that may create clusters on the local Docker provider (its drivers are named *-local); empty = every project. Node containers are near-privileged: a cluster owner can reach the host (docs/operator-guide.md, "Trust boundary"). Admins are always allowed.',
  },
  'trust.trustee_domain_id': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_ID',
    description:
      "Keystone mode: id of the domain trustee users of clusters are made in (Magnum's [trust] trustee_domain_id). Trusts are on when a domain, its admin and the admin's password are set.",
  },
  'trust.trustee_domain_name': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_NAME',
    description: 'Keystone mode: name of the trustee domain, when its id is not given ([trust] trustee_domain_name).',
  },
  'trust.trustee_domain_admin_id': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_ADMIN_ID',
    description:
      'Id of a user with the admin role on the trustee domain: makes and deletes trustee users ([trust] trustee_domain_admin_id).',
  },
  'trust.trustee_domain_admin_name': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_ADMIN_NAME',
    description: 'Name of that user, when its id is not given ([trust] trustee_domain_admin_name).',
  },
  'trust.trustee_domain_admin_domain_id': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_ADMIN_DOMAIN_ID',
    description:
      'Domain id of the trustee domain admin; default: the trustee domain ([trust] trustee_domain_admin_domain_id).',
  },
  'trust.trustee_domain_admin_domain_name': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_ADMIN_DOMAIN_NAME',
    description:
      'Domain name of the trustee domain admin; default: the trustee domain ([trust] trustee_domain_admin_domain_name).',
  },
  'trust.trustee_domain_admin_password': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_DOMAIN_ADMIN_PASSWORD',
    description: 'Password of the trustee domain admin ([trust] trustee_domain_admin_password).',
  },
  'trust.roles': {
    type: 'string-list',
    default: [],
    env: 'MAGNETAR_TRUST_ROLES',
    description:
      "Roles a cluster's trust delegates; empty (default): the roles of the user creating the cluster ([trust] roles).",
  },
  'trust.trustee_keystone_interface': {
    type: 'string',
    default: 'public',
    env: 'MAGNETAR_TRUSTEE_KEYSTONE_INTERFACE',
    description:
      "Interface of the catalog endpoints the conductor calls with a cluster's trust ([trust] trustee_keystone_interface).",
    choices: ['public', 'internal', 'admin'],
  },
  'trust.trustee_keystone_region_name': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_TRUSTEE_KEYSTONE_REGION_NAME',
    description: 'Region of those endpoints; default: any ([trust] trustee_keystone_region_name).',
  },
  'docker.socket': {
    type: 'string',
    default: '/var/run/docker.sock',
    env: 'MAGNETAR_DOCKER_SOCKET',
    description: 'Unix socket of the Docker engine the local provider drives.',
  },
  'docker.node_image': {
    type: 'string',
    default: 'magnetar/node:bookworm',
    env: 'MAGNETAR_NODE_IMAGE',
    description: 'Default node image built by `magnetar image build`.',
  },
  'notify.driver': {
    type: 'string',
    default: 'messagingv2',
    env: 'MAGNETAR_NOTIFY_DRIVER',
    description:
      'Cluster notifications (CADF): messagingv2 = oslo.messaging v2.0 envelope to RabbitMQ (when notify.transport_url is set) and to the log; log = the log only; noop = none.',
    choices: ['messagingv2', 'log', 'noop'],
  },
  'notify.transport_url': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_NOTIFY_TRANSPORT_URL',
    description:
      'RabbitMQ to publish notifications to, e.g. amqp://guest:guest@127.0.0.1:5672/; default: none (the log only).',
  },
  'notify.topics': {
    type: 'string-list',
    default: ['notifications'],
    env: 'MAGNETAR_NOTIFY_TOPICS',
    description:
      'Notification topics; the routing key is <topic>.<priority> (notifications.info, notifications.error).',
  },
  'notify.exchange': {
    type: 'string',
    default: 'magnum',
    env: 'MAGNETAR_NOTIFY_EXCHANGE',
    description: "Topic exchange notifications are published on (oslo.messaging's control_exchange).",
  },
  'notify.host': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_NOTIFY_HOST',
    description: 'Host in publisher_id container-infra.<host>; default: services.host.',
  },
  'notify.poll_ms': {
    type: 'integer',
    default: 500,
    env: 'MAGNETAR_NOTIFY_POLL_MS',
    description: 'How often the publisher looks for unpublished notifications in the outbox.',
    min: 10,
  },
  'quotas.max_clusters_per_project': {
    type: 'integer',
    default: 20,
    env: 'MAGNETAR_MAX_CLUSTERS_PER_PROJECT',
    description:
      'Clusters a project may have when no quota row says otherwise (Magnum: [quotas] max_clusters_per_project).',
    min: 0,
  },
  'services.heartbeat_seconds': {
    type: 'integer',
    default: 10,
    env: 'MAGNETAR_HEARTBEAT_SECONDS',
    description:
      'How often each api / conductor process records its heartbeat (GET /v1/mservices); a process is down after 3 missed periods.',
    min: 1,
  },
  'services.host': {
    type: 'string',
    default: null,
    env: 'MAGNETAR_SERVICE_HOST',
    description: "Host name this process reports in GET /v1/mservices; default: this machine's host name.",
  },
  'log.level': {
    type: 'string',
    default: 'info',
    env: 'MAGNETAR_LOG_LEVEL',
    description: 'pino log level.',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
