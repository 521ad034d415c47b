/**
 * @module Test helper for the Kubernetes suites: the version and node image under test (skipping, saying why, when
 * the image is not built), JSON POSTs to a `magnetar serve`, a kubeconfig file's identity and API client, and
 * `magnetar kubectl` with a kubeconfig.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { KubeApi } from '../../src/drivers/kubernetes/kube-api.ts';
import type { Engine } from '../../src/providers/docker/engine.ts';
import { BIN } from './service-process.ts';

/** The Kubernetes version under test (`MAGNETAR_TEST_KUBE_TAG`, default the default version). */
export const KUBE_TAG = process.env.MAGNETAR_TEST_KUBE_TAG ?? 'v1.37.2';
export const NODE_IMAGE = `magnetar/k8s-node:${KUBE_TAG}`;
/** busybox-static FROM scratch, preloaded on every node (imagePullPolicy Never). */
export const BUSYBOX = 'magnetar.local/busybox:1';

/** `false` when the node image is built; otherwise the reason the suite is skipped. */
export async function kubeImageSkip(host: Engine): Promise<false | string> {
  const built = (await host.inspectImage(NODE_IMAGE)) !== null;
  return built ? false : `the Kubernetes node image ${NODE_IMAGE} is not built (magnetar image build --coe kubernetes)`;
}

/** POSTs JSON at the latest microversion and asserts a 2xx; returns the body. */
export async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The server, CA, client certificate and key of a kubeconfig file with embedded certificates (first cluster/user). */
export async function kubeconfigIdentity(
  path: string,
): Promise<{ server: URL; caPem: string; certPem: string; keyPem: string }> {
  type Kubeconfig = {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const kc = parse(await readFile(path, 'utf8')) as Kubeconfig;
  const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');
  return {
    server: new URL(kc.clusters[0]?.cluster.server ?? ''),
    caPem: b64(kc.clusters[0]?.cluster['certificate-authority-data']),
    certPem: b64(kc.users[0]?.user['client-certificate-data']),
    keyPem: b64(kc.users[0]?.user['client-key-data']),
  };
}

/** The API client of a kubeconfig with embedded certificates (its first cluster and user). */
export async function kubeFrom(path: string): Promise<KubeApi> {
  const { server, caPem, certPem, keyPem } = await kubeconfigIdentity(path);
  return new KubeApi({ host: server.hostname, port: Number(server.port), caPem, certPem, keyPem });
}

/** `magnetar kubectl …` against the service at `url` with `kubeconfig`; never rejects (the exit code is returned). */
export async function magnetarKubectl(
  url: string,
  kubeconfig: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, MAGNETAR_URL: url, KUBECONFIG: kubeconfig };
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, ['kubectl', ...args], { env, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
