/**
 * @module Test helper: runs Debian's real OpenStack clients (`magnum` from python3-magnumclient, `openstack` from
 * python3-openstackclient; scripts/ensure-system.sh clients) against a Magnetar endpoint with token/endpoint auth, and
 * parses their prettytable output.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freshDatabase } from './postgres.ts';
import { getJson, startServe, waitCluster } from './service-process.ts';

/** What a client run printed. */
export interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a client run: no OS_* variables of the caller, no Python warnings on stderr; SHELL is needed by
 * `cluster-config` (it picks the export syntax from it).
 */
function clientEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    SHELL: '/bin/bash',
    PYTHONWARNINGS: 'ignore',
  };
}

async function run(bin: string, args: string[], cwd?: string): Promise<ClientRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, { env: clientEnv(), timeout: 120_000, cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? err.message,
    };
  }
}

/** `magnum --os-token T --os-endpoint-override <url>/v1 …` (python-magnumclient's own shell). */
export function magnum(url: string, args: string[], cwd?: string): Promise<ClientRun> {
  return run('magnum', ['--os-token', 'T', '--os-endpoint-override', `${url}/v1`, ...args], cwd);
}

/**
 * `openstack --os-auth-type admin_token --os-token T --os-endpoint <url>/v1 coe …`. keystoneauth's `admin_token`
 * plugin (a fixed token and endpoint, no Keystone) is what python3-openstackclient 6.0 offers for token/endpoint auth;
 * its `token_endpoint` type of older releases is gone, and `none` refuses `--os-token`.
 */
export function openstack(url: string, args: string[], cwd?: string): Promise<ClientRun> {
  return run(
    'openstack',
    ['--os-auth-type', 'admin_token', '--os-token', 'T', '--os-endpoint', `${url}/v1`, ...args],
    cwd,
  );
}

/** Splits one `| a | b |` table line into trimmed cells. */
function cells(line: string): string[] {
  return line
    .trim()
    .slice(1, -1)
    .split('|')
    .map((c) => c.trim());
}

/**
 * Parses the first prettytable in `out` into rows keyed by the header cells. Lines outside the table (the clients'
 * deprecation warnings) are ignored; a line whose first cell is empty continues the previous row (wrapped values).
 * No table at all is an empty list.
 */
export function parseTable(out: string): Record<string, string>[] {
  const lines = out.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => l.startsWith('+-'));
  if (start < 0) return []; // openstack prints nothing at all for an empty list
  const header = cells(lines[start + 1] ?? '');
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(start + 3)) {
    if (line.startsWith('+-')) break;
    if (!line.startsWith('|')) continue;
    const c = cells(line);
    const prev = rows.at(-1);
    if (c[0] === '' && prev) {
      header.forEach((h, i) => {
        if (c[i]) prev[h] = prev[h] ? `${prev[h]}\n${c[i]}` : (c[i] ?? '');
      });
      continue;
    }
    rows.push(Object.fromEntries(header.map((h, i) => [h, c[i] ?? ''])));
  }
  return rows;
}

/** Parses a two-column `Property | Value` (or `Field | Value`) table into a record. */
export function parseProperties(out: string): Record<string, string> {
  const rows = parseTable(out);
  const out2: Record<string, string> = {};
  for (const r of rows) {
    const [k, v] = Object.values(r);
    if (k !== undefined) out2[k] = v ?? '';
  }
  return out2;
}

/** The PEM blocks in `out`. */
export function pemBlocks(out: string): string[] {
  return [...out.matchAll(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g)].map((m) => m[0]);
}

/** A `magnetar serve` for a client suite, on SQLite or on a fresh PostgreSQL database, with its own temp dir. */
export interface ClientTarget {
  url: string;
  dir: string;
  /** Deletes the clusters a failed test left, stops the service, drops the database and removes the dir. */
  close(): Promise<void>;
}

export async function startClientTarget(database: 'SQLite' | 'PostgreSQL', name: string): Promise<ClientTarget> {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  const pg = database === 'PostgreSQL' ? await freshDatabase(name.replaceAll('-', '_')) : undefined;
  const svc = await startServe(join(dir, 'state'), {
    ...(pg ? { databaseUrl: pg.url } : {}),
    env: { MAGNETAR_HEARTBEAT_SECONDS: '1' },
  });
  const url = svc.url;
  return {
    url,
    dir,
    async close() {
      const left = ((await getJson(`${url}/v1/clusters`)).body.clusters ?? []) as { uuid: string }[];
      await Promise.all(left.map((c) => fetch(`${url}/v1/clusters/${c.uuid}`, { method: 'DELETE' })));
      await Promise.all(left.map((c) => waitCluster(url, c.uuid, (_s, code) => code === 404).catch(() => undefined)));
      await svc.stop();
      await pg?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
