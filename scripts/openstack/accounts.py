#!/usr/bin/python3
"""Creates, idempotently, the Keystone accounts Magnetar and its tests use (run by scripts/ensure-system.sh keystone).

Reads the passwords from the environment (the accounts file ensure-system.sh writes). One process, one admin
token: every object is looked up first and created only when missing; role assignments are PUTs (idempotent).

  projects  service, magnetar-a, magnetar-b (domain Default)
  roles     admin, member, reader (keystone-manage bootstrap), service
  users     magnetar   admin + service on project service (validates tokens, keystonemiddleware-style)
            glance     admin on project service (Glance's keystonemiddleware)          [when GLANCE_PASSWORD is set]
            a-admin / a-member / a-reader   admin / member / reader on magnetar-a
            b-member   member on magnetar-b
            system-reader   reader on the system (system scope "all")
  catalog   image service `glance` with public/internal/admin endpoints at GLANCE_URL in REGION [when GLANCE_URL set]
"""
import os
import sys

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client

env = os.environ
auth = v3.Password(auth_url=env['OS_AUTH_URL'], username='admin', password=env['ADMIN_PASSWORD'],
                   project_name='admin', user_domain_id='default', project_domain_id='default')
ks = ks_client.Client(session=ks_session.Session(auth=auth, timeout=60), interface='public')


def one(items, what):
    return items[0] if items else None


def project(name):
    return one(ks.projects.list(name=name, domain='default'), name) or \
        ks.projects.create(name=name, domain='default', description='Magnetar (ensure-system.sh keystone)')


def role(name):
    return one(ks.roles.list(name=name), name) or ks.roles.create(name=name)


def user(name, password):
    u = one(ks.users.list(name=name, domain='default'), name)
    if u is None:
        return ks.users.create(name=name, domain='default', password=password, enabled=True)
    # An existing user is left as it is (setting its password again would revoke every token it holds), unless the
    # accounts file was made anew (RESET_PASSWORDS=1): then its passwords are the truth.
    if env.get('RESET_PASSWORDS') == '1':
        ks.users.update(u, password=password, enabled=True)
    return u


roles = {n: role(n) for n in ('admin', 'member', 'reader', 'service')}
service = project('service')
a, b = project('magnetar-a'), project('magnetar-b')

magnetar = user('magnetar', env['SERVICE_PASSWORD'])
ks.roles.grant(roles['admin'], user=magnetar, project=service)
ks.roles.grant(roles['service'], user=magnetar, project=service)

demo = env['DEMO_PASSWORD']
for name, r, p in (('a-admin', 'admin', a), ('a-member', 'member', a), ('a-reader', 'reader', a),
                   ('b-member', 'member', b)):
    ks.roles.grant(roles[r], user=user(name, demo), project=p)
ks.roles.grant(roles['reader'], user=user('system-reader', demo), system='all')

if env.get('GLANCE_PASSWORD'):
    ks.roles.grant(roles['admin'], user=user('glance', env['GLANCE_PASSWORD']), project=service)
if env.get('GLANCE_URL'):
    region = env.get('REGION', 'RegionOne')
    svc = one(ks.services.list(type='image'), 'image') or \
        ks.services.create(name='glance', type='image', description='OpenStack Image')
    have = {e.interface: e for e in ks.endpoints.list(service=svc, region=region)}
    for interface in ('public', 'internal', 'admin'):
        e = have.get(interface)
        if e is None:
            ks.endpoints.create(service=svc, url=env['GLANCE_URL'], interface=interface, region=region)
        elif e.url != env['GLANCE_URL']:
            ks.endpoints.update(e, url=env['GLANCE_URL'])
print('keystone accounts ready', file=sys.stderr)
