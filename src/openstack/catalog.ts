/**
 * @module The Keystone v3 service catalog: finding another service's endpoint by service type, region and interface
 * (image, compute, network, volumev3 / block-storage, load-balancer, identity, container-infra).
 */

/** Which of a service's endpoints to use (Keystone's endpoint interfaces). */
export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export type Catalog = readonly CatalogService[];

/** Where to look: a region (any region when null) and an interface. */
export interface EndpointFilter {
  region: string | null;
  interface: EndpointInterface;
}

/** No endpoint of that type in the catalog for the region and interface. */
export class EndpointNotFound extends Error {
  readonly serviceType: string;
  constructor(serviceType: string, f: EndpointFilter) {
    // keystoneauth's wording, which Magnum's errors repeat.
    super(`${f.interface}URL endpoint for ${serviceType} service${f.region ? ` in ${f.region} region` : ''} not found`);
    this.name = 'EndpointNotFound';
    this.serviceType = serviceType;
  }
}

/**
 * Types that name the same service: a lookup of one also finds the others (the block-storage service is registered
 * as volumev3 in most clouds, the identity service always as identity).
 */
const ALIASES: Record<string, readonly string[]> = {
  'block-storage': ['block-storage', 'volumev3', 'volume'],
  volumev3: ['volumev3', 'block-storage', 'volume'],
  volume: ['volume', 'volumev3', 'block-storage'],
  'container-infra': ['container-infra', 'container-infrastructure-management'],
};

/** The URL of the first endpoint of `serviceType` matching the filter, without a trailing slash; null when none. */
export function findEndpoint(catalog: Catalog, serviceType: string, f: EndpointFilter): string | null {
  for (const type of ALIASES[serviceType] ?? [serviceType]) {
    for (const svc of catalog) {
      if (svc.type !== type) continue;
      for (const ep of svc.endpoints ?? []) {
        if (ep.interface !== f.interface) continue;
        if (f.region !== null && (ep.region_id ?? ep.region) !== f.region) continue;
        return ep.url.replace(/\/+$/, '');
      }
    }
  }
  return null;
}

/** Like {@link findEndpoint}, but throws {@link EndpointNotFound} when there is none. */
export function endpointFor(catalog: Catalog, serviceType: string, f: EndpointFilter): string {
  const url = findEndpoint(catalog, serviceType, f);
  if (url === null) throw new EndpointNotFound(serviceType, f);
  return url;
}

/** Fills `%(project_id)s` / `%(tenant_id)s` in an endpoint URL (Cinder's, Heat's). */
export const withProject = (url: string, projectId: string): string =>
  url.replace(/%\((project_id|tenant_id)\)s/g, projectId);
