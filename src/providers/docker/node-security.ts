/** @module providers/docker/node-security: how node containers get the rights to run their own dockerd. */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EngineError } from './engine.ts';
import type { Engine } from './engine.ts';
import type { HostConfig } from './engine-types.ts';

/** `privileged`: the host allows `Privileged: true`. `emulated`: the equivalent flags, minus the capabilities the host lacks. */
export type NodeSecurity = { mode: 'privileged' } | { mode: 'emulated'; capDrop: string[] };

/** Linux capability names by bit number, as Docker spells them (without `CAP_`). */
export const CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** Label on the throwaway probe container. */
export const PROBE_LABEL = 'magnetar.probe';

/** The capabilities (of {@link CAPABILITIES}) missing from a `CapBnd` hex mask such as `000001fffeffffff`. */
export function missingCapabilities(capBndHex: string): string[] {
  const mask = BigInt(`0x${capBndHex.trim()}`);
  return CAPABILITIES.filter((_, bit) => (mask & (1n << BigInt(bit))) === 0n);
}

/** Reads `CapBnd` from a `/proc/<pid>/status` file. */
export async function readCapBnd(statusPath = '/proc/self/status'): Promise<string> {
  const text = await readFile(statusPath, 'utf8');
  const m = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(text);
  if (!m?.[1]) throw new Error(`no CapBnd line in ${statusPath}`);
  return m[1];
}

/** True for the runtime error a privileged container gets when the host's bounding set lacks capabilities. */
function isCapsError(err: unknown): boolean {
  return err instanceof EngineError && /unable to apply caps|operation not permitted/i.test(err.message);
}

/**
 * Finds out how node containers must run on this host: starts a throwaway `Privileged: true` container of `image`
 * (entrypoint `/bin/true`, labelled `magnetar.probe=1`, always removed). If the runtime refuses the capabilities, the
 * privileged mode is emulated, dropping the capabilities missing from the bounding set in `procStatusPath`
 * (default `/proc/self/status`). Other errors are thrown. `labels` are added to the probe container's.
 */
export async function probeNodeSecurity(
  engine: Engine,
  image: string,
  opts?: { procStatusPath?: string; labels?: Readonly<Record<string, string>> },
): Promise<NodeSecurity> {
  const name = `magnetar-probe-${randomBytes(4).toString('hex')}`;
  let id: string | undefined;
  try {
    const created = await engine.createContainer(name, {
      Image: image,
      Entrypoint: ['/bin/true'],
      Cmd: [],
      Labels: { ...opts?.labels, [PROBE_LABEL]: '1' },
      HostConfig: { Privileged: true, NetworkMode: 'none' },
    });
    id = created.Id;
    await engine.startContainer(id);
    return { mode: 'privileged' };
  } catch (err) {
    if (id === undefined || !isCapsError(err)) throw err;
    return { mode: 'emulated', capDrop: missingCapabilities(await readCapBnd(opts?.procStatusPath)) };
  } finally {
    await engine.removeContainer(id ?? name);
  }
}

/** The `HostConfig` fragment that gives a node container the rights to run dockerd under `sec`. */
export function securityHostConfig(sec: NodeSecurity): HostConfig {
  if (sec.mode === 'privileged') return { Privileged: true };
  return {
    CapAdd: ['ALL'],
    CapDrop: [...sec.capDrop],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    // `--security-opt systempaths=unconfined` is a CLI option; the Engine API spells it as empty path lists.
    MaskedPaths: [],
    ReadonlyPaths: [],
    DeviceCgroupRules: ['a *:* rwm'],
  };
}
