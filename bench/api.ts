/**
 * @module bench/api: requests/s and p50/p99 latency of the cluster template routes — GET list (100 templates stored),
 * GET one, POST — at concurrency 8, on SQLite and PostgreSQL, next to a bare Fastify route serving the same response
 * bytes from memory, already encoded (the floor). The servers (Magnetar's API without a conductor, and the floor) run in a child
 * process; autocannon, the load generator, runs in this one, over loopback. Prints figures only; the targets are
 * reported, not asserted.
 * Each case runs in `auth.mode` noauth and, when the Keystone of `scripts/ensure-system.sh keystone` is here, in
 * keystone mode with one member token (validated once, then from the token cache: the same targets as noauth). Keystone
 * mode also measures a cold token: GET one with a token the server has never seen (one validation by Keystone) against
 * the same GET with a cached token, sequentially; the difference is the per-request cost of a cold token.
 * Run: `npm run bench:api` or `node_modules/.bin/node bench/api.ts [--seconds 5] [--connections 8] [--only sqlite|postgres]
 * [--auth noauth|keystone|both] [--cold 20] [--rounds 3] [--cpu-prof <dir>]` (the last writes a V8 CPU profile of the server process).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { loadConfig } from '../src/config/load.ts';
import { keystoneAccounts, tokenOf, type Accounts } from '../test/helpers/keystone.ts';
import { Engine } from '../src/providers/docker/engine.ts';
import { buildNodeImage } from '../src/providers/docker/image-build.ts';
import { startService } from '../src/service.ts';

const SELF = fileURLToPath(import.meta.url);
/** The machine's 1-minute load average when the bench started (the figures are only comparable on a quiet machine). */
const STARTED_LOAD = loadavg()[0]?.toFixed(2);
const SCRIPTS = join(dirname(SELF), '..', 'scripts');
const NODE_IMAGE = 'magnetar/node:bookworm';
const PG_SERVER = process.env.MAGNETAR_BENCH_PG ?? 'postgresql://magnetar:magnetar@127.0.0.1:5432';
const VERSION = { 'OpenStack-API-Version': 'container-infra latest' };
const TEMPLATE = {
  coe: 'swarm',
  image_id: NODE_IMAGE,
  server_type: 'container',
  external_network_id: 'public',
  flavor_id: 'm1.small',
  master_flavor_id: 'm1.small',
  dns_nameserver: '8.8.8.8',
  docker_storage_driver: 'overlay2',
  labels: { swarm_strategy: 'spread' },
};

/** Messages between this process and the server child. */
type ToChild = { type: 'floor'; list: string; one: string; created: string };
type FromChild = { type: 'listening'; magnetar: string; floor: string } | { type: 'floor-ready' };

// ---- the server child -------------------------------------------------------------------------------

type AuthMode = 'noauth' | 'keystone';

/** Settings of keystone mode against the Keystone of ensure-system.sh, validating as the `magnetar` service user. */
function keystoneFlags(a: Accounts): Record<string, string> {
  return {
    'auth.mode': 'keystone',
    'keystone.auth_url': a.authUrl,
    'keystone.username': 'magnetar',
    'keystone.password': a.servicePassword,
    'keystone.region_name': a.region,
  };
}

async function serveChild(databaseUrl: string, stateDir: string, auth: AuthMode): Promise<void> {
  const ks = auth === 'keystone' ? keystoneFlags(keystoneAccounts().accounts as Accounts) : {};
  const config = loadConfig({
    flags: { state_dir: stateDir, 'database.url': databaseUrl, 'api.port': 0, 'log.level': 'silent', ...ks } as never,
  });
  const svc = await startService(config, { api: true, conductor: false });
  // The floor: the same bytes from memory, through a bare Fastify route (JSON body parsed on POST, as Magnetar does).
  // Kept encoded, as Magnetar keeps its rendered lists: a string would be encoded again on every send, a cost
  // Magnetar's cached list does not pay, and the floor would no longer be one.
  const empty = Buffer.alloc(0);
  const bytes = { list: empty, one: empty, created: empty };
  const floor = Fastify();
  floor.get('/list', async (_req, reply) => reply.type('application/json').send(bytes.list));
  floor.get('/one', async (_req, reply) => reply.type('application/json').send(bytes.one));
  floor.post('/create', async (_req, reply) => reply.code(201).type('application/json').send(bytes.created));
  await floor.listen({ host: '127.0.0.1', port: 0 });
  const addr = floor.server.address();
  const floorUrl = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
  process.on('message', (m: ToChild) => {
    Object.assign(bytes, { list: Buffer.from(m.list), one: Buffer.from(m.one), created: Buffer.from(m.created) });
    process.send?.({ type: 'floor-ready' } satisfies FromChild);
  });
  process.once('disconnect', () => {
    void Promise.all([floor.close(), svc.stop()]).finally(() => process.exit(0));
  });
  process.send?.({ type: 'listening', magnetar: svc.url ?? '', floor: floorUrl } satisfies FromChild);
}

// ---- the load generator ------------------------------------------------------------------------------

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  url: string,
  opts: {
    method?: 'GET' | 'POST' | undefined;
    body?: string | undefined;
    seconds: number;
    connections: number;
    token?: string | undefined;
  },
): Promise<Figures> {
  const r = await autocannon({
    url,
    method: opts.method ?? 'GET',
    connections: opts.connections,
    duration: opts.seconds,
    headers: {
      ...VERSION,
      ...(opts.body ? { 'Content-Type': 'application/json' } : {}),
      ...(opts.token ? { 'X-Auth-Token': opts.token } : {}),
    },
    ...(opts.body ? { body: opts.body } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/** The run with the median req/s (errors of every run added up). */
function median(runs: Figures[]): Figures {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)] as Figures;
  return { ...mid, errors: runs.reduce((n, r) => n + r.errors, 0) };
}

async function request(
  url: string,
  method: 'GET' | 'POST',
  body?: unknown,
  token?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...VERSION,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { 'X-Auth-Token': token } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, text: await res.text() };
}

function nextMessage(child: ChildProcess, type: FromChild['type']): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromChild): void => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void => reject(new Error(`server child exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

interface Row {
  db: string;
  auth: AuthMode;
  case: string;
  floor: Figures;
  magnetar: Figures;
}

interface BenchOptions {
  seconds: number;
  connections: number;
  /** Writes a V8 CPU profile of the server child into this directory. */
  cpuProf: string | undefined;
  /** Cold tokens measured in keystone mode. */
  cold: number;
  /** Runs of each case (floor and targets back to back); the median by req/s is reported. */
  rounds: number;
}

/** Sequential GET latencies (ms) of a cold token (first use: validated by Keystone) and of a cached one. */
interface ColdFigures {
  db: string;
  cold: number[];
  warm: number[];
}
const colds: ColdFigures[] = [];

async function timedGet(url: string, token: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await request(url, 'GET', undefined, token);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.text}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function coldTokens(db: string, a: Accounts, url: string, warmToken: string, n: number): Promise<void> {
  // Fresh tokens first (each a password authentication, ~0.3-0.6 s of Keystone), then the timed requests.
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push((await tokenOf(a, 'a-member')).token);
  const cold: number[] = [];
  const warm: number[] = [];
  for (const t of tokens) {
    cold.push(await timedGet(url, t));
    warm.push(await timedGet(url, warmToken));
  }
  colds.push({ db, cold, warm });
}

/** One Magnetar API under test: its auth mode, database and state dir. */
interface Target {
  auth: AuthMode;
  databaseUrl: string;
  stateDir: string;
}

interface Running {
  auth: AuthMode;
  child: ChildProcess;
  up: Extract<FromChild, { type: 'listening' }>;
  api: string;
  uuid: string;
  token: string | undefined;
}

/**
 * Runs every target at once (one server child each, own database), then per case: the floor and each target back to
 * back, so that the modes are compared under the same machine load.
 */
async function benchDatabase(db: string, targets: Target[], o: BenchOptions): Promise<Row[]> {
  const { seconds, connections } = o;
  const accounts = keystoneAccounts().accounts;
  const execArgv = o.cpuProf ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : process.execArgv;
  const running: Running[] = [];
  try {
    let bytes: ToChild | undefined;
    for (const t of targets) {
      const token = t.auth === 'keystone' && accounts ? (await tokenOf(accounts, 'a-member')).token : undefined;
      const child = fork(SELF, ['--serve', t.databaseUrl, t.stateDir, t.auth], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv,
      });
      const r: Running = { auth: t.auth, child, up: undefined as never, api: '', uuid: '', token };
      running.push(r);
      r.up = (await nextMessage(child, 'listening')) as Extract<FromChild, { type: 'listening' }>;
      r.api = `${r.up.magnetar}/v1/clustertemplates`;
      for (let i = 0; i < 100; i++) {
        const res = await request(r.api, 'POST', { ...TEMPLATE, name: `bench-${String(i).padStart(3, '0')}` }, token);
        if (res.status !== 201) throw new Error(`seeding: ${res.status} ${res.text}`);
      }
      const list = await request(r.api, 'GET', undefined, token);
      r.uuid = (JSON.parse(list.text) as { clustertemplates: { uuid: string }[] }).clustertemplates[0]?.uuid ?? '';
      const one = await request(`${r.api}/${r.uuid}`, 'GET', undefined, token);
      const created = await request(r.api, 'POST', { ...TEMPLATE, name: 'bench-post' }, token);
      bytes ??= { type: 'floor', list: list.text, one: one.text, created: created.text };
    }
    const first = running[0];
    if (!first || !bytes) return [];
    first.child.send(bytes);
    await nextMessage(first.child, 'floor-ready');
    const postBody = JSON.stringify({ ...TEMPLATE, name: 'bench-post' });
    const cases: { name: string; floor: string; url: (r: Running) => string; method?: 'POST'; body?: string }[] = [
      { name: 'GET list (100)', floor: `${first.up.floor}/list`, url: (r) => r.api },
      { name: 'GET one', floor: `${first.up.floor}/one`, url: (r) => `${r.api}/${r.uuid}` },
      { name: 'POST', floor: `${first.up.floor}/create`, url: (r) => r.api, method: 'POST', body: postBody },
    ];
    const rows: Row[] = [];
    for (const c of cases) {
      const lo = { method: c.method, body: c.body, connections };
      for (const r of running) await load(c.url(r), { ...lo, token: r.token, seconds: 1 }); // warm-up (JIT, pools)
      await load(c.floor, { ...lo, seconds: 1 });
      // Rounds of the floor then each target, back to back; each series' median round is reported, so that a burst
      // of other load on the machine during one run does not decide a ratio.
      const floors: Figures[] = [];
      const magnetars: Figures[][] = running.map(() => []);
      for (let k = 0; k < o.rounds; k++) {
        floors.push(await load(c.floor, { ...lo, seconds }));
        for (const [i, r] of running.entries())
          magnetars[i]?.push(await load(c.url(r), { ...lo, token: r.token, seconds }));
      }
      for (const [i, r] of running.entries())
        rows.push({ db, auth: r.auth, case: c.name, floor: median(floors), magnetar: median(magnetars[i] ?? []) });
    }
    for (const r of running)
      if (r.auth === 'keystone' && accounts && r.token && o.cold > 0)
        await coldTokens(db, accounts, `${r.api}/${r.uuid}`, r.token, o.cold);
    return rows;
  } finally {
    for (const r of running) {
      r.child.disconnect();
      if (r.child.exitCode === null) await once(r.child, 'exit');
    }
  }
}

async function withPostgres<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `magnetar_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    return await fn(`${PG_SERVER}/${name}`);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

function report(rows: Row[], seconds: number, connections: number, rounds: number): void {
  const f = (n: number, d = 0): string => n.toFixed(d);
  const out: string[] = [];
  out.push(
    `bench/api — ${connections} connections, ${seconds} s per case and round, median of ${rounds} rounds, Node ${process.version}, ${cpus().length} CPUs, load average ${STARTED_LOAD} at the start, ${loadavg()[0]?.toFixed(2)} at the end; latency in ms`,
  );
  out.push('');
  const head = [
    'database',
    'auth',
    'case',
    'floor req/s',
    'magnetar req/s',
    'ratio',
    'floor p50/p99',
    'magnetar p50/p99',
    'errors',
  ];
  const table = rows.map((r) => [
    r.db,
    r.auth,
    r.case,
    f(r.floor.rps),
    f(r.magnetar.rps),
    `${f((100 * r.magnetar.rps) / r.floor.rps)} %`,
    `${f(r.floor.p50, 2)} / ${f(r.floor.p99, 2)}`,
    `${f(r.magnetar.p50, 2)} / ${f(r.magnetar.p99, 2)}`,
    String(r.magnetar.errors + r.floor.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  out.push(line(head));
  for (const t of table) out.push(line(t));
  out.push('');
  out.push('targets (reported, not asserted):');
  for (const r of rows) {
    if (r.case.startsWith('GET list')) {
      const ratio = r.magnetar.rps / r.floor.rps;
      out.push(
        `  ${r.db} ${r.auth} (issue ${r.auth === 'keystone' ? '9, cached token' : '3'}): GET list (100) ≥ 50 % of floor req/s: ${f(r.magnetar.rps)} / ${f(r.floor.rps)} = ${f(100 * ratio)} % ${ratio >= 0.5 ? 'met' : 'MISSED'}; p99 ≤ 10 ms: ${f(r.magnetar.p99, 2)} ms ${r.magnetar.p99 <= 10 ? 'met' : 'MISSED'}`,
      );
    }
    if (r.case === 'POST')
      out.push(
        `  ${r.db} ${r.auth}: POST p50 ≤ 5 ms: ${f(r.magnetar.p50, 2)} ms ${r.magnetar.p50 <= 5 ? 'met' : 'MISSED'}`,
      );
  }
  const keystoneRows = rows.filter((r) => r.auth === 'keystone');
  if (keystoneRows.length > 0) {
    out.push('');
    out.push('keystone mode (one cached token) against noauth, measured back to back:');
    for (const k of keystoneRows) {
      const n = rows.find((r) => r.db === k.db && r.case === k.case && r.auth === 'noauth');
      if (n)
        out.push(
          `  ${k.db} ${k.case}: ${f((100 * k.magnetar.rps) / n.magnetar.rps)} % of noauth req/s; p50/p99 ${f(k.magnetar.p50, 2)}/${f(k.magnetar.p99, 2)} ms vs ${f(n.magnetar.p50, 2)}/${f(n.magnetar.p99, 2)} ms`,
        );
    }
  }
  if (colds.length > 0) {
    out.push('');
    out.push(
      'keystone mode, a cold token (first use: one GET /v3/auth/tokens to Keystone) vs a cached one, GET one, sequential:',
    );
    for (const c of colds) {
      const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
      const p90 = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * 0.9)] ?? NaN;
      out.push(
        `  ${c.db}: ${c.cold.length} tokens; cold p50 ${f(med(c.cold), 2)} ms, p90 ${f(p90(c.cold), 2)} ms; cached p50 ${f(med(c.warm), 2)} ms; per-request cost of a cold token ≈ ${f(med(c.cold) - med(c.warm), 2)} ms`,
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '8' },
      only: { type: 'string' },
      auth: { type: 'string' },
      cold: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
      'cpu-prof': { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const o: BenchOptions = {
    seconds,
    connections,
    cpuProf: values['cpu-prof'],
    cold: Number(values.cold),
    rounds: Math.max(1, Number(values.rounds)),
  };
  const ks = keystoneAccounts();
  const auth = values.auth ?? (ks.accounts ? 'both' : 'noauth');
  if (auth !== 'noauth' && !ks.accounts) throw new Error(`--auth ${auth}: ${ks.skip}`);
  const modes: AuthMode[] = auth === 'both' ? ['noauth', 'keystone'] : [auth as AuthMode];
  // Template create checks the image's os_distro on the host engine: the node image must exist.
  const host = new Engine({ socketPath: '/var/run/docker.sock' });
  try {
    await buildNodeImage(host, { repo: 'magnetar/node', tag: 'bookworm', scriptsDir: SCRIPTS, ifMissing: true });
  } finally {
    host.close();
  }
  const rows: Row[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'magnetar-bench-api-'));
  try {
    if (values.only !== 'postgres') {
      const targets = modes.map((m) => ({
        auth: m,
        databaseUrl: join(dir, `sqlite-${m}`, 'magnetar.db'),
        stateDir: join(dir, `sqlite-${m}`),
      }));
      rows.push(...(await benchDatabase('SQLite', targets, o)));
    }
    if (values.only !== 'sqlite') {
      // One database per mode.
      const urls: string[] = [];
      const run = async (k: number): Promise<Row[]> =>
        k < modes.length
          ? withPostgres((url) => {
              urls[k] = url;
              return run(k + 1);
            })
          : benchDatabase(
              'PostgreSQL',
              modes.map((m, n) => ({ auth: m, databaseUrl: urls[n] ?? '', stateDir: join(dir, `postgres-${m}`) })),
              o,
            );
      rows.push(...(await run(0)));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report(rows, seconds, connections, o.rounds);
}

if (process.argv[2] === '--serve') {
  await serveChild(process.argv[3] ?? '', process.argv[4] ?? '', (process.argv[5] ?? 'noauth') as AuthMode);
} else {
  await main();
}
