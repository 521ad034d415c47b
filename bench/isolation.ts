/**
 * @module bench/isolation: does one project's maximum-size objects slow another project's small request? Project
 * `big` holds templates and clusters with the most labels at the longest keys and values the API accepts
 * (core/limits.ts) and hammers list routes (cached and cache-defeating variants) over most of the connections, while
 * project `small` GETs its one small template over the rest. Printed: 5xx and errors of both, and the small GET's p99
 * under that load next to the same small load on an idle server (target: ≤ 2×). On SQLite and on a fresh PostgreSQL
 * database. The server (Magnetar's API, no conductor) runs in a child process, the big project's load in another,
 * the measured small GETs in this one (timed to the microsecond with node:http and hrtime; the big load is
 * autocannon's, in whole milliseconds); all over loopback. Prints figures only; the target is reported, not asserted.
 * Run: `npm run bench:isolation` or `node_modules/.bin/node bench/isolation.ts [--seconds 30] [--connections 32]
 * [--small-connections 4] [--templates 50] [--clusters 10] [--only sqlite|postgres]`; with
 * MAGNETAR_BENCH_CPU_PROF=<dir> the server child writes a CPU profile there.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/config/load.ts';
import { MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_LABELS, MAX_LABELS_BYTES } from '../src/core/limits.ts';
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
const BIG = { ...VERSION, 'X-Project-Id': 'big', 'X-User-Id': 'big-user', 'X-Roles': 'member' };
const SMALL = { ...VERSION, 'X-Project-Id': 'small', 'X-User-Id': 'small-user', 'X-Roles': 'member' };
/** The target: the small GET's p99 under load at most this many times its idle p99. */
const TARGET_RATIO = 2;

/**
 * The largest labels map the API accepts: the most labels, the longest keys, values as long as the map's JSON limit
 * leaves room for, made of characters JSON escapes (quotes, backslashes: the most expensive to render).
 */
function maxLabels(seed: number): Record<string, string> {
  const build = (valueLength: number): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = 0; i < MAX_LABELS; i++) {
      const key = `l${seed}_${i}_`.padEnd(MAX_LABEL_KEY, 'k');
      out[key] = `"\\\n${seed}-${i}`.padEnd(Math.min(valueLength, MAX_LABEL_VALUE), 'v"\\');
    }
    return out;
  };
  let length = MAX_LABEL_VALUE;
  while (Buffer.byteLength(JSON.stringify(build(length))) > MAX_LABELS_BYTES) length -= 8;
  return build(length);
}

// ---- the server child -------------------------------------------------------------------------------

async function serveChild(databaseUrl: string, stateDir: string): Promise<void> {
  const config = loadConfig({
    flags: { state_dir: stateDir, 'database.url': databaseUrl, 'api.port': 0, 'log.level': 'silent' },
  });
  const svc = await startService(config, { api: true, conductor: false });
  // How long the server's event loop was held (its delays, sampled every 1 ms), per run: what a request waits for.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  process.on('message', (m: { type: 'delay-reset' | 'delay-read' }) => {
    if (m.type === 'delay-reset') delay.reset();
    else
      process.send?.({
        type: 'delay',
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
      } satisfies Delay);
  });
  process.once('disconnect', () => {
    void svc.stop().finally(() => process.exit(0));
  });
  process.send?.({ url: svc.url ?? '' });
}

/** The server's event-loop delay over a run (ms). */
interface Delay {
  type: 'delay';
  p99: number;
  max: number;
}

/** Resets the server's event-loop delay histogram, runs `fn`, and reads the histogram. */
async function withDelay<T>(child: ChildProcess, fn: () => Promise<T>): Promise<[T, Delay]> {
  child.send({ type: 'delay-reset' });
  const out = await fn();
  const answer = new Promise<Delay>((resolve) => {
    const on = (m: Delay): void => {
      if (m.type !== 'delay') return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
  child.send({ type: 'delay-read' });
  return [out, await answer];
}

// ---- the load generator ------------------------------------------------------------------------------

interface Figures {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  s5xx: number;
  non2xx: number;
  errors: number;
  mbps: number;
}

function figures(r: autocannon.Result): Figures {
  return {
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    s5xx: r['5xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    mbps: r.throughput.average / 1e6,
  };
}

/**
 * The small project's GET of its own small template, measured to the microsecond (autocannon reports whole
 * milliseconds, too coarse for an idle p99 under 1 ms): `connections` keep-alive connections, each sending the next
 * request when the last answer has been read, timed with `process.hrtime.bigint()`. Latencies in ms.
 */
async function smallLoad(url: string, seconds: number, connections: number): Promise<Figures> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latencies: number[] = [];
  let s5xx = 0;
  let non2xx = 0;
  let errors = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  const end = started + BigInt(Math.round(seconds * 1e9));
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = httpRequest(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'GET', headers: SMALL },
        (res) => {
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            const status = res.statusCode ?? 0;
            if (status >= 500) s5xx += 1;
            if (status < 200 || status >= 300) non2xx += 1;
            resolve();
          });
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (process.hrtime.bigint() < end) await one();
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[latencies.length - 1] ?? 0,
    s5xx,
    non2xx,
    errors,
    mbps: bytes / elapsed / 1e6,
  };
}

/** The big project's list hammering: detail and plain template lists, cluster details, and cache-defeating variants. */
function bigLoad(base: string, seconds: number, connections: number): Promise<autocannon.Result> {
  const sorts = ['id', 'name', 'created_at', 'uuid'];
  let n = 0;
  return autocannon({
    url: base,
    connections,
    duration: seconds,
    headers: BIG,
    timeout: 60,
    requests: [
      { method: 'GET', path: '/v1/clustertemplates/detail' },
      { method: 'GET', path: '/v1/clustertemplates' },
      { method: 'GET', path: '/v1/clusters/detail' },
      {
        method: 'GET',
        // A new limit and sort each time: never a cached answer.
        setupRequest: (req) => {
          n += 1;
          return { ...req, path: `/v1/clustertemplates?limit=${1000 - (n % 900)}&sort_key=${sorts[n % 4]}` };
        },
      },
    ],
  });
}

/** Runs {@link bigLoad} in a child process and returns its figures. */
async function loadInChild(url: string, seconds: number, connections: number): Promise<Figures> {
  const child = fork(SELF, ['--load', url, String(seconds), String(connections)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [m] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`load child exited with ${String(code)}`))),
  ])) as [Figures];
  child.disconnect();
  if (child.exitCode === null) await once(child, 'exit');
  return m;
}

async function request(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, text: await res.text() };
}

interface Row {
  db: string;
  idle: Figures;
  small: Figures;
  big: Figures;
  listBytes: number;
  idleDelay: Delay;
  loadedDelay: Delay;
}

interface BenchOptions {
  seconds: number;
  connections: number;
  smallConnections: number;
  templates: number;
  clusters: number;
}

async function seed(url: string, o: BenchOptions): Promise<{ small: string; listBytes: number }> {
  const tpl = { coe: 'swarm', image_id: NODE_IMAGE, server_type: 'container', docker_storage_driver: 'overlay2' };
  for (let i = 0; i < o.templates; i++) {
    const r = await request(`${url}/v1/clustertemplates`, 'POST', BIG, {
      ...tpl,
      name: `big-${String(i).padStart(3, '0')}`.padEnd(255, 'n'),
      tags: 't'.repeat(255),
      labels: maxLabels(i),
    });
    if (r.status !== 201) throw new Error(`seeding a big template: ${r.status} ${r.text.slice(0, 300)}`);
  }
  const small = await request(`${url}/v1/clustertemplates`, 'POST', SMALL, { ...tpl, name: 'small' });
  if (small.status !== 201) throw new Error(`seeding the small template: ${small.status} ${small.text}`);
  const base = await request(`${url}/v1/clustertemplates`, 'POST', BIG, { ...tpl, name: 'big-base' });
  for (let i = 0; i < o.clusters; i++) {
    const r = await request(`${url}/v1/clusters`, 'POST', BIG, {
      name: `big${i}`,
      cluster_template_id: 'big-base',
      node_count: 1,
      labels: maxLabels(1000 + i),
    });
    if (r.status !== 202) throw new Error(`seeding a big cluster: ${r.status} ${r.text.slice(0, 300)} ${base.status}`);
  }
  const list = await request(`${url}/v1/clustertemplates/detail`, 'GET', BIG);
  return {
    small: (JSON.parse(small.text) as { uuid: string }).uuid,
    listBytes: Buffer.byteLength(list.text),
  };
}

async function benchDatabase(db: string, databaseUrl: string, stateDir: string, o: BenchOptions): Promise<Row> {
  // MAGNETAR_BENCH_CPU_PROF=<dir>: the server child writes a CPU profile there (node --cpu-prof).
  const prof = process.env.MAGNETAR_BENCH_CPU_PROF;
  const child: ChildProcess = fork(SELF, ['--serve', databaseUrl, stateDir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
  });
  try {
    const [{ url }] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`server child exited with ${String(code)}`))),
    ])) as [{ url: string }];
    const { small, listBytes } = await seed(url, o);
    const smallUrl = `${url}/v1/clustertemplates/${small}`;
    const bigConnections = o.connections - o.smallConnections;
    process.stderr.write(`${db}: seeded; warm-up\n`);
    await smallLoad(smallUrl, 2, o.smallConnections);
    await loadInChild(url, 2, bigConnections);
    process.stderr.write(`${db}: idle run (${o.seconds} s)\n`);
    const [idle, idleDelay] = await withDelay(child, () => smallLoad(smallUrl, o.seconds, o.smallConnections));
    process.stderr.write(`${db}: loaded run (${o.seconds} s)\n`);
    // The big load runs in its own process: its response parsing must not delay this process's measurement.
    const [[loaded, big], loadedDelay] = await withDelay(child, () =>
      Promise.all([smallLoad(smallUrl, o.seconds, o.smallConnections), loadInChild(url, o.seconds, bigConnections)]),
    );
    return { db, idle, small: loaded, big, listBytes, idleDelay, loadedDelay };
  } finally {
    child.disconnect();
    if (child.exitCode === null) await once(child, 'exit');
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

function report(rows: Row[], o: BenchOptions): void {
  const f = (n: number, d = 2): string => n.toFixed(d);
  const out: string[] = [];
  out.push(
    `bench/isolation — ${o.connections} connections (${o.connections - o.smallConnections} big-project lists, ${o.smallConnections} small GET), ${o.seconds} s, ${o.templates} templates and ${o.clusters} clusters of ${MAX_LABELS} labels (keys ${MAX_LABEL_KEY} characters, ${MAX_LABELS_BYTES} bytes of JSON); Node ${process.version}, ${cpus().length} CPUs, load average ${STARTED_LOAD} at the start, ${loadavg()[0]?.toFixed(2)} at the end; latency in ms`,
  );
  for (const r of rows) {
    out.push('');
    out.push(`${r.db}: one big template list (detail) is ${f(r.listBytes / 1e6, 1)} MB`);
    const line = (name: string, x: Figures): string =>
      `  ${name.padEnd(22)} ${String(x.requests).padStart(7)} req  ${f(x.rps, 0).padStart(6)} req/s  p50 ${f(x.p50).padStart(8)}  p99 ${f(x.p99).padStart(8)}  max ${f(x.max).padStart(8)}  ${f(x.mbps, 1).padStart(7)} MB/s  5xx ${x.s5xx}  non-2xx ${x.non2xx}  errors ${x.errors}`;
    out.push(line('small GET, idle', r.idle));
    out.push(line('small GET, under load', r.small));
    out.push(line('big-project lists', r.big));
    out.push(
      `  server event-loop delay (what any request may wait for): idle p99 ${f(r.idleDelay.p99)} max ${f(r.idleDelay.max)}; under load p99 ${f(r.loadedDelay.p99)} max ${f(r.loadedDelay.max)}`,
    );
    const ratio = r.small.p99 / Math.max(r.idle.p99, 0.001);
    const fivexx = r.small.s5xx + r.big.s5xx + r.idle.s5xx;
    out.push(
      `  target (issue 8, reported, not asserted): 5xx = 0: ${fivexx} ${fivexx === 0 ? 'met' : 'MISSED'}; small GET p99 under load ≤ ${TARGET_RATIO}× idle: ${f(r.small.p99)} / ${f(r.idle.p99)} ms = ${f(ratio)}× ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      connections: { type: 'string', default: '32' },
      'small-connections': { type: 'string', default: '4' },
      templates: { type: 'string', default: '50' },
      clusters: { type: 'string', default: '10' },
      only: { type: 'string' },
    },
  });
  const o: BenchOptions = {
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    smallConnections: Number(values['small-connections']),
    templates: Number(values.templates),
    clusters: Number(values.clusters),
  };
  // Template create checks the image's os_distro on the host engine: the node image must exist.
  const host = new Engine({ socketPath: '/var/run/docker.sock' });
  try {
    await buildNodeImage(host, { repo: 'magnetar/node', tag: 'bookworm', scriptsDir: SCRIPTS, ifMissing: true });
  } finally {
    host.close();
  }
  const rows: Row[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'magnetar-bench-isolation-'));
  try {
    if (values.only !== 'postgres')
      rows.push(await benchDatabase('SQLite', join(dir, 'sqlite', 'magnetar.db'), join(dir, 'sqlite'), o));
    if (values.only !== 'sqlite')
      rows.push(await withPostgres((url) => benchDatabase('PostgreSQL', url, join(dir, 'postgres'), o)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report(rows, o);
}

if (process.argv[2] === '--serve') {
  await serveChild(process.argv[3] ?? '', process.argv[4] ?? '');
} else if (process.argv[2] === '--load') {
  const r = await bigLoad(process.argv[3] ?? '', Number(process.argv[4]), Number(process.argv[5]));
  process.send?.(figures(r));
} else {
  await main();
}
