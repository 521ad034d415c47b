/**
 * @module Nova (compute v2.1) as the OpenStack provider uses it: servers with tags, metadata and user-data, flavors,
 * keypairs, server groups and volume attachments. Microversion 2.79 by default (tags on create, server-group
 * policy/rules, volume attachment delete_on_termination).
 */
import { query, ServiceClient, type ServiceClientOptions, type TokenSource } from './service-client.ts';

export const NOVA_MICROVERSION = '2.79';

export interface Server {
  id: string;
  name: string;
  status: string;
  tags?: string[];
  metadata: Record<string, string>;
  addresses: Record<string, { addr: string; version: number; 'OS-EXT-IPS:type'?: string }[]>;
  flavor: { original_name?: string; id?: string };
  image: { id: string } | '';
  fault?: { code: number; message: string };
  'OS-EXT-STS:task_state'?: string | null;
  [k: string]: unknown;
}

export interface ServerCreate {
  name: string;
  imageRef: string;
  flavorRef: string;
  /** Port or network ids; `none`/`auto` as strings. */
  networks: { uuid?: string; port?: string; fixed_ip?: string }[] | 'none' | 'auto';
  key_name?: string;
  /** Plain text; sent base64-encoded. */
  userData?: string;
  metadata?: Record<string, string>;
  tags?: string[];
  security_groups?: { name: string }[];
  availability_zone?: string;
  /** Server group id (scheduler hint `group`). */
  group?: string;
  config_drive?: boolean;
  block_device_mapping_v2?: Record<string, unknown>[];
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'os-flavor-access:is_public'?: boolean;
}

export interface Keypair {
  name: string;
  public_key: string;
  fingerprint: string;
  type?: string;
}

export interface ServerGroup {
  id: string;
  name: string;
  policy: string;
  members: string[];
  rules?: Record<string, unknown>;
}

export interface VolumeAttachment {
  id: string;
  serverId: string;
  volumeId: string;
  device: string | null;
}

export class Nova {
  readonly c: ServiceClient;
  constructor(session: TokenSource, o: Partial<ServiceClientOptions> = {}) {
    this.c = new ServiceClient(session, {
      service: 'nova',
      serviceType: 'compute',
      microversion: {
        header: 'compute',
        legacyHeader: 'x-openstack-nova-api-version',
        value: NOVA_MICROVERSION,
      },
      ...o,
    });
  }

  // servers ---------------------------------------------------------------------------------------------------------
  async createServer(s: ServerCreate): Promise<{ id: string }> {
    const server: Record<string, unknown> = {
      name: s.name,
      imageRef: s.imageRef,
      flavorRef: s.flavorRef,
      networks: s.networks,
    };
    if (s.key_name) server.key_name = s.key_name;
    if (s.userData !== undefined) server.user_data = Buffer.from(s.userData, 'utf8').toString('base64');
    if (s.metadata) server.metadata = s.metadata;
    if (s.tags) server.tags = s.tags;
    if (s.security_groups) server.security_groups = s.security_groups;
    if (s.availability_zone) server.availability_zone = s.availability_zone;
    if (s.config_drive !== undefined) server.config_drive = s.config_drive;
    if (s.block_device_mapping_v2) server.block_device_mapping_v2 = s.block_device_mapping_v2;
    const body: Record<string, unknown> = { server };
    if (s.group) body['os:scheduler_hints'] = { group: s.group };
    // A create is not repeated after a 409 (quota, name): it is not a transition that passes.
    const res = await this.c.post<{ server: { id: string } }>('/servers', body, { retryConflict: false });
    return { id: res.server.id };
  }

  /** Servers with details; `tags` (all of) and `tagsAny`, `name` (a regex in Nova), `allTenants` for admins. */
  listServers(f: { tags?: string[]; tagsAny?: string[]; name?: string; allTenants?: boolean } = {}): Promise<Server[]> {
    const q = query({
      tags: f.tags?.join(','),
      'tags-any': f.tagsAny?.join(','),
      name: f.name,
      all_tenants: f.allTenants ? 1 : undefined,
    });
    return this.c.list<Server>(`/servers/detail${q}`, 'servers', { pageSize: 100 });
  }

  /** The server, or null when Nova says 404. */
  async getServer(id: string): Promise<Server | null> {
    const res = await this.c.request('GET', `/servers/${enc(id)}`, { expect: [200, 404] });
    return res.status === 404 ? null : (res.body as { server: Server }).server;
  }

  /** The user-data as Nova stored it (admin, microversion ≥ 2.3 shows it), decoded; null when none. */
  async userDataOf(id: string): Promise<string | null> {
    const s = await this.getServer(id);
    const ud = s?.['OS-EXT-SRV-ATTR:user_data'];
    return typeof ud === 'string' ? Buffer.from(ud, 'base64').toString('utf8') : null;
  }

  deleteServer(id: string): Promise<boolean> {
    return this.c.delete(`/servers/${enc(id)}`);
  }

  async setMetadata(id: string, metadata: Record<string, string>): Promise<void> {
    await this.c.post(`/servers/${enc(id)}/metadata`, { metadata });
  }

  async addTag(id: string, tag: string): Promise<void> {
    await this.c.request('PUT', `/servers/${enc(id)}/tags/${enc(tag)}`, { expect: [201, 204] });
  }

  // flavors ---------------------------------------------------------------------------------------------------------
  listFlavors(): Promise<Flavor[]> {
    return this.c.list<Flavor>('/flavors/detail?is_public=None', 'flavors', { pageSize: 200 });
  }

  async getFlavor(id: string): Promise<Flavor | null> {
    const res = await this.c.request('GET', `/flavors/${enc(id)}`, { expect: [200, 404] });
    return res.status === 404 ? null : (res.body as { flavor: Flavor }).flavor;
  }

  // keypairs --------------------------------------------------------------------------------------------------------
  async listKeypairs(): Promise<Keypair[]> {
    const items = await this.c.list<{ keypair: Keypair }>('/os-keypairs', 'keypairs', { pageSize: 200 });
    return items.map((k) => k.keypair);
  }

  async getKeypair(name: string): Promise<Keypair | null> {
    const res = await this.c.request('GET', `/os-keypairs/${enc(name)}`, { expect: [200, 404] });
    return res.status === 404 ? null : (res.body as { keypair: Keypair }).keypair;
  }

  async createKeypair(name: string, publicKey: string): Promise<Keypair> {
    const body = { keypair: { name, public_key: publicKey, type: 'ssh' } };
    return (await this.c.post<{ keypair: Keypair }>('/os-keypairs', body, { retryConflict: false })).keypair;
  }

  deleteKeypair(name: string): Promise<boolean> {
    return this.c.delete(`/os-keypairs/${enc(name)}`);
  }

  // server groups ---------------------------------------------------------------------------------------------------
  listServerGroups(): Promise<ServerGroup[]> {
    return this.c.list<ServerGroup>('/os-server-groups', 'server_groups', { pageSize: 200 });
  }

  async createServerGroup(name: string, policy: string): Promise<ServerGroup> {
    const body = { server_group: { name, policy } };
    return (await this.c.post<{ server_group: ServerGroup }>('/os-server-groups', body, { retryConflict: false }))
      .server_group;
  }

  deleteServerGroup(id: string): Promise<boolean> {
    return this.c.delete(`/os-server-groups/${enc(id)}`);
  }

  // volume attachments ----------------------------------------------------------------------------------------------
  async attachVolume(serverId: string, volumeId: string, device?: string): Promise<VolumeAttachment> {
    const volumeAttachment: Record<string, unknown> = { volumeId };
    if (device) volumeAttachment.device = device;
    const res = await this.c.post<{ volumeAttachment: VolumeAttachment }>(
      `/servers/${enc(serverId)}/os-volume_attachments`,
      { volumeAttachment },
    );
    return res.volumeAttachment;
  }

  async listVolumeAttachments(serverId: string): Promise<VolumeAttachment[]> {
    return this.c.list<VolumeAttachment>(`/servers/${enc(serverId)}/os-volume_attachments`, 'volumeAttachments');
  }

  detachVolume(serverId: string, volumeId: string): Promise<boolean> {
    return this.c.delete(`/servers/${enc(serverId)}/os-volume_attachments/${enc(volumeId)}`);
  }
}

const enc = encodeURIComponent;
