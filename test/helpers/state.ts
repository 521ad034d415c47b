/** @module Test helper: state written through the real API (a template, a cluster with its sealed CA), and ca-sign. */
import assert from 'node:assert/strict';
import { generateKeyAndCsr } from '../../src/certs/x509.ts';

const JSON_V110 = { 'content-type': 'application/json', 'openstack-api-version': 'container-infra 1.10' };

/** Creates a public template and a cluster (with a conductor off, nothing is built); returns the cluster's uuid. */
export async function createSealedState(url: string, name = 'sealed'): Promise<string> {
  const t = await fetch(`${url}/v1/clustertemplates`, {
    method: 'POST',
    headers: JSON_V110,
    body: JSON.stringify({
      name: `${name}-t`,
      coe: 'swarm-mode',
      image_id: 'magnetar/node:bookworm',
      server_type: 'container',
      public: true,
    }),
  });
  assert.equal(t.status, 201, await t.clone().text());
  const c = await fetch(`${url}/v1/clusters`, {
    method: 'POST',
    headers: JSON_V110,
    body: JSON.stringify({ name, cluster_template_id: `${name}-t`, node_count: 1 }),
  });
  assert.equal(c.status, 202, await c.clone().text());
  return ((await c.json()) as { uuid: string }).uuid;
}

/** ca-sign: proves the service opens the cluster's sealed CA key; resolves with the HTTP status and body. */
export async function caSign(url: string, cluster: string): Promise<{ status: number; body: string }> {
  const { csrPem } = await generateKeyAndCsr({ commonName: 'probe' });
  const r = await fetch(`${url}/v1/certificates`, {
    method: 'POST',
    headers: JSON_V110,
    body: JSON.stringify({ cluster_uuid: cluster, csr: csrPem }),
  });
  return { status: r.status, body: await r.text() };
}
