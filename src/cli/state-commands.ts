/**
 * @module cli/state-commands — `magnetar state backup <file>` and `magnetar state restore <file>`: the state dir
 * (SQLite database and master.key) as one archive; see store/state-backup.ts and docs/operator-guide.md.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { privateKeys } from '../certs/key-sealing.ts';
import type { Config } from '../config/load.ts';
import { backupState, restoreState } from '../store/state-backup.ts';

type ConfigFrom = (o: Record<string, unknown>) => Config;
type Wrap = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => Promise<void>;

/** Registers `state backup` and `state restore` (options: those of the server commands, via `addConfigOptions`). */
export function registerStateCommands(
  program: Command,
  addConfigOptions: (c: Command) => Command,
  configFrom: ConfigFrom,
  wrap: Wrap,
): void {
  const state = program
    .command('state')
    .description('backup and restore of the state dir: the SQLite database and master.key, in one archive');
  addConfigOptions(
    state
      .command('backup')
      .argument('<file>', 'archive to write (gzip tar, mode 0600; replaced if it exists)')
      .description(
        'write a consistent snapshot of the database (taken while magnetar runs) and master.key to <file>; on PostgreSQL the key only (back the database up with pg_dump)',
      ),
  ).action(
    wrap(async (file: string, o: Record<string, unknown>) => {
      const config = configFrom(o);
      const r = await backupState(config, resolve(file));
      process.stdout.write(
        `backed up ${r.engine === 'sqlite' ? 'database and ' : ''}master key (sealing ${privateKeys(r.sealedKeys)}) to ${r.file} (${r.bytes} bytes, mode 0600)\n`,
      );
      if (r.note) process.stdout.write(`note: ${r.note}\n`);
    }),
  );
  addConfigOptions(
    state
      .command('restore')
      .argument('<file>', 'archive written by `magnetar state backup`')
      .option(
        '--force',
        'replace an existing database / master key (the current files are kept as *.before-restore-<time>)',
      )
      .description(
        'put the database and master.key of <file> back into the state dir, after checking that the key opens the database; stop magnetar first',
      ),
  ).action(
    wrap(async (file: string, o: Record<string, unknown> & { force?: boolean }) => {
      const config = configFrom(o);
      const r = await restoreState(config, resolve(file), { force: o.force === true });
      process.stdout.write(
        `restored ${r.engine === 'sqlite' ? 'database and ' : ''}master key (sealing ${privateKeys(r.sealedKeys)}) into ${config.stateDir}\n`,
      );
      for (const f of r.keptAside) process.stdout.write(`kept the replaced file as ${f}\n`);
      if (r.note) process.stdout.write(`note: ${r.note}\n`);
    }),
  );
}
