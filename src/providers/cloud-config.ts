/**
 * @module Cloud-init user-data, pure: a typed {@link CloudConfig} → `#cloud-config` YAML, that YAML read back (the
 * subset the local provider runs), and `runcmd` → the script cloud-init renders into
 * `/var/lib/cloud/instance/scripts/runcmd`. The subset is what both real cloud-init (OpenStack VMs) and the local
 * provider honour (NODE-CONVENTION.md): `write_files` (path, content, permissions, owner, encoding `b64`) and `runcmd`
 * (strings run by sh, or argv lists quoted for sh). Also the node-side facts of the convention (paths, services).
 */
import { Document, parse } from 'yaml';

/** One `write_files` entry. */
export interface WriteFile {
  /** Absolute path inside the machine. */
  path: string;
  /** The content; base64 text when `encoding` is `b64`. */
  content: string;
  /** Octal mode as cloud-init spells it, e.g. `'0644'`. @default '0644' */
  permissions?: string;
  /** `user:group`; the local provider honours numeric ids and `root`. @default 'root:root' */
  owner?: string;
  encoding?: 'b64';
}

/** One `runcmd` entry: a line run by sh as it is, or an argv list (each word single-quoted, as cloud-init does). */
export type RunCommand = string | readonly string[];

/** The subset of `#cloud-config` Magnetar writes and the local provider runs. */
export interface CloudConfig {
  write_files?: WriteFile[];
  runcmd?: RunCommand[];
}

/** A user-data document outside the subset, or malformed; `key` names the offending key (`write_files[2].path`). */
export class CloudConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`user-data ${key}: ${message}`);
    this.name = 'CloudConfigError';
    this.key = key;
  }
}

/** Where cloud-init (and the local provider, in its place) keeps a machine's payload and its results. */
export const CLOUD_INIT_PATHS = {
  /** The raw user-data, as the NoCloud datasource reads it (kept for inspection). */
  userData: '/var/lib/cloud/seed/nocloud/user-data',
  /** runcmd rendered as a script. */
  runcmd: '/var/lib/cloud/instance/scripts/runcmd',
  /** Written when runcmd succeeded. */
  bootFinished: '/var/lib/cloud/instance/boot-finished',
  /** Written by magnetar-node-init when runcmd failed (cloud-init reports failures in its status instead). */
  bootFailed: '/var/lib/cloud/instance/boot-failed',
  /** runcmd's output. */
  outputLog: '/var/log/cloud-init-output.log',
} as const;

/** The node-side scripts every node image carries (NODE-CONVENTION.md). */
export const NODE_SCRIPTS = {
  init: '/usr/local/sbin/magnetar-node-init',
  supervise: '/usr/local/sbin/magnetar-supervise',
  /** Executables started (in name order) and kept running by `magnetar-supervise start`. */
  servicesDir: '/etc/magnetar/services',
} as const;

/** The runcmd entry that starts every service in {@link NODE_SCRIPTS.servicesDir}. */
export const SUPERVISE_START: readonly string[] = [NODE_SCRIPTS.supervise, 'start'];

/**
 * A supervised service: `/etc/magnetar/services/<name>` (mode 0755) running `command` (an argv list, quoted for sh)
 * with `exec`, so the supervisor's restart loop owns the daemon's process. `name` sorts services (`10-dockerd`).
 */
export function serviceFile(name: string, command: readonly string[]): WriteFile {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new CloudConfigError('write_files', `service name ${JSON.stringify(name)} is not a plain file name`);
  if (command.length === 0) throw new CloudConfigError('write_files', `service ${name} has no command`);
  return {
    path: `${NODE_SCRIPTS.servicesDir}/${name}`,
    content: `#!/bin/sh\nexec ${command.map(shellQuote).join(' ')}\n`,
    permissions: '0755',
  };
}

/** Quotes one word for sh exactly as cloud-init does for argv lists: always single quotes, `'` as `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script cloud-init writes to `/var/lib/cloud/instance/scripts/runcmd`: `#!/bin/sh`, then one line per entry —
 * strings as they are, argv lists as their words single-quoted and joined by spaces.
 */
export function renderRuncmd(runcmd: readonly RunCommand[]): string {
  let out = '#!/bin/sh\n';
  for (const cmd of runcmd) out += `${typeof cmd === 'string' ? cmd : cmd.map(shellQuote).join(' ')}\n`;
  return out;
}

/** The permission bits of a `permissions` value (`'0644'`, `'600'`); the default 0o644 when absent. */
export function fileMode(permissions: string | undefined, key = 'permissions'): number {
  if (permissions === undefined) return 0o644;
  if (!/^0?[0-7]{3,4}$/.test(permissions))
    throw new CloudConfigError(key, `${JSON.stringify(permissions)} is not an octal mode such as '0644'`);
  return parseInt(permissions, 8);
}

/** Numeric uid and gid of an `owner` value: `root`, `root:root`, `0:0`, `1000:1000`; the default root. */
export function fileOwner(owner: string | undefined, key = 'owner'): { uid: number; gid: number } {
  if (owner === undefined) return { uid: 0, gid: 0 };
  const [u = '', g = u] = owner.split(':');
  const id = (s: string): number => {
    if (s === 'root') return 0;
    if (/^\d+$/.test(s)) return Number(s);
    throw new CloudConfigError(key, `${JSON.stringify(owner)}: only numeric ids and root can be resolved before boot`);
  };
  return { uid: id(u), gid: id(g) };
}

/** The bytes a `write_files` entry puts on disk (decoded when `encoding` is `b64`). */
export function fileContent(f: WriteFile): Buffer {
  return f.encoding === 'b64' ? Buffer.from(f.content, 'base64') : Buffer.from(f.content, 'utf8');
}

function checkFile(f: WriteFile, key: string): void {
  if (typeof f.path !== 'string' || !f.path.startsWith('/'))
    throw new CloudConfigError(`${key}.path`, 'must be an absolute path');
  if (f.path.split('/').includes('..') || f.path.includes('\0'))
    throw new CloudConfigError(`${key}.path`, `${JSON.stringify(f.path)} must not contain ".." or NUL`);
  if (f.path.endsWith('/')) throw new CloudConfigError(`${key}.path`, `${JSON.stringify(f.path)} names a directory`);
  if (typeof f.content !== 'string') throw new CloudConfigError(`${key}.content`, 'must be a string');
  if (f.encoding !== undefined && f.encoding !== 'b64')
    throw new CloudConfigError(`${key}.encoding`, `${JSON.stringify(f.encoding)} is not supported (only b64)`);
  if (f.encoding === 'b64' && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(f.content))
    throw new CloudConfigError(`${key}.content`, 'is not base64');
  fileMode(f.permissions, `${key}.permissions`);
  fileOwner(f.owner, `${key}.owner`);
}

function checkConfig(c: CloudConfig): void {
  const seen = new Set<string>();
  (c.write_files ?? []).forEach((f, i) => {
    checkFile(f, `write_files[${i}]`);
    if (seen.has(f.path)) throw new CloudConfigError(`write_files[${i}].path`, `${f.path} is written twice`);
    seen.add(f.path);
  });
  (c.runcmd ?? []).forEach((cmd, i) => {
    if (typeof cmd === 'string') return;
    if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((w) => typeof w !== 'string'))
      throw new CloudConfigError(`runcmd[${i}]`, 'must be a string or a non-empty list of strings');
  });
}

/**
 * Renders user-data: `#cloud-config`, then the YAML document. Written for YAML 1.1 readers (cloud-init uses PyYAML),
 * so strings such as `yes`, `on` and `0644` are quoted; long lines are never folded.
 */
export function renderUserData(c: CloudConfig): string {
  checkConfig(c);
  const body: Record<string, unknown> = {};
  if (c.write_files?.length)
    body.write_files = c.write_files.map((f) => ({
      path: f.path,
      content: f.content,
      permissions: f.permissions ?? '0644',
      owner: f.owner ?? 'root:root',
      ...(f.encoding ? { encoding: f.encoding } : {}),
    }));
  if (c.runcmd?.length) body.runcmd = c.runcmd.map((cmd) => (typeof cmd === 'string' ? cmd : [...cmd]));
  return `#cloud-config\n${new Document(body, { version: '1.1' }).toString({ lineWidth: 0 })}`;
}

/** Reads user-data written in the subset back into a {@link CloudConfig}; throws {@link CloudConfigError}. */
export function parseUserData(text: string): CloudConfig {
  if (!/^#cloud-config[ \t]*\r?\n/.test(text))
    throw new CloudConfigError('header', 'the first line must be #cloud-config');
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1' });
  } catch (e) {
    throw new CloudConfigError('yaml', (e as Error).message);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CloudConfigError('yaml', 'the document is not a map');
  const out: CloudConfig = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (k === 'write_files') {
      if (!Array.isArray(v)) throw new CloudConfigError(k, 'must be a list');
      out.write_files = v.map((e: unknown, i) => toWriteFile(e, `write_files[${i}]`));
    } else if (k === 'runcmd') {
      if (!Array.isArray(v)) throw new CloudConfigError(k, 'must be a list');
      out.runcmd = v.map((e: unknown, i): RunCommand => {
        if (typeof e === 'string') return e;
        if (Array.isArray(e)) return e.map((w: unknown) => (typeof w === 'number' ? String(w) : (w as string)));
        throw new CloudConfigError(`runcmd[${i}]`, 'must be a string or a list of strings');
      });
    } else {
      throw new CloudConfigError(k, 'is outside the subset this provider runs (write_files, runcmd)');
    }
  }
  checkConfig(out);
  return out;
}

function toWriteFile(e: unknown, key: string): WriteFile {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new CloudConfigError(key, 'must be a map');
  const r = e as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!['path', 'content', 'permissions', 'owner', 'encoding'].includes(k))
      throw new CloudConfigError(`${key}.${k}`, 'is not supported');
  const str = (k: string): string | undefined => {
    const v = r[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new CloudConfigError(`${key}.${k}`, 'must be a string');
    return v;
  };
  const encoding = str('encoding');
  const f: WriteFile = { path: str('path') ?? '', content: str('content') ?? '' };
  const permissions = str('permissions');
  const owner = str('owner');
  if (permissions !== undefined) f.permissions = permissions;
  if (owner !== undefined) f.owner = owner;
  if (encoding !== undefined) {
    if (encoding !== 'b64') throw new CloudConfigError(`${key}.encoding`, `${encoding} is not supported (only b64)`);
    f.encoding = 'b64';
  }
  return f;
}
