/**
 * @module Token validation: GET /v3/auth/tokens with the service's own token (X-Auth-Token) and the token to check
 * (X-Subject-Token), as keystonemiddleware does it. Revoke: DELETE /v3/auth/tokens.
 */
import { OpenStackError, osRequest } from './http.ts';
import { trimSlash, type KeystoneSession } from './session.ts';
import { parseToken, type TokenInfo } from './token.ts';

export interface ValidateOptions {
  timeoutMs: number;
  /** Accept a token that has expired (keystonemiddleware: only with a valid service token). */
  allowExpired?: boolean;
  /** Include the catalog in the answer. @default false */
  catalog?: boolean;
  signal?: AbortSignal;
}

/**
 * What Keystone says of `subjectToken`: its data, or null when Keystone does not know it (404: malformed, expired,
 * revoked, or its user, project or grants are gone). Throws {@link OpenStackError} when Keystone cannot answer; a 401
 * or 403 means the service's own token is refused (the session's token is invalidated once and the call retried).
 */
export async function validateToken(
  session: KeystoneSession,
  subjectToken: string,
  o: ValidateOptions,
): Promise<TokenInfo | null> {
  const query = [o.catalog ? '' : 'nocatalog', o.allowExpired ? 'allow_expired=true' : ''].filter(Boolean).join('&');
  const url = `${trimSlash(session.authUrl)}/auth/tokens${query ? `?${query}` : ''}`;
  for (let attempt = 0; ; attempt++) {
    const own = await session.token(o.signal);
    try {
      const res = await osRequest({
        service: 'keystone',
        method: 'GET',
        url,
        headers: { 'x-auth-token': own, 'x-subject-token': subjectToken },
        timeoutMs: o.timeoutMs,
        expect: [200, 404],
        signal: o.signal,
      });
      return res.status === 404 ? null : parseToken(res.body);
    } catch (e) {
      if (e instanceof OpenStackError && (e.status === 401 || e.status === 403) && attempt === 0) {
        session.invalidate(own);
        continue;
      }
      throw e;
    }
  }
}

/** DELETE /v3/auth/tokens: revokes `subjectToken` (a user may revoke their own token). */
export async function revokeToken(
  authUrl: string,
  authToken: string,
  subjectToken: string,
  o: { timeoutMs: number },
): Promise<void> {
  await osRequest({
    service: 'keystone',
    method: 'DELETE',
    url: `${trimSlash(authUrl)}/auth/tokens`,
    headers: { 'x-auth-token': authToken, 'x-subject-token': subjectToken },
    timeoutMs: o.timeoutMs,
    expect: [204],
  });
}
