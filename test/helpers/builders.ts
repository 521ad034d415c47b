/** @module Test-data builders: a complete record with plain defaults, overridden per test. */
import { randomUUID } from 'node:crypto';
import type { ClusterTemplate } from '../../src/core/types.ts';

/** A swarm template record for the local provider (`magnetar/node:bookworm`, debian, container); `over` wins. */
export function templateRecord(over: Partial<Omit<ClusterTemplate, 'id'>> = {}): Omit<ClusterTemplate, 'id'> {
  return {
    uuid: randomUUID(),
    name: `t-${randomUUID().slice(0, 8)}`,
    project_id: 'p-1',
    user_id: 'u-1',
    coe: 'swarm',
    image_id: 'magnetar/node:bookworm',
    flavor_id: null,
    master_flavor_id: null,
    keypair_id: null,
    dns_nameserver: null,
    external_network_id: null,
    fixed_network: null,
    fixed_subnet: null,
    network_driver: 'docker',
    volume_driver: null,
    apiserver_port: null,
    docker_volume_size: null,
    docker_storage_driver: null,
    cluster_distro: 'debian',
    http_proxy: null,
    https_proxy: null,
    no_proxy: null,
    registry_enabled: false,
    insecure_registry: null,
    labels: {},
    tls_disabled: false,
    public: false,
    hidden: false,
    server_type: 'container',
    master_lb_enabled: false,
    floating_ip_enabled: false,
    tags: null,
    created_at: new Date().toISOString(),
    updated_at: null,
    ...over,
  };
}
