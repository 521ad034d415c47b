/**
 * @module Cinder (block storage v3) as the OpenStack provider uses it: volumes with metadata (Cinder volumes have no
 * tags: the owning cluster is a metadata key), listed by metadata, created and deleted. Microversion 3.60.
 */
import { query, ServiceClient, type ServiceClientOptions, type TokenSource } from './service-client.ts';

export const CINDER_MICROVERSION = '3.60';

export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  volume_type: string | null;
  metadata: Record<string, string>;
  attachments: { server_id: string; attachment_id: string; device?: string }[];
  [k: string]: unknown;
}

export interface VolumeCreate {
  name: string;
  size: number;
  volume_type?: string;
  availability_zone?: string;
  metadata?: Record<string, string>;
  imageRef?: string;
}

export class Cinder {
  readonly c: ServiceClient;
  constructor(session: TokenSource, o: Partial<ServiceClientOptions> = {}) {
    this.c = new ServiceClient(session, {
      service: 'cinder',
      serviceType: 'volumev3',
      microversion: { header: 'volume', value: CINDER_MICROVERSION },
      ...o,
    });
  }

  async createVolume(v: VolumeCreate): Promise<Volume> {
    return (await this.c.post<{ volume: Volume }>('/volumes', { volume: v }, { retryConflict: false })).volume;
  }

  /** Volumes with details; `metadata` matches every given key and value. */
  listVolumes(f: { metadata?: Record<string, string>; name?: string; allTenants?: boolean } = {}): Promise<Volume[]> {
    const q = query({
      metadata: f.metadata ? JSON.stringify(f.metadata) : undefined,
      name: f.name,
      all_tenants: f.allTenants ? 1 : undefined,
    });
    return this.c.list<Volume>(`/volumes/detail${q}`, 'volumes', { pageSize: 100 });
  }

  async getVolume(id: string): Promise<Volume | null> {
    const res = await this.c.request('GET', `/volumes/${encodeURIComponent(id)}`, { expect: [200, 404] });
    return res.status === 404 ? null : (res.body as { volume: Volume }).volume;
  }

  /** Deletes the volume (`cascade` its snapshots); a 400 while it is still detaching is retried as a conflict. */
  deleteVolume(id: string, cascade = true): Promise<boolean> {
    return this.c.delete(`/volumes/${encodeURIComponent(id)}${cascade ? '?cascade=true' : ''}`);
  }
}
