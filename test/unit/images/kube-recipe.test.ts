/** The recipe of a Kubernetes node image: computed from the sources alone (nothing built), changed by any input. */
import assert from 'node:assert/strict';
import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../../helpers/service-process.ts';
import { kubeImageGoSpecs, kubeImageRecipe } from '../../../src/images/kube-recipe.ts';

describe('kube image recipe', () => {
  let repo = '';
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'magnetar-recipe-'));
    await cp(join(REPO, 'build'), join(repo, 'build'), { recursive: true });
    await mkdir(join(repo, 'scripts', 'images'), { recursive: true });
    await cp(
      join(REPO, 'scripts', 'images', 'k8s-base-rootfs.sh'),
      join(repo, 'scripts', 'images', 'k8s-base-rootfs.sh'),
    );
    await cp(join(REPO, 'scripts', 'node'), join(repo, 'scripts', 'node'), { recursive: true });
  });
  after(() => rm(repo, { recursive: true, force: true }));

  it('is a 16-hex hash, stable, and different per kube tag', async () => {
    const a = await kubeImageRecipe(repo, 'v1.37.2');
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(await kubeImageRecipe(repo, 'v1.37.2'), a);
    assert.equal(await kubeImageRecipe(REPO, 'v1.37.2'), a, 'the same sources elsewhere give the same recipe');
    assert.notEqual(await kubeImageRecipe(repo, 'v1.36.3'), a);
  });

  it('changes with a Go module, an add-on, the base script, a node script or the pause source', async () => {
    const changes: Array<[string, string]> = [
      ['build/kubernetes/v1.37.2/main.go', '\n// changed\n'],
      ['build/addons/prometheus/go.sum', '\n'],
      ['scripts/images/k8s-base-rootfs.sh', '\n# changed\n'],
      ['scripts/node/magnetar-supervise', '\n# changed\n'],
      ['build/images/pause/pause.c', '\n/* changed */\n'],
    ];
    let previous = await kubeImageRecipe(repo, 'v1.37.2');
    for (const [file, extra] of changes) {
      await appendFile(join(repo, file), extra);
      const next = await kubeImageRecipe(repo, 'v1.37.2');
      assert.notEqual(next, previous, `${file} changed, the recipe did not`);
      previous = next;
    }
  });

  it('ignores files that are no input (a README next to a module)', async () => {
    const before = await kubeImageRecipe(repo, 'v1.37.2');
    await writeFile(join(repo, 'build', 'addons', 'etcd', 'README.md'), 'notes\n');
    assert.equal(await kubeImageRecipe(repo, 'v1.37.2'), before);
  });

  it('lists the Go builds in build order: kube first, then the add-ons', () => {
    const keys = kubeImageGoSpecs('/repo', 'v1.36.3').map((s) => s.key);
    assert.deepEqual(keys, [
      'v1.36.3',
      'etcd-v3.7.3',
      'flannel-v0.28.10',
      'coredns-v1.15.0',
      'metrics-server-v0.9.0',
      'prometheus-v3.16.0',
    ]);
    assert.throws(() => kubeImageGoSpecs('/repo', 'v1.20.0'), /v1\.20\.0 is not supported/);
  });
});
