/** @module The files injected into a node before it boots (its "cloud-init"): daemon.json and TLS material. */

export interface NodeFilesInput {
  caPem: string;
  certPem: string;
  keyPem: string;
  dns: string[];
  tlsDisabled: boolean;
}

/** Path → content of the node's /etc/docker files. With TLS disabled the engine still listens only on the node's own
 * network and the host's loopback port, but without client authentication. */
export function nodeFiles(i: NodeFilesInput): Record<string, string> {
  const daemon: Record<string, unknown> = {
    hosts: ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2376'],
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
  return {
    'etc/docker/daemon.json': `${JSON.stringify(daemon, null, 2)}\n`,
    'etc/docker/tls/ca.pem': i.caPem,
    'etc/docker/tls/server-cert.pem': i.certPem,
    'etc/docker/tls/server-key.pem': i.keyPem,
  };
}
