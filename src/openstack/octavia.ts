/**
 * @module Octavia (load-balancer v2) as the OpenStack provider uses it: load balancers with tags, listeners, pools,
 * members and health monitors. Every change to a load balancer's children answers 409 while it is PENDING_*: those
 * calls are retried as conflicts (bounded, see service-client.ts).
 */
import { query, ServiceClient, type ServiceClientOptions, type TokenSource } from './service-client.ts';

interface LbObject {
  id: string;
  name: string;
  provisioning_status: string;
  operating_status: string;
  tags: string[];
  project_id: string;
  [k: string]: unknown;
}
export interface LoadBalancer extends LbObject {
  vip_address: string;
  vip_port_id: string;
  vip_subnet_id: string;
  listeners: { id: string }[];
  pools: { id: string }[];
}
export interface Listener extends LbObject {
  protocol: string;
  protocol_port: number;
  default_pool_id: string | null;
  loadbalancers: { id: string }[];
}
export interface Pool extends LbObject {
  protocol: string;
  lb_algorithm: string;
  members: { id: string }[];
  healthmonitor_id: string | null;
}
export interface Member extends LbObject {
  address: string;
  protocol_port: number;
  subnet_id?: string | null;
}
export interface HealthMonitor extends LbObject {
  type: string;
  delay: number;
  timeout: number;
  max_retries: number;
  pools: { id: string }[];
}

export type LbFilter = { tags?: string[]; tagsAny?: string[] } & Record<string, string | undefined | string[]>;
const filterQuery = (f: LbFilter): string => {
  const { tags, tagsAny, ...rest } = f;
  return query({ ...rest, tags: tags?.join(','), 'tags-any': tagsAny?.join(',') });
};

export class Octavia {
  readonly c: ServiceClient;
  constructor(session: TokenSource, o: Partial<ServiceClientOptions> = {}) {
    this.c = new ServiceClient(session, {
      service: 'octavia',
      serviceType: 'load-balancer',
      versionPath: '/v2',
      // a load balancer stays PENDING_UPDATE for a few seconds after each change: wait longer than the default
      retry: { attempts: 10, baseDelayMs: 1000, maxDelayMs: 5000 },
      ...o,
    });
  }

  async #create<T>(path: string, key: string, body: Record<string, unknown>): Promise<T> {
    // 409 here is "load balancer is immutable" (PENDING_*): a transition that passes, so it is retried.
    return (await this.c.post<Record<string, T>>(path, { [key]: body }))[key] as T;
  }
  async #get<T>(path: string, key: string): Promise<T | null> {
    const res = await this.c.request('GET', path, { expect: [200, 404] });
    return res.status === 404 ? null : ((res.body as Record<string, T>)[key] as T);
  }

  // load balancers --------------------------------------------------------------------------------------------------
  createLoadBalancer(lb: {
    name: string;
    vip_subnet_id?: string;
    vip_network_id?: string;
    vip_port_id?: string;
    description?: string;
    provider?: string;
    tags?: string[];
  }): Promise<LoadBalancer> {
    return this.#create('/lbaas/loadbalancers', 'loadbalancer', lb);
  }
  listLoadBalancers(f: LbFilter = {}): Promise<LoadBalancer[]> {
    return this.c.list<LoadBalancer>(`/lbaas/loadbalancers${filterQuery(f)}`, 'loadbalancers', { pageSize: 200 });
  }
  getLoadBalancer(id: string): Promise<LoadBalancer | null> {
    return this.#get(`/lbaas/loadbalancers/${enc(id)}`, 'loadbalancer');
  }
  /** Deletes the load balancer and, with `cascade`, its listeners, pools, members and monitors. */
  deleteLoadBalancer(id: string, cascade = true): Promise<boolean> {
    return this.c.delete(`/lbaas/loadbalancers/${enc(id)}${cascade ? '?cascade=true' : ''}`);
  }

  // listeners, pools, members, health monitors ----------------------------------------------------------------------
  createListener(l: {
    loadbalancer_id: string;
    protocol: string;
    protocol_port: number;
    name?: string;
    default_pool_id?: string;
    tags?: string[];
  }): Promise<Listener> {
    return this.#create('/lbaas/listeners', 'listener', l);
  }
  listListeners(f: LbFilter = {}): Promise<Listener[]> {
    return this.c.list<Listener>(`/lbaas/listeners${filterQuery(f)}`, 'listeners', { pageSize: 200 });
  }
  deleteListener(id: string): Promise<boolean> {
    return this.c.delete(`/lbaas/listeners/${enc(id)}`);
  }

  createPool(p: {
    protocol: string;
    lb_algorithm: string;
    listener_id?: string;
    loadbalancer_id?: string;
    name?: string;
    tags?: string[];
  }): Promise<Pool> {
    return this.#create('/lbaas/pools', 'pool', p);
  }
  listPools(f: LbFilter = {}): Promise<Pool[]> {
    return this.c.list<Pool>(`/lbaas/pools${filterQuery(f)}`, 'pools', { pageSize: 200 });
  }
  deletePool(id: string): Promise<boolean> {
    return this.c.delete(`/lbaas/pools/${enc(id)}`);
  }

  createMember(
    poolId: string,
    m: { address: string; protocol_port: number; subnet_id?: string; name?: string; tags?: string[] },
  ): Promise<Member> {
    return this.#create(`/lbaas/pools/${enc(poolId)}/members`, 'member', m);
  }
  listMembers(poolId: string): Promise<Member[]> {
    return this.c.list<Member>(`/lbaas/pools/${enc(poolId)}/members`, 'members', { pageSize: 200 });
  }
  deleteMember(poolId: string, memberId: string): Promise<boolean> {
    return this.c.delete(`/lbaas/pools/${enc(poolId)}/members/${enc(memberId)}`);
  }

  createHealthMonitor(h: {
    pool_id: string;
    type: string;
    delay: number;
    timeout: number;
    max_retries: number;
    url_path?: string;
    tags?: string[];
  }): Promise<HealthMonitor> {
    return this.#create('/lbaas/healthmonitors', 'healthmonitor', h);
  }
  listHealthMonitors(f: LbFilter = {}): Promise<HealthMonitor[]> {
    return this.c.list<HealthMonitor>(`/lbaas/healthmonitors${filterQuery(f)}`, 'healthmonitors', {
      pageSize: 200,
    });
  }
  deleteHealthMonitor(id: string): Promise<boolean> {
    return this.c.delete(`/lbaas/healthmonitors/${enc(id)}`);
  }
}

const enc = encodeURIComponent;
