/**
 * @module Neutron (networking v2.0) as the OpenStack provider uses it: networks, subnets, routers (gateway and
 * interfaces), ports, security groups and rules, floating IPs; everything tagged with its owner and listed by tag.
 * Tags given to a create are set by PUT /tags right after it (Zed's Neutron takes none in the create body).
 */
import { query, ServiceClient, type ServiceClientOptions, type TokenSource } from './service-client.ts';

interface Tagged {
  id: string;
  name: string;
  tags: string[];
  project_id: string;
  [k: string]: unknown;
}
export interface Network extends Tagged {
  status: string;
  subnets: string[];
  'router:external'?: boolean;
  shared?: boolean;
}
export interface Subnet extends Tagged {
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
}
export interface Router extends Tagged {
  status: string;
  external_gateway_info: { network_id: string } | null;
}
export interface Port extends Tagged {
  network_id: string;
  device_id: string;
  device_owner: string;
  status: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}
export interface SecurityGroup extends Tagged {
  security_group_rules: SecurityGroupRule[];
}
export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}
export interface FloatingIp {
  id: string;
  tags: string[];
  project_id: string;
  floating_ip_address: string;
  floating_network_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  status: string;
}

/** Filters of the list calls: `tags` (all of), `tagsAny`, and any attribute (name, network_id, device_id, …). */
export type NeutronFilter = { tags?: string[]; tagsAny?: string[] } & Record<
  string,
  string | number | boolean | string[] | undefined
>;

/** The kinds of resource that carry tags, with their collection path. */
export type TaggedKind = 'networks' | 'subnets' | 'routers' | 'ports' | 'security-groups' | 'floatingips';

const filterQuery = (f: NeutronFilter): string => {
  const { tags, tagsAny, ...rest } = f;
  return query({ ...rest, tags: tags?.join(','), 'tags-any': tagsAny?.join(',') });
};

export class Neutron {
  readonly c: ServiceClient;
  constructor(session: TokenSource, o: Partial<ServiceClientOptions> = {}) {
    this.c = new ServiceClient(session, { service: 'neutron', serviceType: 'network', versionPath: '/v2.0', ...o });
  }

  /** POST, then PUT /tags when tags are given (Zed's Neutron takes no tags in a create body). */
  async #create<T extends { id: string; tags?: string[] }>(
    kind: TaggedKind | 'security-group-rules',
    key: string,
    body: Record<string, unknown>,
  ): Promise<T> {
    const { tags, ...rest } = body as { tags?: string[] };
    const made = (await this.c.post<Record<string, T>>(`/${kind}`, { [key]: rest }, { retryConflict: false }))[
      key
    ] as T;
    if (tags && tags.length > 0 && kind !== 'security-group-rules') {
      await this.setTags(kind, made.id, tags);
      made.tags = [...tags];
    }
    return made;
  }
  async #get<T>(path: string, key: string): Promise<T | null> {
    const res = await this.c.request('GET', path, { expect: [200, 404] });
    return res.status === 404 ? null : ((res.body as Record<string, T>)[key] as T);
  }

  /** Replaces the tags of a resource (PUT /<kind>/<id>/tags). */
  async setTags(kind: TaggedKind, id: string, tags: string[]): Promise<void> {
    await this.c.put(`/${kind}/${enc(id)}/tags`, { tags });
  }

  // networks, subnets -----------------------------------------------------------------------------------------------
  createNetwork(n: Record<string, unknown> & { name: string; tags?: string[] }): Promise<Network> {
    return this.#create('networks', 'network', n);
  }
  listNetworks(f: NeutronFilter = {}): Promise<Network[]> {
    return this.c.list<Network>(`/networks${filterQuery(f)}`, 'networks', { pageSize: 200 });
  }
  getNetwork(id: string): Promise<Network | null> {
    return this.#get(`/networks/${enc(id)}`, 'network');
  }
  deleteNetwork(id: string): Promise<boolean> {
    return this.c.delete(`/networks/${enc(id)}`);
  }

  createSubnet(
    s: Record<string, unknown> & { network_id: string; cidr: string; ip_version: 4 | 6; tags?: string[] },
  ): Promise<Subnet> {
    return this.#create('subnets', 'subnet', s);
  }
  listSubnets(f: NeutronFilter = {}): Promise<Subnet[]> {
    return this.c.list<Subnet>(`/subnets${filterQuery(f)}`, 'subnets', { pageSize: 200 });
  }
  getSubnet(id: string): Promise<Subnet | null> {
    return this.#get(`/subnets/${enc(id)}`, 'subnet');
  }
  deleteSubnet(id: string): Promise<boolean> {
    return this.c.delete(`/subnets/${enc(id)}`);
  }

  // routers ---------------------------------------------------------------------------------------------------------
  createRouter(
    r: Record<string, unknown> & { name: string; external_gateway_info?: { network_id: string }; tags?: string[] },
  ): Promise<Router> {
    return this.#create('routers', 'router', r);
  }
  listRouters(f: NeutronFilter = {}): Promise<Router[]> {
    return this.c.list<Router>(`/routers${filterQuery(f)}`, 'routers', { pageSize: 200 });
  }
  getRouter(id: string): Promise<Router | null> {
    return this.#get(`/routers/${enc(id)}`, 'router');
  }
  async addRouterInterface(routerId: string, subnetId: string): Promise<{ port_id: string }> {
    return this.c.put(`/routers/${enc(routerId)}/add_router_interface`, { subnet_id: subnetId });
  }
  /** Removes the subnet's interface; false when it was not there (404). */
  async removeRouterInterface(routerId: string, subnetId: string): Promise<boolean> {
    const res = await this.c.request('PUT', `/routers/${enc(routerId)}/remove_router_interface`, {
      body: { subnet_id: subnetId },
      expect: [200, 404],
    });
    return res.status === 200;
  }
  deleteRouter(id: string): Promise<boolean> {
    return this.c.delete(`/routers/${enc(id)}`);
  }

  // ports -----------------------------------------------------------------------------------------------------------
  createPort(p: Record<string, unknown> & { network_id: string; tags?: string[] }): Promise<Port> {
    return this.#create('ports', 'port', p);
  }
  listPorts(f: NeutronFilter = {}): Promise<Port[]> {
    return this.c.list<Port>(`/ports${filterQuery(f)}`, 'ports', { pageSize: 500 });
  }
  getPort(id: string): Promise<Port | null> {
    return this.#get(`/ports/${enc(id)}`, 'port');
  }
  deletePort(id: string): Promise<boolean> {
    return this.c.delete(`/ports/${enc(id)}`);
  }

  // security groups -------------------------------------------------------------------------------------------------
  createSecurityGroup(g: { name: string; description?: string; tags?: string[] }): Promise<SecurityGroup> {
    return this.#create('security-groups', 'security_group', g);
  }
  listSecurityGroups(f: NeutronFilter = {}): Promise<SecurityGroup[]> {
    return this.c.list<SecurityGroup>(`/security-groups${filterQuery(f)}`, 'security_groups', { pageSize: 200 });
  }
  deleteSecurityGroup(id: string): Promise<boolean> {
    return this.c.delete(`/security-groups/${enc(id)}`);
  }
  createSecurityGroupRule(
    r: Partial<Omit<SecurityGroupRule, 'id'>> & { security_group_id: string; direction: 'ingress' | 'egress' },
  ): Promise<SecurityGroupRule> {
    return this.#create('security-group-rules', 'security_group_rule', { ethertype: 'IPv4', ...r });
  }
  deleteSecurityGroupRule(id: string): Promise<boolean> {
    return this.c.delete(`/security-group-rules/${enc(id)}`);
  }

  // floating IPs ----------------------------------------------------------------------------------------------------
  createFloatingIp(f: {
    floating_network_id: string;
    port_id?: string;
    description?: string;
    tags?: string[];
  }): Promise<FloatingIp> {
    return this.#create('floatingips', 'floatingip', f);
  }
  listFloatingIps(f: NeutronFilter = {}): Promise<FloatingIp[]> {
    return this.c.list<FloatingIp>(`/floatingips${filterQuery(f)}`, 'floatingips', { pageSize: 200 });
  }
  /** Associates the floating IP with a port (null: dissociates). */
  async updateFloatingIp(id: string, portId: string | null): Promise<FloatingIp> {
    const body = await this.c.put<{ floatingip: FloatingIp }>(`/floatingips/${enc(id)}`, {
      floatingip: { port_id: portId },
    });
    return body.floatingip;
  }
  deleteFloatingIp(id: string): Promise<boolean> {
    return this.c.delete(`/floatingips/${enc(id)}`);
  }
}

const enc = encodeURIComponent;
