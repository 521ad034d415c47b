/**
 * @module bench/image-recipe: what `magnetar image build --coe kubernetes --if-missing` spends deciding that an image
 * is current — the recipe of every supported kube tag (the source inputs of the whole build hashed: go.mod/go.sum and
 * Go files of each module, `go env`, gcc's version, the scripts), first call of a process (tools asked) and repeated —
 * beside its target (under a second with the image already built; the engine's image inspect adds a few ms).
 * Prints figures only; the target is reported, not asserted.
 * Run: `node_modules/.bin/node bench/image-recipe.ts [--rounds 20]`.
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { supportedKubeTags } from '../src/core/kube-versions.ts';
import { kubeImageRecipe } from '../src/images/kube-recipe.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 1000;
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const [i, tag] of supportedKubeTags().entries()) {
  const t0 = performance.now();
  const recipe = await kubeImageRecipe(REPO, tag);
  const first = performance.now() - t0;
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await kubeImageRecipe(REPO, tag);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(times.length / 2)] ?? 0;
  const label = i === 0 ? 'first call (go env, gcc asked)' : 'first call of this tag';
  console.log(
    `${tag} recipe ${recipe}: ${label} ${first.toFixed(0)} ms, then p50 ${p50.toFixed(1)} ms, max ` +
      `${(times.at(-1) ?? 0).toFixed(1)} ms over ${rounds} (target: under ${TARGET_MS} ms)`,
  );
}
