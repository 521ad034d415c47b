/**
 * @module The nodes a cluster should have, derived from the desired node counts AND the nodes that exist. Pure.
 * Numbering is stable: a node keeps its index (name, hostname, address) for its whole life; removing node-1 leaves
 * node-0 and node-2, and a new node takes the lowest free index. Masters are numbered apart from workers; workers are
 * numbered across all worker node groups.
 */

/** A node group as the plan needs it. */
export interface GroupWant {
  name: string;
  role: string;
  nodeCount: number;
  imageId: string;
}

/** A node that exists (its machine), as the plan needs it. */
export interface ObservedMachine {
  name: string;
  hostname: string;
  role: string;
  nodegroup: string;
  index: number;
  image: string;
  /** Provider state: `running`, `exited`, `created`, … */
  state: string;
}

/** One wanted node. */
export interface PlannedNode {
  name: string;
  hostname: string;
  role: 'master' | 'worker';
  nodegroup: string;
  index: number;
  /** Host number inside the /24 (masters from .10, workers from .20, load balancers from .200). */
  host: number;
  /** Image the node must run. */
  image: string;
}

/** Why a node goes. */
export type RemovalReason = 'scale-in' | 'nodegroup-removed';

/** What to do to get from the observed nodes to the desired counts. */
export interface NodePlan<T extends ObservedMachine = ObservedMachine> {
  /** Every node the cluster keeps or gets: masters first, then workers, by index. */
  nodes: PlannedNode[];
  /** Wanted nodes that have no machine yet. */
  create: PlannedNode[];
  /** Machines to remove, in the order to remove them. */
  remove: { machine: T; reason: RemovalReason }[];
  /** Kept nodes whose machine runs another image than wanted: workers first, then masters, by index. */
  replace: PlannedNode[];
}

/** Inputs of {@link planNodes}. */
export interface PlanInput<T extends ObservedMachine = ObservedMachine> {
  uuid: string;
  /** Cluster name (hostnames derive from it). */
  name: string;
  groups: readonly GroupWant[];
  observed: readonly T[];
  /** Machine names to remove first when a group shrinks (from `nodes_to_remove`), in the order given. */
  removeFirst?: readonly string[];
  /** Running tasks per machine name; machines with fewer go first (empty ones first). */
  tasks?: ReadonlyMap<string, number>;
}

export const FIRST_MASTER_HOST = 10;
export const FIRST_WORKER_HOST = 20;
/**
 * Load-balancer VIPs on the cluster's /24 (the local provider's layout): .200 is the masters' load balancer
 * (`api_address` of a multi-master cluster), .201–.254 are given to Services of type LoadBalancer.
 */
export const API_LB_HOST = 200;
export const FIRST_SERVICE_LB_HOST = 201;
export const LAST_LB_HOST = 254;
export const MAX_MASTERS = FIRST_WORKER_HOST - FIRST_MASTER_HOST;
export const MAX_WORKERS = API_LB_HOST - FIRST_WORKER_HOST;

type Kind = 'master' | 'worker';
const kindOf = (role: string): Kind => (role === 'master' ? 'master' : 'worker');

/** A DNS-safe prefix from the cluster name. */
export function hostPrefix(name: string): string {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (safe || 'node').slice(0, 40).replace(/-+$/, '');
}

/** The node of `kind` with `index`: its container name, hostname and address. */
export function nodeIdentity(
  uuid: string,
  clusterName: string,
  kind: Kind,
  index: number,
): { name: string; hostname: string; host: number } {
  const word = kind === 'master' ? 'master' : 'node';
  return {
    name: `magnetar-${uuid}-${word}-${index}`,
    hostname: `${hostPrefix(clusterName)}-${word}-${index}`,
    host: (kind === 'master' ? FIRST_MASTER_HOST : FIRST_WORKER_HOST) + index,
  };
}

/**
 * Plans the nodes. Throws a RangeError when the layout cannot hold the counts (at most {@link MAX_MASTERS} masters and
 * {@link MAX_WORKERS} workers on a cluster's /24). Scale-in order inside a shrinking group: the machines named in
 * `removeFirst`, then machines that are not running, then the fewest running tasks, then the highest index.
 */
export function planNodes<T extends ObservedMachine>(input: PlanInput<T>): NodePlan<T> {
  const { uuid, name, groups, observed } = input;
  const removeFirst = input.removeFirst ?? [];
  const tasks = input.tasks ?? new Map<string, number>();
  const wantMasters = groups.filter((g) => kindOf(g.role) === 'master').reduce((n, g) => n + g.nodeCount, 0);
  const wantWorkers = groups.filter((g) => kindOf(g.role) === 'worker').reduce((n, g) => n + g.nodeCount, 0);
  if (wantMasters > MAX_MASTERS)
    throw new RangeError(`at most ${MAX_MASTERS} masters fit the local provider's layout (asked for ${wantMasters})`);
  if (wantWorkers > MAX_WORKERS)
    throw new RangeError(`at most ${MAX_WORKERS} workers fit a cluster's /24 network (asked for ${wantWorkers})`);

  const byGroup = new Map(groups.map((g) => [g.name, g]));
  const used: Record<Kind, Set<number>> = { master: new Set(), worker: new Set() };
  for (const m of observed) used[kindOf(m.role)].add(m.index);

  const remove: NodePlan<T>['remove'] = [];
  const kept: { machine: T; group: GroupWant }[] = [];
  // Machines of groups that are gone (or whose role no longer matches their group) are removed.
  const inGroup = new Map<string, T[]>();
  for (const m of observed) {
    const g = byGroup.get(m.nodegroup);
    if (!g || kindOf(g.role) !== kindOf(m.role)) {
      remove.push({ machine: m, reason: 'nodegroup-removed' });
      continue;
    }
    let list = inGroup.get(g.name);
    if (!list) inGroup.set(g.name, (list = []));
    list.push(m);
  }

  const create: PlannedNode[] = [];
  const planned = (g: GroupWant, index: number): PlannedNode => {
    const kind = kindOf(g.role);
    return { ...nodeIdentity(uuid, name, kind, index), role: kind, nodegroup: g.name, index, image: g.imageId };
  };
  const limit: Record<Kind, number> = { master: MAX_MASTERS, worker: MAX_WORKERS };
  for (const g of groups) {
    const have = inGroup.get(g.name) ?? [];
    const order = [...have].sort((a, b) => removalRank(a, b, removeFirst, tasks));
    const surplus = Math.max(0, have.length - g.nodeCount);
    for (const m of order.slice(0, surplus)) remove.push({ machine: m, reason: 'scale-in' });
    for (const m of order.slice(surplus)) kept.push({ machine: m, group: g });
    const kind = kindOf(g.role);
    for (let i = have.length; i < g.nodeCount; i++) {
      let index = 0;
      while (used[kind].has(index)) index++;
      if (index >= limit[kind])
        throw new RangeError(`no free ${kind} address left on the cluster network (index ${index})`);
      used[kind].add(index);
      create.push(planned(g, index));
    }
  }

  const keptNodes = kept.map(({ machine, group }) => ({ node: planned(group, machine.index), machine }));
  const order = (a: PlannedNode, b: PlannedNode): number =>
    a.role === b.role ? a.index - b.index : a.role === 'master' ? -1 : 1;
  const nodes = [...keptNodes.map((k) => k.node), ...create].sort(order);
  const replace = keptNodes
    .filter((k) => k.machine.image !== k.node.image)
    .map((k) => k.node)
    .sort((a, b) => (a.role === b.role ? a.index - b.index : a.role === 'worker' ? -1 : 1));
  return { nodes, create, remove, replace };
}

/** Scale-in order: named first (in the order named), then not running, then fewest tasks, then highest index. */
function removalRank(
  a: ObservedMachine,
  b: ObservedMachine,
  removeFirst: readonly string[],
  tasks: ReadonlyMap<string, number>,
): number {
  const pos = (m: ObservedMachine): number => {
    const i = removeFirst.indexOf(m.name);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return (
    pos(a) - pos(b) ||
    Number(a.state === 'running') - Number(b.state === 'running') ||
    (tasks.get(a.name) ?? 0) - (tasks.get(b.name) ?? 0) ||
    b.index - a.index
  );
}

/**
 * Resolves `nodes_to_remove` entries to machine names: an entry matches a node's hostname, its container name, its
 * container id (or a prefix of at least 12 characters), or its swarm node id (or such a prefix). Returns the matched
 * names in the order given and the entries that matched nothing.
 */
export function resolveNodesToRemove(
  wanted: readonly string[],
  machines: readonly (ObservedMachine & { id?: string })[],
  swarmIds: ReadonlyMap<string, string> = new Map(),
): { names: string[]; unmatched: string[] } {
  const names: string[] = [];
  const unmatched: string[] = [];
  const idMatch = (id: string | undefined, w: string): boolean =>
    !!id && (id === w || (w.length >= 12 && id.startsWith(w)));
  for (const w of wanted) {
    const m = machines.find(
      (x) => x.hostname === w || x.name === w || idMatch(x.id, w) || idMatch(swarmIds.get(x.hostname), w),
    );
    if (!m) unmatched.push(w);
    else if (!names.includes(m.name)) names.push(m.name);
  }
  return { names, unmatched };
}
