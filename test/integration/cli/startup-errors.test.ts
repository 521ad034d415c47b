/**
 * Start-up errors of the real `bin/magnetar` (spawned): a port in use, a bad configuration value (flag, environment,
 * file), a bad rule in the policy file, an unreachable or refusing PostgreSQL, a state dir that cannot be one. Each prints exactly one line on
 * stderr naming the problem and the fix, no stack trace, and exits 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PG_SERVER } from '../../helpers/postgres.ts';
import { REPO } from '../../helpers/service-process.ts';

const BIN = join(REPO, 'bin', 'magnetar');

/** Runs bin/magnetar; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** Asserts exit 1 and a single `magnetar: …` line on stderr matching `line`, without a stack trace. */
function assertOneLine(r: { code: number | null; stdout: string; stderr: string }, line: RegExp): void {
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^magnetar: /);
  assert.match(lines[0] ?? '', line);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

describe('start-up errors of bin/magnetar', () => {
  let dir: string;
  let busy: Server;
  let busyPort: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-startup-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });

  after(async () => {
    busy.close();
    await rm(dir, { recursive: true, force: true });
  });

  const serve = (stateDir: string, ...extra: string[]): string[] => [
    'serve',
    '--no-setup',
    '--no-conductor',
    '--state-dir',
    join(dir, stateDir),
    ...extra,
  ];

  it('port in use: names the port and how to choose another', async () => {
    const r = await run(serve('port', '--port', String(busyPort)));
    assertOneLine(r, new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is already in use .*--port`));
  });

  it('address not of this machine: names it and the flag', async () => {
    // noauth on a non-loopback address is refused before binding unless allowed; allow it to reach the bind
    const r = await run(serve('addr', '--host', '192.0.2.1', '--port', '0'), { MAGNETAR_ALLOW_REMOTE_NOAUTH: 'true' });
    assertOneLine(r, /address 192\.0\.2\.1 is not an address of this machine.*--host/);
  });

  it('bad value on the command line: names the key, the rule, the value and where it came from', async () => {
    const r = await run(serve('flag', '--port', '70000'));
    assertOneLine(r, /config: api\.port must be at most 65535 \(got "70000" from command line\); correct it/);
  });

  it('bad value in the environment', async () => {
    const r = await run(serve('env'), { MAGNETAR_CONDUCTOR_WORKERS: 'many' });
    assertOneLine(r, /config: conductor\.workers must be an integer .*environment variable MAGNETAR_CONDUCTOR_WORKERS/);
  });

  it('unknown key in the configuration file', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'api:\n  prot: 9511\n');
    const r = await run([...serve('file'), '--config', file]);
    assertOneLine(r, new RegExp(`config: unknown key 'api\\.prot' in ${file}`));
  });

  it('a bad rule in the policy file: names the rule, the file and what is wrong', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, '"cluster:get": "rule:admin_api"\n"cluster:delete": "role:admin or"\n');
    const r = await run(serve('policy', '--port', '0'), { MAGNETAR_POLICY_FILE: file });
    assertOneLine(
      r,
      new RegExp(`policy: rule cluster:delete in ${file}: "role:admin or": ends where a check was expected; correct`),
    );
  });

  it('a policy file rule referring to an undefined rule, and a missing policy file', async () => {
    const file = join(dir, 'policy-ref.yaml');
    await writeFile(file, '"context_is_admin": "role:admin or rule:cloud_admin"\n');
    const r = await run(serve('policy-ref', '--port', '0'), { MAGNETAR_POLICY_FILE: file });
    assertOneLine(r, /policy: rule context_is_admin in .* refers to rule:cloud_admin, which is not defined/);
    const gone = await run(serve('policy-gone', '--port', '0'), { MAGNETAR_POLICY_FILE: join(dir, 'nope.yaml') });
    assertOneLine(gone, /policy: cannot read policy\.file .*nope\.yaml \(ENOENT\); create it or unset policy\.file/);
  });

  it('unreachable PostgreSQL: names the address (password hidden) and the setting', async () => {
    const r = await run(serve('pg', '--port', '0', '--database-url', 'postgresql://magnetar:secret@127.0.0.1:1/x'));
    assertOneLine(
      r,
      /cannot reach PostgreSQL at postgresql:\/\/magnetar:\*\*\*@127\.0\.0\.1:1\/x \(ECONNREFUSED\).*--database-url/,
    );
    assert.doesNotMatch(r.stderr, /secret/);
  });

  it('PostgreSQL without that database: says to create it', async () => {
    const r = await run(serve('pgdb', '--port', '0', '--database-url', `${PG_SERVER}/magnetar_no_such_db`));
    assertOneLine(r, /PostgreSQL at .*magnetar_no_such_db.*does not exist: create it or fix --database-url/);
  });

  it('db upgrade against an unreachable PostgreSQL: the same one line', async () => {
    const r = await run(['db', 'upgrade', '--database-url', 'postgresql://magnetar:x@127.0.0.1:1/x']);
    assertOneLine(r, /cannot reach PostgreSQL at .*127\.0\.0\.1:1/);
  });

  it('state dir under a file: says it is not a directory', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    const r = await run(['serve', '--no-setup', '--state-dir', join(file, 'state'), '--port', '0']);
    assertOneLine(
      r,
      new RegExp(`state dir ${file}/state cannot be created: it \\(or a parent\\) is a file.*--state-dir`),
    );
  });

  it('state dir that is a file', async () => {
    const file = join(dir, 'state-file');
    await writeFile(file, 'x');
    const r = await run(['serve', '--no-setup', '--state-dir', file, '--port', '0']);
    assertOneLine(r, new RegExp(`state dir ${file} (cannot be created|is not a directory)`));
  });
});
