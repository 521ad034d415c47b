/**
 * @module Flavors: names (`m1.small`, …) mapped to the CPU and memory a node gets. On the local provider a flavor
 * becomes the node container's `Memory` and `NanoCpus` limits. The table comes from the `flavors` config key; the API
 * refuses a flavor the table does not hold (400), and the conductor resolves it with {@link flavorLimits}.
 */

/** One flavor, as configured. */
export interface Flavor {
  /** Memory in MiB. */
  memoryMb: number;
  /** Virtual CPUs (fractions allowed, e.g. 0.5). */
  vcpus: number;
}

/** Flavor name → size. */
export type FlavorTable = Readonly<Record<string, Flavor>>;

/** Container limits a flavor maps to. */
export interface FlavorLimits {
  memoryBytes: number;
  nanoCpus: number;
}

/** The built-in table, with OpenStack's usual m1.* sizes. */
export const DEFAULT_FLAVORS: FlavorTable = {
  'm1.tiny': { memoryMb: 512, vcpus: 1 },
  'm1.small': { memoryMb: 2048, vcpus: 1 },
  'm1.medium': { memoryMb: 4096, vcpus: 2 },
  'm1.large': { memoryMb: 8192, vcpus: 4 },
  'm1.xlarge': { memoryMb: 16384, vcpus: 8 },
};

/** True when `id` names a flavor of the table (null or empty means "no flavor": no limits, always allowed). */
export function isKnownFlavor(table: FlavorTable, id: string | null | undefined): boolean {
  return !id || Object.hasOwn(table, id);
}

/** The container limits of flavor `id`: null for no flavor, undefined for a name the table does not hold. */
export function flavorLimits(table: FlavorTable, id: string | null | undefined): FlavorLimits | null | undefined {
  if (!id) return null;
  if (!Object.hasOwn(table, id)) return undefined;
  const f = table[id] as Flavor;
  return { memoryBytes: Math.round(f.memoryMb * 1024 * 1024), nanoCpus: Math.round(f.vcpus * 1e9) };
}

/**
 * Parses a flavor table from configuration: a mapping `{name: {memory_mb, vcpus}}` (YAML file), or its JSON text, or
 * the compact form `name=memory_mb:vcpus,…` (environment). Throws an Error naming the bad entry.
 */
export function parseFlavorTable(value: unknown): FlavorTable {
  let obj: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{')) {
      try {
        obj = JSON.parse(text);
      } catch (e) {
        throw new Error(`not valid JSON: ${(e as Error).message}`);
      }
    } else {
      obj = Object.fromEntries(
        text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((entry) => {
            const m = /^([^=\s]+)=(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(entry);
            if (!m) throw new Error(`entry '${entry}' is not name=memory_mb:vcpus`);
            return [m[1], { memory_mb: Number(m[2]), vcpus: Number(m[3]) }];
          }),
      );
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw new Error('must be a mapping of flavor name to {memory_mb, vcpus}');
  const out: Record<string, Flavor> = {};
  for (const [name, spec] of Object.entries(obj as Record<string, unknown>)) {
    const s = spec as { memory_mb?: unknown; memoryMb?: unknown; vcpus?: unknown } | null;
    const memoryMb = Number(s?.memory_mb ?? s?.memoryMb);
    const vcpus = Number(s?.vcpus);
    if (!name || !Number.isFinite(memoryMb) || memoryMb < 6 || !Number.isFinite(vcpus) || vcpus <= 0) {
      throw new Error(`flavor '${name}' needs memory_mb ≥ 6 and vcpus > 0`);
    }
    out[name] = { memoryMb, vcpus };
  }
  return out;
}
