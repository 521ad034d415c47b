/**
 * @module bench/create-figures: the pure arithmetic and layout of bench/create's report (medians, the ratio line, the
 * per-run table) and a node container's memory as `docker stats` counts it. No I/O.
 */

export const seconds = (ms: number): string => (ms / 1000).toFixed(2);

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

/** The per-run table of floor and Magnetar times (ms in, seconds out), with median and mean rows and the ratio. */
export function timesTable(floor: readonly number[], magnetar: readonly number[], target: number): string[] {
  const out = ['run   floor s   magnetar s'];
  const row = (label: string, f: number, m: number): string =>
    `${label.padEnd(4)}  ${seconds(f).padStart(7)}   ${seconds(m).padStart(10)}`;
  for (let i = 0; i < Math.max(floor.length, magnetar.length); i++)
    out.push(row(String(i + 1).padStart(3), floor[i] ?? Number.NaN, magnetar[i] ?? Number.NaN));
  out.push(row('med', median(floor), median(magnetar)));
  out.push(row('mean', mean(floor), mean(magnetar)));
  out.push('');
  out.push(
    `ratio (median magnetar / median floor): ${(median(magnetar) / median(floor)).toFixed(2)}x (target <= ${target.toFixed(2)}x)`,
  );
  return out;
}

/** The part of the Engine API's container stats (`GET /containers/{id}/stats`) memory is read from. */
export interface MemoryStats {
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/**
 * A container's memory in bytes as `docker stats` shows it: the cgroup's usage less its inactive page cache
 * (`inactive_file` on cgroup v2, `total_inactive_file` on v1). Undefined when the engine reported no usage (a stopped
 * container).
 */
export function containerMemory(s: MemoryStats): number | undefined {
  const usage = s.memory_stats?.usage;
  if (usage === undefined) return undefined;
  const st = s.memory_stats?.stats ?? {};
  const cache = st.inactive_file ?? st.total_inactive_file ?? 0;
  return cache < usage ? usage - cache : usage;
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
