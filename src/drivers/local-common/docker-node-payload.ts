/**
 * @module The cloud-init payload of a node running its own Docker engine (swarm and docker drivers): daemon.json, the
 * engine's TLS files and the supervised `10-dockerd` service, started by `magnetar-supervise start`. Pure; the same
 * payload boots a node container of the local provider and would boot an OpenStack VM made from the same image.
 */
import { renderUserData, serviceFile, SUPERVISE_START, type CloudConfig } from '../../providers/cloud-config.ts';

/** The port the node's engine listens on (TLS unless the cluster disabled it). */
export const ENGINE_PORT = 2376;
/** The name of that port in the machine spec and its endpoints. */
export const ENGINE_PORT_NAME = 'engine';

export interface DockerNodeInput {
  caPem: string;
  certPem: string;
  keyPem: string;
  dns: string[];
  tlsDisabled: boolean;
}

/** The node's /etc/docker/daemon.json. With TLS disabled the engine listens without client authentication. */
export function daemonJson(i: Pick<DockerNodeInput, 'dns' | 'tlsDisabled'>): string {
  const daemon: Record<string, unknown> = {
    hosts: ['unix:///var/run/docker.sock', `tcp://0.0.0.0:${ENGINE_PORT}`],
    'storage-driver': 'overlay2',
    'shutdown-timeout': 5,
    'log-driver': 'json-file',
    'log-opts': { 'max-size': '10m' },
    ...(i.dns.length ? { dns: i.dns } : {}),
    // dockerd stalls 15 s at start when it binds TCP without TLS unless TLS is switched off explicitly.
    ...(i.tlsDisabled
      ? { tls: false }
      : {
          tls: true,
          tlsverify: true,
          tlscacert: '/etc/docker/tls/ca.pem',
          tlscert: '/etc/docker/tls/server-cert.pem',
          tlskey: '/etc/docker/tls/server-key.pem',
        }),
  };
  return `${JSON.stringify(daemon, null, 2)}\n`;
}

/** The payload as a typed cloud-config. */
export function dockerNodeConfig(i: DockerNodeInput): CloudConfig {
  return {
    write_files: [
      { path: '/etc/docker/daemon.json', content: daemonJson(i), permissions: '0644' },
      { path: '/etc/docker/tls/ca.pem', content: i.caPem, permissions: '0644' },
      { path: '/etc/docker/tls/server-cert.pem', content: i.certPem, permissions: '0644' },
      { path: '/etc/docker/tls/server-key.pem', content: i.keyPem, permissions: '0600' },
      serviceFile('10-dockerd', ['/usr/sbin/dockerd']),
    ],
    runcmd: [[...SUPERVISE_START]],
  };
}

/** The payload as user-data (`#cloud-config`). */
export function dockerNodeUserData(i: DockerNodeInput): string {
  return renderUserData(dockerNodeConfig(i));
}
