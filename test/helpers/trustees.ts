/**
 * @module Test helper: the trustee side of the real Keystone of scripts/ensure-system.sh — a trustee domain with its
 * domain admin (as Magnum's install guide makes `magnum` and `magnum_domain_admin`), a second member of project
 * magnetar-a, Glance images, and looking at what Keystone holds for a cluster. Made idempotently with the admin token.
 */
import { createHmac } from 'node:crypto';
import { OpenStackError, osRequest } from '../../src/openstack/http.ts';
import { authenticate, type AuthToken } from '../../src/openstack/session.ts';
import { keystoneCall, tokenOf, type Accounts } from './keystone.ts';

export const TRUSTEE_DOMAIN = 'magnetar-trustees';
export const TRUSTEE_ADMIN = 'magnetar-trustee-admin';
/** A second member of magnetar-a (the first is a-member), with the demo password. */
export const SECOND_MEMBER = 'a-member-2';

type Obj = Record<string, unknown>;
const first = (body: Obj, key: string): Obj | undefined => (body[key] as Obj[] | undefined)?.[0];

/**
 * The trustee domain admin's password: derived from the cloud admin's, so every test file (they run side by side)
 * sets and expects the same one. Resetting it per file would revoke the tokens of a service another file is running.
 */
const trusteeAdminPassword = (a: Accounts): string =>
  createHmac('sha256', a.adminPassword).update(TRUSTEE_ADMIN).digest('base64url').slice(0, 24);

/** Whether `user` of domain `domainId` authenticates with `password` now (401: no). */
async function authenticates(a: Accounts, user: string, domainId: string, password: string): Promise<boolean> {
  try {
    await authenticate(
      a.authUrl,
      { kind: 'password', username: user, userDomainId: domainId, password },
      { timeoutMs: 30_000 },
    );
    return true;
  } catch (e) {
    if (e instanceof OpenStackError && e.status === 401) return false;
    throw e;
  }
}

/**
 * The trustee domain, its admin (its password set only when it is not already {@link trusteeAdminPassword}) and the
 * second member of magnetar-a.
 */
export async function ensureTrustees(a: Accounts): Promise<{ admin: AuthToken; adminPassword: string }> {
  const admin = await tokenOf(a, 'admin');
  const call = (m: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Obj> =>
    keystoneCall(a, admin.token, m, path, body);
  const put = (path: string): Promise<unknown> =>
    osRequest({
      service: 'keystone',
      method: 'PUT',
      url: `${a.authUrl}${path}`,
      headers: { 'x-auth-token': admin.token },
      timeoutMs: 30_000,
    });
  const domain =
    first(await call('GET', `/domains?name=${TRUSTEE_DOMAIN}`), 'domains') ??
    ((await call('POST', '/domains', { domain: { name: TRUSTEE_DOMAIN, description: 'Magnetar cluster trustees' } }))
      .domain as Obj);
  const adminPassword = trusteeAdminPassword(a);
  const found = first(await call('GET', `/users?name=${TRUSTEE_ADMIN}&domain_id=${String(domain.id)}`), 'users');
  let user: Obj;
  if (!found)
    user = (
      await call('POST', '/users', { user: { name: TRUSTEE_ADMIN, domain_id: domain.id, password: adminPassword } })
    ).user as Obj;
  else if (await authenticates(a, TRUSTEE_ADMIN, String(domain.id), adminPassword)) user = found;
  else {
    user = (await call('PATCH', `/users/${String(found.id)}`, { user: { password: adminPassword } })).user as Obj;
    // Keystone revokes the user's tokens issued in the second of the change: the next token must be from a later one.
    await new Promise((r) => setTimeout(r, 1100));
  }
  const roleId = (name: string): Promise<string> =>
    call('GET', `/roles?name=${name}`).then((b) => String(first(b, 'roles')?.id));
  await put(`/domains/${String(domain.id)}/users/${String(user.id)}/roles/${await roleId('admin')}`);

  const defaultMembers = first(await call('GET', `/users?name=${SECOND_MEMBER}&domain_id=default`), 'users');
  const member =
    defaultMembers ??
    ((await call('POST', '/users', { user: { name: SECOND_MEMBER, domain_id: 'default', password: a.demoPassword } }))
      .user as Obj);
  const projectA = first(await call('GET', '/projects?name=magnetar-a&domain_id=default'), 'projects');
  await put(`/projects/${String(projectA?.id)}/users/${String(member.id)}/roles/${await roleId('member')}`);
  return { admin, adminPassword };
}

/** Environment of a Magnetar process with trusts in the trustee domain. */
export function trustEnv(adminPassword: string): Record<string, string> {
  return {
    MAGNETAR_TRUSTEE_DOMAIN_NAME: TRUSTEE_DOMAIN,
    MAGNETAR_TRUSTEE_DOMAIN_ADMIN_NAME: TRUSTEE_ADMIN,
    MAGNETAR_TRUSTEE_DOMAIN_ADMIN_PASSWORD: adminPassword,
  };
}

/** Users of the trustee domain whose name starts with `prefix` (a cluster's trustee is `<uuid>_<project>`). */
export async function trusteesNamed(a: Accounts, admin: AuthToken, prefix: string): Promise<Obj[]> {
  const domain = first(await keystoneCall(a, admin.token, 'GET', `/domains?name=${TRUSTEE_DOMAIN}`), 'domains');
  const users = (await keystoneCall(a, admin.token, 'GET', `/users?domain_id=${String(domain?.id)}`)).users as Obj[];
  return users.filter((u) => String(u.name).startsWith(prefix));
}

/** Trusts whose trustor is `userId` (as the admin sees them). */
export async function trustsOf(a: Accounts, admin: AuthToken, userId: string): Promise<Obj[]> {
  return (await keystoneCall(a, admin.token, 'GET', `/OS-TRUST/trusts?trustor_user_id=${userId}`)).trusts as Obj[];
}

/** Glance (catalog of the admin token). */
export function glanceUrl(admin: AuthToken): string {
  const svc = (admin.info.catalog ?? []).find((s) => s.type === 'image');
  const ep = svc?.endpoints.find((e) => e.interface === 'public');
  if (!ep) throw new Error('no image service in the catalog: scripts/ensure-system.sh glance');
  return ep.url.replace(/\/+$/, '');
}

/** Registers a public Glance image record (no data: only its properties are read) and returns its id. */
export async function createGlanceImage(admin: AuthToken, name: string, properties: Obj): Promise<string> {
  const r = await osRequest({
    service: 'glance',
    method: 'POST',
    url: `${glanceUrl(admin)}/v2/images`,
    headers: { 'x-auth-token': admin.token },
    body: { name, visibility: 'public', disk_format: 'raw', container_format: 'bare', ...properties },
    timeoutMs: 30_000,
    expect: [201],
  });
  return String((r.body as Obj).id);
}

export async function deleteGlanceImage(admin: AuthToken, id: string): Promise<void> {
  await osRequest({
    service: 'glance',
    method: 'DELETE',
    url: `${glanceUrl(admin)}/v2/images/${id}`,
    headers: { 'x-auth-token': admin.token },
    timeoutMs: 30_000,
    expect: [204, 404],
  });
}
