/**
 * @module The service's own Keystone identity (`keystone.*`: a password or an application credential) as one
 * {@link KeystoneSession} per process: it validates tokens (api/keystone-auth.ts) and finds other services' endpoints
 * in its catalog (`keystone.region_name`, `keystone.interface`) — image, compute, network, volumev3, load-balancer.
 */
import type { KeystoneConfig } from '../config/load.ts';
import { KeystoneSession } from './session.ts';

/** The service's own Keystone session from `keystone.*` (password or application credential). */
export function serviceSession(c: KeystoneConfig): KeystoneSession {
  if (!c.authUrl) throw new Error('keystone.auth_url is not set');
  const credentials =
    c.applicationCredentialId !== null
      ? {
          kind: 'application_credential' as const,
          id: c.applicationCredentialId,
          secret: c.applicationCredentialSecret ?? '',
        }
      : {
          kind: 'password' as const,
          username: c.username ?? '',
          userDomainName: c.userDomainName,
          password: c.password ?? '',
          scope: { project: { name: c.projectName, domainName: c.projectDomainName } },
        };
  return new KeystoneSession({
    authUrl: c.authUrl,
    credentials,
    timeoutMs: c.timeoutMs,
    endpoints: { region: c.regionName, interface: c.interface },
  });
}
