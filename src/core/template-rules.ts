/** @module Cluster template rules from Magnum's API validators (COE, server type, network/volume drivers, storage, DNS). */
import { invalid } from './errors.ts';

/** COEs the API accepts. Magnum accepts kubernetes, swarm and swarm-mode; Magnetar adds plain `docker`. */
export const SUPPORTED_COES = ['kubernetes', 'swarm', 'swarm-mode', 'docker'] as const;
/** Every COE name the schema knows (mesos and dcos parse, then are refused as "not supported", as in Magnum). */
export const ALL_COES = ['kubernetes', 'swarm', 'swarm-mode', 'mesos', 'dcos', 'docker'] as const;
/** `vm` and `bm` as in Magnum, plus `container` for the local Docker provider. */
export const SERVER_TYPES = ['vm', 'bm', 'container'] as const;

const NETWORK_DRIVERS: Record<string, readonly string[]> = {
  kubernetes: ['flannel', 'calico'],
  swarm: ['docker', 'flannel'],
  'swarm-mode': ['docker', 'flannel'],
  docker: ['docker'],
};
const DEFAULT_NETWORK_DRIVER: Record<string, string> = {
  kubernetes: 'flannel',
  swarm: 'docker',
  'swarm-mode': 'docker',
  docker: 'docker',
};
const VOLUME_DRIVERS: Record<string, readonly string[]> = {
  kubernetes: ['cinder'],
  swarm: ['rexray'],
  'swarm-mode': ['rexray'],
  docker: [],
};

export function checkCoe(coe: string | undefined): string {
  if (!coe || !(SUPPORTED_COES as readonly string[]).includes(coe))
    throw invalid(`Requested COE type ${coe ?? 'Unset'} is not supported.`);
  return coe;
}

export function checkServerType(t: string): void {
  if (!(SERVER_TYPES as readonly string[]).includes(t)) {
    throw invalid(`Server type ${t} is not supported, expecting a vm/bm/container/unspecified server type.`);
  }
}

/** Returns the network driver to store (the COE default when none is given). */
export function checkNetworkDriver(coe: string, driver: string | null | undefined): string {
  const allowed = NETWORK_DRIVERS[coe] ?? [];
  if (!driver) return DEFAULT_NETWORK_DRIVER[coe] ?? 'docker';
  if (!allowed.includes(driver)) {
    throw invalid(
      `Network driver type ${driver} is not supported, expecting a ${[...allowed, 'unspecified'].join('/')} network driver.`,
    );
  }
  return driver;
}

export function checkVolumeDriver(coe: string, driver: string | null | undefined): void {
  if (!driver) return;
  const allowed = VOLUME_DRIVERS[coe] ?? [];
  if (!allowed.includes(driver)) {
    throw invalid(
      `Volume driver type ${driver} is not supported, expecting a ${[...allowed, 'unspecified'].join('/')} volume driver.`,
    );
  }
}

export function checkStorage(storageDriver: string | null | undefined, volumeSize: number | null | undefined): void {
  if (storageDriver === 'devicemapper' && (volumeSize === null || volumeSize === undefined || volumeSize < 3)) {
    throw invalid(
      `docker volume size ${volumeSize ?? 'None'} GB is not valid, expecting minimum value 3GB for devicemapper storage driver.`,
    );
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A single IPv4 address or a comma-separated list of them. */
export function checkDns(dns: string | null | undefined): void {
  if (!dns) return;
  if (!dns.split(',').every((s) => IPV4.test(s.trim()))) {
    throw invalid(`Expected a single dns address or comma separated dns list, but received ${dns}.`);
  }
}

const CIDR4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** A fixed subnet given as a CIDR must be a valid IPv4 network of /8../29; names of existing subnets pass through. */
export function checkFixedSubnet(subnet: string | null | undefined): void {
  if (!subnet || !/^[\d./]+$/.test(subnet)) return;
  const m = CIDR4.exec(subnet);
  const ok = m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) >= 8 && Number(m[5]) <= 29;
  if (!ok) throw invalid(`fixed_subnet ${subnet} is not a valid IPv4 CIDR (a.b.c.d/8 to /29).`);
}
