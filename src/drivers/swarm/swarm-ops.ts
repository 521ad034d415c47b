/**
 * @module Swarm-mode steps on node engines: find a manager, form and join, wait Ready, node labels, drain (waiting for
 * the tasks to move), and removing stale node entries. Each step reads the swarm's state first.
 */
import type { Engine } from '../../docker-api/engine.ts';
import type { SwarmNode } from '../../docker-api/engine-types.ts';
import type { Machine } from '../../providers/contract.ts';
import { DriverError } from '../contract.ts';
import type { NodeEngines } from '../local-common/provisioning.ts';

/** Inner swarms keep their overlays off the node subnets (the notes' pitfall 2). */
export const INNER_ADDR_POOL = '10.128.0.0/16';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A manager node whose engine controls the swarm. */
export interface Manager {
  machine: Machine;
  engine: Engine;
  swarmId: string;
}

/** The first running master (by index) whose engine is an active manager of a swarm; undefined if none answers. */
export async function findManager(machines: Iterable<Machine>, engines: NodeEngines): Promise<Manager | undefined> {
  const masters = [...machines]
    .filter((x) => x.role === 'master' && x.state === 'running')
    .sort((a, b) => a.index - b.index);
  for (const machine of masters) {
    const engine = engines.of(machine);
    try {
      const info = await engine.info();
      if (info.Swarm.LocalNodeState === 'active' && info.Swarm.ControlAvailable && info.Swarm.Cluster?.ID) {
        return { machine, engine, swarmId: info.Swarm.Cluster.ID };
      }
    } catch {
      // not answering: try the next master
    }
  }
  return undefined;
}

/** What a manager says about the swarm: its nodes by hostname (a Ready entry wins) and running tasks per hostname. */
export interface SwarmView {
  nodes: SwarmNode[];
  byHostname: Map<string, SwarmNode>;
  tasksByHostname: Map<string, number>;
}

/** Reads nodes and running tasks from a manager. */
export async function swarmView(manager: Engine): Promise<SwarmView> {
  const [nodes, tasks] = await Promise.all([manager.listNodes(), manager.listTasks({ 'desired-state': ['running'] })]);
  const byHostname = nodesByHostname(nodes);
  const hostOf = new Map(nodes.map((n) => [n.ID, n.Description.Hostname]));
  const tasksByHostname = new Map<string, number>();
  for (const t of tasks) {
    const h = t.NodeID ? hostOf.get(t.NodeID) : undefined;
    if (h && t.Status.State === 'running') tasksByHostname.set(h, (tasksByHostname.get(h) ?? 0) + 1);
  }
  return { nodes, byHostname, tasksByHostname };
}

/** Node entries by hostname; when several share a hostname (a node made again), the Ready one wins. */
export function nodesByHostname(nodes: readonly SwarmNode[]): Map<string, SwarmNode> {
  const out = new Map<string, SwarmNode>();
  for (const n of nodes) {
    const h = n.Description.Hostname;
    const prev = out.get(h);
    if (!prev || (prev.Status.State !== 'ready' && n.Status.State === 'ready')) out.set(h, n);
  }
  return out;
}

/** Removes node entries; a manager entry is demoted first (a member of the raft cannot be removed). */
export async function removeNodeEntry(manager: Engine, node: SwarmNode): Promise<void> {
  if (node.Spec.Role === 'manager') {
    const fresh = await manager.inspectNode(node.ID);
    if (fresh && fresh.Spec.Role === 'manager')
      await manager.updateNode(node.ID, fresh.Version.Index, { ...fresh.Spec, Role: 'worker' });
  }
  await manager.removeNode(node.ID, true);
}

/** Sets a node's availability (`active`, `drain`); a no-op when it already has it. True when it changed it. */
export async function setAvailability(
  manager: Engine,
  nodeId: string,
  availability: 'active' | 'drain',
): Promise<boolean> {
  const node = await manager.inspectNode(nodeId);
  if (!node || node.Spec.Availability === availability) return false;
  await manager.updateNode(nodeId, node.Version.Index, { ...node.Spec, Availability: availability });
  return true;
}

/** How a drain ended. */
export interface DrainResult {
  /** Tasks that were running on the node. */
  tasks: number;
  /** False when the tasks had not all moved within the time limit. */
  moved: boolean;
}

/**
 * Drains a node and waits (bounded by `timeoutMs`) until no task runs on it any more and every replicated service it
 * ran has as many running tasks elsewhere as it had in all before.
 */
export async function drainNode(
  manager: Engine,
  nodeId: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<DrainResult> {
  const [services, before] = await Promise.all([
    manager.listServices(),
    manager.listTasks({ 'desired-state': ['running'] }),
  ]);
  const replicated = new Set(services.filter((s) => !s.Spec.Mode?.Global).map((s) => s.ID));
  const runningBefore = new Map<string, number>();
  const affected = new Set<string>();
  let onNode = 0;
  for (const t of before) {
    if (t.Status.State !== 'running') continue;
    runningBefore.set(t.ServiceID, (runningBefore.get(t.ServiceID) ?? 0) + 1);
    if (t.NodeID === nodeId) {
      onNode++;
      if (replicated.has(t.ServiceID)) affected.add(t.ServiceID);
    }
  }
  await setAvailability(manager, nodeId, 'drain');
  if (onNode === 0) return { tasks: 0, moved: true };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const tasks = await manager.listTasks({});
    const stillOnNode = tasks.some((t) => t.NodeID === nodeId && t.Status.State === 'running');
    const elsewhere = new Map<string, number>();
    for (const t of tasks) {
      if (t.NodeID !== nodeId && t.DesiredState === 'running' && t.Status.State === 'running') {
        elsewhere.set(t.ServiceID, (elsewhere.get(t.ServiceID) ?? 0) + 1);
      }
    }
    const whole = [...affected].every((s) => (elsewhere.get(s) ?? 0) >= (runningBefore.get(s) ?? 0));
    if (!stillOnNode && whole) return { tasks: onNode, moved: true };
    await sleep(250);
  }
  return { tasks: onNode, moved: false };
}

/** Polls a manager's node list until every wanted hostname has a Ready entry. */
export async function waitReady(
  manager: Engine,
  hostnames: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing: readonly string[] = hostnames;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const nodes = await manager.listNodes();
    const ready = new Set(nodes.filter((n) => n.Status.State === 'ready').map((n) => n.Description.Hostname));
    missing = hostnames.filter((h) => !ready.has(h));
    if (missing.length === 0) return;
    await sleep(100);
  }
  throw new DriverError('ready', `nodes not Ready after ${timeoutMs / 1000}s: ${missing.join(', ')}`, {
    retryable: true,
  });
}

/** Merges `wanted` into a node's labels; a no-op when they are already there. Returns true when it changed them. */
export async function ensureNodeLabels(
  manager: Engine,
  node: SwarmNode,
  wanted: Record<string, string>,
): Promise<boolean> {
  const have = node.Spec.Labels ?? {};
  if (Object.entries(wanted).every(([k, v]) => have[k] === v)) return false;
  const fresh = (await manager.inspectNode(node.ID)) ?? node;
  await manager.updateNode(node.ID, fresh.Version.Index, {
    ...fresh.Spec,
    Labels: { ...(fresh.Spec.Labels ?? {}), ...wanted },
  });
  return true;
}
