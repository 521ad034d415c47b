/**
 * @module bench/upgrade: time of a rolling upgrade v1.36.3 → v1.37.2 of a 1 master + 2 worker Kubernetes cluster
 * through a real in-process Magnetar (`POST …/actions/upgrade`, max_batch_size 1, until UPDATE_COMPLETE), beside the
 * stated reference: the create of the same 1 + 2 cluster in the same run (every node made once, all in parallel; an
 * upgrade makes each node again one after the other, with a drain before and a Ready wait at the new version after,
 * so about three node boots in a row, plus the 30 s the driver lets every node's watches of the new apiserver come
 * back before the first worker is drained, is what it should cost). Also each node's replacement from the timeline
 * (cordon → Ready at the new version) and the rest (planning, observation, waits between nodes). Prints figures only.
 * Run: `node_modules/.bin/node bench/upgrade.ts [--runs N]` (default 1). Needs both node images built.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { kubeImageBuildCommand, kubeNodeImage } from '../src/core/kube-versions.ts';
import { Engine } from '../src/docker-api/engine.ts';
import { startService } from '../src/service.ts';
import { median, seconds } from './create-figures.ts';
import { nodeReplacements } from './upgrade-figures.ts';
import { apiOk, CLUSTER_TIMEOUT_MS, magnetarCreate, magnetarDelete, sleep, type EventView } from './create-shared.ts';

const FROM = 'v1.36.3';
const TO = 'v1.37.2';
const SOCKET = '/var/run/docker.sock';
const UPGRADE_TIMEOUT_MS = 4 * CLUSTER_TIMEOUT_MS;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer (got ${values.runs})`);
  const host = new Engine({ socketPath: SOCKET });
  for (const tag of [FROM, TO])
    if (!(await host.inspectImage(kubeNodeImage(tag))))
      throw new Error(`the node image ${kubeNodeImage(tag)} is not built: ${kubeImageBuildCommand(tag)}`);
  const stateDir = await mkdtemp(join(tmpdir(), 'magnetar-bench-upgrade-'));
  let svc: Awaited<ReturnType<typeof startService>> | undefined;
  const live = new Set<string>();
  const creates: number[] = [];
  const upgrades: number[] = [];
  let last: { node: string; ms: number }[] = [];
  try {
    svc = await startService(loadConfig({ flags: { state_dir: stateDir, 'api.port': 0, 'log.level': 'silent' } }));
    const base = svc.url;
    if (!base) throw new Error('the service reported no API url');
    const tpl: Record<string, string> = {};
    for (const tag of [FROM, TO]) {
      tpl[tag] = (
        await apiOk<{ uuid: string }>(base, 'POST', '/v1/clustertemplates', {
          name: `bench-upgrade-${tag}`,
          coe: 'kubernetes',
          image_id: kubeNodeImage(tag),
          server_type: 'container',
          labels: { kube_tag: tag },
        })
      ).uuid;
    }
    for (let i = 1; i <= runs; i++) {
      const c = await magnetarCreate(base, tpl[FROM] as string, `bench-upgrade-${i}`, (u) => live.add(u));
      creates.push(c.ms);
      const started = performance.now();
      await apiOk(base, 'POST', `/v1/clusters/${c.uuid}/actions/upgrade`, {
        cluster_template: tpl[TO],
        max_batch_size: 1,
      });
      for (;;) {
        const v = await apiOk<{ status: string; status_reason: string | null; coe_version: string | null }>(
          base,
          'GET',
          `/v1/clusters/${c.uuid}`,
        );
        if (v.status === 'UPDATE_COMPLETE') {
          if (v.coe_version !== TO) throw new Error(`coe_version is ${v.coe_version} after the upgrade`);
          break;
        }
        if (v.status === 'UPDATE_FAILED') throw new Error(`UPDATE_FAILED: ${v.status_reason ?? '(no reason)'}`);
        if (performance.now() - started > UPGRADE_TIMEOUT_MS)
          throw new Error(`still ${v.status} after ${UPGRADE_TIMEOUT_MS / 1000} s`);
        await sleep(100);
      }
      upgrades.push(performance.now() - started);
      const ev = await apiOk<{ events: EventView[] }>(base, 'GET', `/v1/clusters/${c.uuid}/events`);
      last = nodeReplacements(ev.events);
      process.stderr.write(`run ${i}: create ${seconds(c.ms)} s, upgrade ${seconds(upgrades[i - 1] as number)} s\n`);
      await magnetarDelete(base, c.uuid);
      live.delete(c.uuid);
    }
  } finally {
    for (const u of live) await magnetarDelete(svc?.url ?? '', u).catch(() => undefined);
    await svc?.stop();
    host.close();
    await rm(stateDir, { recursive: true, force: true });
  }
  const up = median(upgrades);
  const cr = median(creates);
  const perNode = last.reduce((n, x) => n + x.ms, 0);
  const lastUpgrade = upgrades.at(-1) ?? 0;
  const out = [
    `rolling upgrade ${FROM} → ${TO}, 1 master + 2 workers, max_batch_size 1 (${runs} run${runs > 1 ? 's' : ''}, medians)`,
    `  reference: create of the same cluster   ${seconds(cr)} s (3 nodes made in parallel)`,
    `  upgrade (POST → UPDATE_COMPLETE)         ${seconds(up)} s = ${(up / cr).toFixed(2)} × the create`,
    `  last run: upgrade ${seconds(lastUpgrade)} s; per node, cordon → Ready at ${TO}:`,
    ...last.map((x) => `    ${x.node.padEnd(28)} ${seconds(x.ms)} s`),
    `    the rest (plan, observation, add-ons, CoreDNS wait) ${seconds(Math.max(0, lastUpgrade - perNode))} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
