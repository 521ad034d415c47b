/** @module Kubeconfig files for the node daemons: one identity each, certificates embedded. Pure. */
import { stringify } from 'yaml';
import type { KeyPairPem } from '../../certs/x509.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A kubeconfig for `user` (certificate client auth) against `server`, trusting `caPem`. */
export function kubeconfig(opts: { server: string; caPem: string; user: string; identity: KeyPairPem }): string {
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'kubernetes', cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) } },
      ],
      users: [
        {
          name: opts.user,
          user: {
            'client-certificate-data': b64(opts.identity.certPem),
            'client-key-data': b64(opts.identity.keyPem),
          },
        },
      ],
      contexts: [{ name: 'default', context: { cluster: 'kubernetes', user: opts.user } }],
      'current-context': 'default',
    },
    { lineWidth: 0 },
  );
}
