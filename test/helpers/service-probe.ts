/**
 * @module Test helper: the one web workload and probe loop of the Kubernetes suites. {@link deployWeb} runs a
 * Deployment of busybox httpd replicas (each answers its pod name) behind a PodDisruptionBudget and a Service of type
 * LoadBalancer, waits for the address the conductor's lb-sync publishes in `status.loadBalancer.ingress` (the
 * EXTERNAL-IP) and until every replica answers through it from the host. {@link probeUrl} then GETs
 * `http://EXTERNAL-IP:port/` from the host on a fresh connection every `everyMs`, as a client arriving from outside
 * would, counting answered and failed requests with the time and error of each failure, while nodes are stopped,
 * replaced or re-certified. {@link startProbe} is the same loop around any request (the HA suite's API probe).
 */
import http from 'node:http';
import type { KubeApi } from '../../src/drivers/kubernetes/kube-api.ts';
import { BUSYBOX } from './kube.ts';
import { eventually } from './lifecycle.ts';

/** One failed request. */
export interface ProbeFailure {
  /** When it was sent (ISO time) and how many seconds after the probe started. */
  at: string;
  second: number;
  error: string;
}

export interface ProbeResult {
  requests: number;
  answered: number;
  failed: number;
  /** The first 50 failures. */
  failures: ProbeFailure[];
  /** Answers per answer body (the pod name, for the web workload). */
  byAnswer: Record<string, number>;
  /** How long the probe ran, in seconds. */
  seconds: number;
}

export interface Probe {
  /** The counts so far. */
  readonly result: ProbeResult;
  /** Ends the loop (after the request in flight) and returns the counts. */
  stop(): Promise<ProbeResult>;
}

/** `probe: 1076 answered, 0 failed in 105 s` and, when any failed, when and why. */
export function probeSummary(r: ProbeResult): string {
  const head = `probe: ${r.answered} answered, ${r.failed} failed in ${r.seconds.toFixed(0)} s`;
  if (r.failed === 0) return head;
  return `${head}:\n${r.failures.map((f) => `  ${f.at} (+${f.second.toFixed(3)} s) ${f.error}`).join('\n')}`;
}

/**
 * Runs `once` every `everyMs` until `stop()`: it resolves with the answer (counted by value) or rejects (a failure,
 * with its message and the time it was sent).
 */
export function startProbe(once: () => Promise<string>, opts: { everyMs?: number } = {}): Probe {
  const everyMs = opts.everyMs ?? 100;
  const t0 = Date.now();
  const result: ProbeResult = { requests: 0, answered: 0, failed: 0, failures: [], byAnswer: {}, seconds: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const sent = Date.now();
      result.requests += 1;
      try {
        const answer = await once();
        result.answered += 1;
        result.byAnswer[answer] = (result.byAnswer[answer] ?? 0) + 1;
      } catch (e) {
        result.failed += 1;
        if (result.failures.length < 50)
          result.failures.push({
            at: new Date(sent).toISOString(),
            second: (sent - t0) / 1000,
            error: (e as Error).message,
          });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - sent))));
    }
  })();
  return {
    result,
    stop: async () => {
      running = false;
      await loop;
      result.seconds = (Date.now() - t0) / 1000;
      return result;
    },
  };
}

/**
 * One GET of `url` on a new connection (no keep-alive: each request is a new client, so a connection to a node that
 * went away is never reused). Resolves with the trimmed body of a 200 with a non-empty body; rejects otherwise.
 */
export function getOnce(url: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').trim();
        if (res.statusCode === 200 && body !== '') resolve(body);
        else reject(new Error(`HTTP ${res.statusCode} ${body.slice(0, 80)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** {@link startProbe} of GETs to `url` ({@link getOnce}; timeout 2 s, every 100 ms by default). */
export function probeUrl(url: string, opts: { everyMs?: number; timeoutMs?: number } = {}): Probe {
  return startProbe(() => getOnce(url, opts.timeoutMs), opts);
}

/** The web workload as {@link deployWeb} left it. */
export interface WebService {
  name: string;
  /** The Service's EXTERNAL-IP (from `status.loadBalancer.ingress`) and port. */
  externalIp: string;
  port: number;
  /** `http://EXTERNAL-IP:port/`. */
  url: string;
  /** The replicas' pod names, each of which answered through the URL. */
  pods: string[];
  /** Seconds from the Service's creation until its EXTERNAL-IP was published, then until every replica answered. */
  addressSeconds: number;
  servingSeconds: number;
}

type PodList = { items: { metadata: { name: string }; status?: { phase?: string } }[] };

/** The Service's published address ('' while none). */
export async function externalIpOf(kube: KubeApi, namespace: string, name: string): Promise<string> {
  const s = await kube.get<{ status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>(
    `/api/v1/namespaces/${namespace}/services/${name}`,
  );
  return s.status?.loadBalancer?.ingress?.[0]?.ip ?? '';
}

/**
 * Deploys `name` in `default`: a Deployment of `replicas` (3) busybox httpd pods answering their pod name on 8080
 * (ready when they serve; a `preStopSeconds` (5) sleep keeps a terminating pod serving while its endpoint's removal
 * reaches every kube-proxy), spread over the nodes where it can be (a soft topology spread, or one per node with
 * `onePerNode`), a PodDisruptionBudget of `minAvailable` (replicas - 1) and a Service of type LoadBalancer on `port`
 * (80). Waits for the replicas, the EXTERNAL-IP and an answer from every replica through it.
 */
export async function deployWeb(
  kube: KubeApi,
  opts: {
    name?: string;
    replicas?: number;
    minAvailable?: number;
    port?: number;
    onePerNode?: boolean;
    nodeSelector?: Record<string, string>;
    preStopSeconds?: number;
  } = {},
): Promise<WebService> {
  const name = opts.name ?? 'web';
  const replicas = opts.replicas ?? 3;
  const port = opts.port ?? 80;
  const preStop = opts.preStopSeconds ?? 5;
  const labels = { app: name };
  const placement = opts.onePerNode
    ? {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      }
    : {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: labels },
          },
        ],
      };
  await kube.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...placement,
          ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
          terminationGracePeriodSeconds: preStop + 3,
          containers: [
            {
              name: 'httpd',
              image: BUSYBOX,
              imagePullPolicy: 'Never',
              command: [
                '/bin/sh',
                '-c',
                'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www',
              ],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
              ...(preStop > 0 ? { lifecycle: { preStop: { exec: { command: ['sleep', String(preStop)] } } } } : {}),
            },
          ],
        },
      },
    },
  });
  await kube.apply({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default' },
    spec: { minAvailable: opts.minAvailable ?? Math.max(1, replicas - 1), selector: { matchLabels: labels } },
  } as never);
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: labels, ports: [{ port, targetPort: 8080 }] },
  });
  const t0 = Date.now();
  const externalIp = await eventually(
    `EXTERNAL-IP of the Service ${name}`,
    async () => (await externalIpOf(kube, 'default', name)) || undefined,
    120_000,
    200,
  );
  const addressSeconds = (Date.now() - t0) / 1000;
  const pods = await eventually(
    `${replicas} ${name} replicas ready`,
    async () => {
      const d = await kube.get<{ status?: { readyReplicas?: number } }>(
        `/apis/apps/v1/namespaces/default/deployments/${name}`,
      );
      if ((d.status?.readyReplicas ?? 0) < replicas) return undefined;
      const list = await kube.get<PodList>(`/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`);
      const running = list.items.filter((p) => p.status?.phase === 'Running').map((p) => p.metadata.name);
      return running.length === replicas ? running.sort() : undefined;
    },
    180_000,
    500,
  );
  const url = `http://${externalIp}:${port}/`;
  // Counted from here only once every replica has answered through the load balancer (its members' health checks
  // and every kube-proxy's rules for the new Service are in place).
  const seen = new Set<string>();
  await eventually(
    `every ${name} replica answers through ${url}`,
    async () => {
      for (let i = 0; i < 3 * replicas; i++) seen.add(await getOnce(url).catch(() => ''));
      return pods.every((p) => seen.has(p)) ? true : undefined;
    },
    120_000,
    300,
  );
  return { name, externalIp, port, url, pods, addressSeconds, servingSeconds: (Date.now() - t0) / 1000 };
}
