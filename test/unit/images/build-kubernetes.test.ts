/** `--if-missing` of the Kubernetes image build: an image carrying the current recipe is left alone, nothing built. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RECIPE_LABEL } from '../../../src/core/kube-versions.ts';
import { buildKubeNodeImage } from '../../../src/images/build-kubernetes.ts';
import { kubeImageRecipe } from '../../../src/images/kube-recipe.ts';
import type { Engine } from '../../../src/providers/docker/engine.ts';
import { REPO } from '../../helpers/service-process.ts';

describe('kube image build --if-missing', () => {
  it('answers at once for an image built from the current sources, without building or locking', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'magnetar-kube-build-'));
    try {
      const recipe = await kubeImageRecipe(REPO, 'v1.36.3');
      const asked: string[] = [];
      const engine = {
        inspectImage: async (ref: string) => {
          asked.push(ref);
          return { Id: 'sha256:feed', Config: { Labels: { [RECIPE_LABEL]: recipe } } };
        },
      } as unknown as Engine;
      const shown: string[] = [];
      const r = await buildKubeNodeImage(engine, {
        kubeTag: 'v1.36.3',
        repoDir: REPO,
        cacheDir,
        ifMissing: true,
        write: (t) => shown.push(t),
      });
      assert.equal(r.built, false);
      assert.equal(r.image, 'magnetar/k8s-node:v1.36.3');
      assert.deepEqual(asked, ['magnetar/k8s-node:v1.36.3']);
      assert.deepEqual(shown, ['[image] magnetar/k8s-node:v1.36.3 exists\n']);
      assert.deepEqual(await readdir(cacheDir), [], 'no lock, log or output in the cache');
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('takes an existing image as it is when its sources cannot be checked (no go, no sources)', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'magnetar-kube-build-'));
    try {
      const engine = {
        inspectImage: async () => ({ Id: 'sha256:feed', Config: { Labels: {} } }),
      } as unknown as Engine;
      const shown: string[] = [];
      const r = await buildKubeNodeImage(engine, {
        kubeTag: 'v1.37.2',
        repoDir: cacheDir, // no build/ nor scripts/ there
        cacheDir,
        ifMissing: true,
        write: (t) => shown.push(t),
      });
      assert.equal(r.built, false);
      assert.match(
        shown[0] ?? '',
        /^\[image\] the sources of magnetar\/k8s-node:v1\.37\.2 could not be checked \(.*ENOENT/,
      );
      assert.equal(shown.at(-1), '[image] magnetar/k8s-node:v1.37.2 exists\n');
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
