#!/usr/bin/python3
"""Keystone accounts and catalog entries of the test cloud's services, and the cloud's shared resources, idempotently
(run by scripts/openstack/cloud.sh). One process, one admin token; every object is looked up first.

  python3 cloud.py keystone placement nova neutron cinder octavia
      users placement / nova / neutron / cinder / octavia with admin on project service (nova and cinder also
      `service`, for service tokens), their catalog entries (public/internal/admin in REGION, URLs from the
      environment: PLACEMENT_URL, COMPUTE_URL, NETWORK_URL, VOLUME_URL, LB_URL), roles load-balancer_member/_admin
  python3 cloud.py flavors      m1.tiny, m1.small, m1.medium, m1.large; Nova quotas of magnetar-a / -b / admin raised
  python3 cloud.py volume-quotas  Cinder quotas of the same projects raised
  python3 cloud.py public       external network `public` (flat, physnet external, shared) + `public-subnet`
                                172.24.4.0/24, no DHCP, pool .10-.250; Neutron quotas raised
  python3 cloud.py image        public Glance image `magnetar-test-raw` (1 MiB raw, os_distro debian)
  python3 cloud.py octavia-mgmt for Octavia's amphora driver: image `amphora-fake` (tag amphora), private flavor
                                `amphora`, network `lb-mgmt-net` 192.168.250.0/24 and group `lb-mgmt-sg` (project
                                service); prints AMP_FLAVOR= AMP_NET= AMP_SG= lines for the configuration
"""
import io
import os
import sys

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client

env = os.environ
REGION = env.get('REGION', 'RegionOne')
auth = v3.Password(auth_url=env['OS_AUTH_URL'], username='admin', password=env['ADMIN_PASSWORD'],
                   project_name='admin', user_domain_id='default', project_domain_id='default')
sess = ks_session.Session(auth=auth, timeout=120)
ks = ks_client.Client(session=sess, interface='public')


def one(items):
    return items[0] if items else None


def role(name):
    return one(ks.roles.list(name=name)) or ks.roles.create(name=name)


def project(name):
    return one(ks.projects.list(name=name, domain='default'))


def user(name, password):
    u = one(ks.users.list(name=name, domain='default'))
    if u is None:
        return ks.users.create(name=name, domain='default', password=password, enabled=True)
    if env.get('RESET_PASSWORDS') == '1':
        ks.users.update(u, password=password, enabled=True)
    return u


def endpoints(stype, name, url, description):
    svc = one(ks.services.list(type=stype)) or ks.services.create(name=name, type=stype, description=description)
    have = {e.interface: e for e in ks.endpoints.list(service=svc, region=REGION)}
    for interface in ('public', 'internal', 'admin'):
        e = have.get(interface)
        if e is None:
            ks.endpoints.create(service=svc, url=url, interface=interface, region=REGION)
        elif e.url != url:
            ks.endpoints.update(e, url=url)


SERVICES = {
    'placement': [('placement', 'placement', 'PLACEMENT_URL', 'Placement API')],
    'nova': [('compute', 'nova', 'COMPUTE_URL', 'OpenStack Compute')],
    'neutron': [('network', 'neutron', 'NETWORK_URL', 'OpenStack Networking')],
    'cinder': [('volumev3', 'cinderv3', 'VOLUME_URL', 'OpenStack Block Storage'),
               ('block-storage', 'cinder', 'VOLUME_URL', 'OpenStack Block Storage')],
    'octavia': [('load-balancer', 'octavia', 'LB_URL', 'OpenStack Load Balancer')],
}


def keystone(names):
    admin, service_role = role('admin'), role('service')
    service = project('service')
    pw = env['CLOUD_PASSWORD']
    for name in names:
        u = user(name, pw)
        ks.roles.grant(admin, user=u, project=service)
        if name in ('nova', 'cinder', 'neutron'):
            ks.roles.grant(service_role, user=u, project=service)
        for stype, sname, var, desc in SERVICES[name]:
            endpoints(stype, sname, env[var], desc)
    if 'octavia' in names:
        lb_admin, lb_member = role('load-balancer_admin'), role('load-balancer_member')
        admin_user = one(ks.users.list(name='admin', domain='default'))
        ks.roles.grant(lb_admin, user=admin_user, project=project('admin'))
        for p in ('magnetar-a', 'magnetar-b'):
            proj = project(p)
            for uname in ('a-admin', 'a-member') if p == 'magnetar-a' else ('b-member',):
                u = one(ks.users.list(name=uname, domain='default'))
                if u is not None and proj is not None:
                    ks.roles.grant(lb_member, user=u, project=proj)


def api(stype, method, path, body=None, ok=(200, 201, 202, 204)):
    r = sess.request(path, method, endpoint_filter={'service_type': stype, 'interface': 'public',
                                                    'region_name': REGION},
                     json=body, raise_exc=False, headers={'OpenStack-API-Version': 'compute 2.55'}
                     if stype == 'compute' else {})
    if r.status_code not in ok:
        raise SystemExit(f'{stype} {method} {path}: {r.status_code} {r.text[:300]}')
    return r.json() if r.content else None


def flavors():
    have = {f['name'] for f in api('compute', 'GET', '/flavors?is_public=None')['flavors']}
    for name, vcpus, ram, disk in (('m1.tiny', 1, 512, 1), ('m1.small', 1, 2048, 20), ('m1.medium', 2, 4096, 40),
                                   ('m1.large', 4, 8192, 80)):
        if name not in have:
            api('compute', 'POST', '/flavors', {'flavor': {'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': disk}})
    for pid in quota_projects():
        api('compute', 'PUT', f'/os-quota-sets/{pid}',
            {'quota_set': {'instances': 200, 'cores': 1000, 'ram': 4096000, 'key_pairs': 1000,
                           'server_groups': 200, 'server_group_members': 200}})


def quota_projects():
    return [project(p).id for p in ('magnetar-a', 'magnetar-b', 'admin')]


def volume_quotas():
    url = sess.get_endpoint(service_type='volumev3', interface='public', region_name=REGION)
    for pid in quota_projects():
        r = sess.put(f'{url.replace("%(project_id)s", pid)}/os-quota-sets/{pid}', raise_exc=False,
                     json={'quota_set': {'volumes': 200, 'gigabytes': 10000, 'snapshots': 200}})
        if r.status_code != 200:
            raise SystemExit(f'cinder PUT os-quota-sets: {r.status_code} {r.text[:300]}')


def public():
    for pid in quota_projects():
        api('network', 'PUT', f'/v2.0/quotas/{pid}',
            {'quota': {'network': 200, 'subnet': 200, 'router': 100, 'port': 2000, 'floatingip': 200,
                       'security_group': 200, 'security_group_rule': 2000}})
    nets = api('network', 'GET', '/v2.0/networks?name=public')['networks']
    net = nets[0] if nets else api('network', 'POST', '/v2.0/networks', {'network': {
        'name': 'public', 'router:external': True, 'shared': True, 'provider:network_type': 'flat',
        'provider:physical_network': 'external'}})['network']
    if not api('network', 'GET', f'/v2.0/subnets?network_id={net["id"]}&name=public-subnet')['subnets']:
        api('network', 'POST', '/v2.0/subnets', {'subnet': {
            'name': 'public-subnet', 'network_id': net['id'], 'ip_version': 4, 'cidr': '172.24.4.0/24',
            'gateway_ip': '172.24.4.1', 'enable_dhcp': False,
            'allocation_pools': [{'start': '172.24.4.10', 'end': '172.24.4.250'}]}})


def image(name, public_=True, tags=(), props=None):
    found = api('image', 'GET', f'/v2/images?name={name}')['images']
    if found and found[0]['status'] == 'active':
        return found[0]
    for stale in found:
        api('image', 'DELETE', f'/v2/images/{stale["id"]}')
    body = {'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public' if public_ else 'private', 'tags': list(tags)}
    body.update(props or {})
    img = api('image', 'POST', '/v2/images', body)
    url = sess.get_endpoint(service_type='image', interface='public', region_name=REGION)
    r = sess.put(f'{url}/v2/images/{img["id"]}/file', data=io.BytesIO(b'\0' * 1048576),
                 headers={'Content-Type': 'application/octet-stream'}, raise_exc=False)
    if r.status_code != 204:
        raise SystemExit(f'glance upload {name}: {r.status_code} {r.text[:300]}')
    return img


def octavia_mgmt():
    service = project('service').id
    image('amphora-fake', public_=False, tags=('amphora',), props={'owner': service})
    fl = [f for f in api('compute', 'GET', '/flavors?is_public=None')['flavors'] if f['name'] == 'amphora']
    flavor = fl[0] if fl else api('compute', 'POST', '/flavors', {'flavor': {
        'name': 'amphora', 'vcpus': 1, 'ram': 1024, 'disk': 2, 'os-flavor-access:is_public': False}})['flavor']
    nets = api('network', 'GET', f'/v2.0/networks?name=lb-mgmt-net&project_id={service}')['networks']
    net = nets[0] if nets else api('network', 'POST', '/v2.0/networks', {'network': {
        'name': 'lb-mgmt-net', 'project_id': service}})['network']
    if not api('network', 'GET', f'/v2.0/subnets?network_id={net["id"]}')['subnets']:
        api('network', 'POST', '/v2.0/subnets', {'subnet': {
            'name': 'lb-mgmt-subnet', 'network_id': net['id'], 'ip_version': 4, 'cidr': '192.168.250.0/24',
            'project_id': service}})
    sgs = api('network', 'GET', f'/v2.0/security-groups?name=lb-mgmt-sg&project_id={service}')['security_groups']
    sg = sgs[0] if sgs else api('network', 'POST', '/v2.0/security-groups', {'security_group': {
        'name': 'lb-mgmt-sg', 'project_id': service}})['security_group']
    print(f'AMP_FLAVOR={flavor["id"]}\nAMP_NET={net["id"]}\nAMP_SG={sg["id"]}\nSERVICE_PROJECT={service}')


args = sys.argv[1:]
if args and args[0] == 'keystone':
    keystone(args[1:])
else:
    for a in args:
        {'flavors': flavors, 'public': public, 'image': lambda: image('magnetar-test-raw', props={'os_distro': 'debian'}),
         'octavia-mgmt': octavia_mgmt, 'volume-quotas': volume_quotas}[a]()
print(f'cloud.py {" ".join(args)}: done', file=sys.stderr)
