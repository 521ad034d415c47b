/** @module bench/upgrade-figures: pure figures of bench/upgrade.ts (unit-tested). */
import type { EventView } from './create-shared.ts';

/** Per node: milliseconds from "cordon and drain" to "replaced", from the event timeline. */
export function nodeReplacements(events: readonly EventView[]): { node: string; ms: number }[] {
  const start = new Map<string, number>();
  const out: { node: string; ms: number }[] = [];
  for (const e of events) {
    if (e.phase !== 'upgrade') continue;
    const begin = /^node (\S+) \(\w+\): .* cordon and drain$/.exec(e.message)?.[1];
    if (begin && !start.has(begin)) start.set(begin, Date.parse(e.time));
    const end = /^node (\S+) replaced: /.exec(e.message)?.[1];
    if (end && start.has(end)) out.push({ node: end, ms: Date.parse(e.time) - (start.get(end) as number) });
  }
  return out;
}
