/**
 * @module providers/docker/load-images — puts images of the host's Docker engine into every node of a cluster of the
 * local provider, so that workloads run without a registry: one `GET /images/get?names=…` from the host engine (saved
 * to a temporary file), then per node either `POST /images/load` on the node's own engine over the cluster's mutual
 * TLS (swarm, docker) or `ctr -n k8s.io images import -` run in the node container through the host engine
 * (Kubernetes, containerd). Nodes are found by the `magnetar.cluster=<uuid>` label.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Engine } from '../../docker-api/engine.ts';
import { execWithInput } from '../../docker-api/exec-stdin.ts';
import type { Machine } from '../contract.ts';
import { DockerProvider } from './provider.ts';

/** How images reach a node's runtime: its Docker engine, or containerd's `k8s.io` namespace. */
export type NodeRuntime = 'docker' | 'containerd';

/** Client TLS material for node engines (a certificate signed by the cluster CA); null when TLS is disabled. */
export type NodeEngineTls = { ca: string; cert: string; key: string } | null;

export interface LoadImagesRequest {
  clusterUuid: string;
  runtime: NodeRuntime;
  /** Image references as the host engine knows them (`tiny:1`, `sha256:…`). */
  images: readonly string[];
  /** For `docker`: the client certificate for the node engines. */
  tls?: NodeEngineTls;
  /** One line per node loaded. */
  say?: (line: string) => void;
}

/** What was loaded where. */
export interface LoadImagesResult {
  nodes: string[];
  bytes: number;
}

/** Loads one saved archive into one node; throws with the node's name and the runtime's message. */
async function loadInto(host: Engine, provider: DockerProvider, m: Machine, file: string, req: LoadImagesRequest) {
  if (req.runtime === 'containerd') {
    const cmd = ['ctr', '-n', 'k8s.io', 'images', 'import', '-'];
    const r = await execWithInput(host, m.id, cmd, createReadStream(file));
    if (r.exitCode !== 0) throw new Error(`${m.hostname}: ctr images import failed: ${r.stderr.trim() || r.stdout}`);
    return;
  }
  const ep = provider.endpoint(m, 'engine');
  if (!ep) throw new Error(`${m.hostname}: no engine endpoint`);
  const tls = req.tls ?? null;
  const engine = new Engine(
    { host: ep.host, port: ep.port, ...(tls ? { tls: { ...tls, servername: 'localhost' } } : {}) },
    { timeoutMs: 10 * 60_000 },
  );
  try {
    await engine.loadImage(createReadStream(file));
  } finally {
    engine.close();
  }
}

/** Saves `images` from the host engine once and loads them into every running node of the cluster. */
export async function loadImagesIntoCluster(host: Engine, req: LoadImagesRequest): Promise<LoadImagesResult> {
  if (req.images.length === 0) throw new Error('no image to load');
  for (const image of req.images) {
    if (!(await host.inspectImage(image))) throw new Error(`image ${image} is not in the host's Docker engine`);
  }
  const provider = new DockerProvider(host);
  const all = await provider.listMachines(req.clusterUuid);
  const machines = all.filter((m) => m.state === 'running');
  for (const m of all) if (m.state !== 'running') req.say?.(`${m.hostname}: skipped (${m.status})`);
  if (machines.length === 0) {
    throw new Error(`no running node container labelled magnetar.cluster=${req.clusterUuid}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'magnetar-images-'));
  try {
    const file = join(dir, 'images.tar');
    const saved = await host.requestStream('GET', '/images/get', { query: { names: req.images }, timeoutMs: 60_000 });
    await pipeline(saved, createWriteStream(file, { mode: 0o600 }));
    const bytes = (await stat(file)).size;
    await Promise.all(
      machines.map(async (m) => {
        await loadInto(host, provider, m, file, req);
        req.say?.(`${m.hostname}: loaded ${req.images.join(', ')}`);
      }),
    );
    return { nodes: machines.map((m) => m.hostname), bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
