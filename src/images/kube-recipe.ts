/**
 * @module images/kube-recipe — the recipe of `magnetar/k8s-node:<kube_tag>`: one hash of every source input of its
 * build (the Debian base's script and packages, each Go build's module files, tool versions and flags, the pause
 * source, the node scripts, the version files and the image config), computed without building anything. The image
 * carries it as its `magnetar.recipe` label; `magnetar image build --if-missing` compares the two, so an image built
 * from other sources is rebuilt (its unchanged steps cached) and a current one answers in well under a second.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRELOADED_IMAGES, kubeRelease } from '../core/kube-versions.ts';
import { inputsHash, type Input } from './build-cache.ts';
import { addonSpecs, kubeSpec } from './build-specs.ts';
import { baseImage, baseInputs } from './debian-base.ts';
import { goOutputDir, goToolInputs, type GoBuildSpec } from './go-build.ts';
import { NODE_LAYER_SCRIPTS, nodeLayerDockerfile, versionsEnv } from './kube-node-image.ts';

/** The Go builds of a kube tag's image, in build order: the multicall `kube`, then the add-ons. */
export function kubeImageGoSpecs(repoDir: string, kubeTag: string): GoBuildSpec[] {
  const release = kubeRelease(kubeTag);
  if (!release) throw new Error(`kube tag ${kubeTag} is not supported`);
  const buildDir = join(repoDir, 'build');
  return [kubeSpec(buildDir, release), ...addonSpecs(buildDir)];
}

/** The recipe hash of `magnetar/k8s-node:<kubeTag>` built from the repository at `repoDir`. */
export async function kubeImageRecipe(repoDir: string, kubeTag: string): Promise<string> {
  const scriptsDir = join(repoDir, 'scripts');
  const specs = kubeImageGoSpecs(repoDir, kubeTag);
  // Each Go output directory's name is its key and the hash of its module files, tool versions and flags.
  const goDirs = await Promise.all(specs.map(async (s): Promise<Input> => [`go:${s.key}`, await goOutputDir('', s)]));
  const scripts = await Promise.all(
    NODE_LAYER_SCRIPTS.map(async (s): Promise<Input> => [`script:${s}`, await readFile(join(scriptsDir, 'node', s))]),
  );
  return inputsHash([
    ['kube_tag', kubeTag],
    ['base', await baseInputs(scriptsDir)],
    ...goDirs,
    ...(await goToolInputs(true)), // gcc compiles pause too
    ['pause.c', await readFile(join(repoDir, 'build', 'images', 'pause', 'pause.c'))],
    ['preloaded', JSON.stringify(PRELOADED_IMAGES)],
    ['versions', versionsEnv(kubeTag)],
    ['dockerfile', nodeLayerDockerfile(baseImage(), kubeTag, 'HASH', 'RECIPE')],
    ...scripts,
  ]);
}
