/**
 * @module images/build-kubernetes — `magnetar image build --coe kubernetes [--kube-tag vX.Y.Z]`: the steps that make
 * `magnetar/k8s-node:<kube_tag>`, each cached by its inputs (a second run with the same inputs does nothing; another
 * kube tag reuses the Debian base and the add-ons). One line per step; raw tool output in the log file.
 */
import { join } from 'node:path';
import {
  DEFAULT_KUBE_TAG,
  RECIPE_LABEL,
  kubeNodeImage,
  kubeRelease,
  supportedKubeTags,
} from '../core/kube-versions.ts';
import type { Engine } from '../providers/docker/engine.ts';
import { withBuildLock } from '../providers/docker/image-build.ts';
import { buildCacheDir } from './build-cache.ts';
import { baseRootfsDir, ensureDebianBase } from './debian-base.ts';
import { goBuild, goBuildsInBackground, prefetchModules } from './go-build.ts';
import { ensureKubeNodeImage } from './kube-node-image.ts';
import { kubeImageGoSpecs, kubeImageRecipe } from './kube-recipe.ts';
import { ensurePreloadedImages } from './preloaded-images.ts';
import { BuildProgress } from './progress.ts';

export interface KubeImageBuildOptions {
  /** Default {@link DEFAULT_KUBE_TAG}. */
  kubeTag?: string;
  /** The repository root (holds build/ and scripts/). */
  repoDir: string;
  /** Default {@link buildCacheDir}. */
  cacheDir?: string;
  /**
   * Do nothing when the image exists and was built from the current sources (its `magnetar.recipe` label is the
   * {@link kubeImageRecipe} of the repository); an image built from other sources is brought up to date.
   */
  ifMissing?: boolean;
  /** Receives what the build shows (step lines). */
  write: (text: string) => void;
}

export interface KubeImageBuildResult {
  image: string;
  built: boolean;
  seconds: number;
  logFile: string | null;
}

const STEPS = 9;

/** Builds (or finds cached) everything of `magnetar/k8s-node:<kube_tag>`. */
export async function buildKubeNodeImage(engine: Engine, opts: KubeImageBuildOptions): Promise<KubeImageBuildResult> {
  const started = performance.now();
  const tag = opts.kubeTag ?? DEFAULT_KUBE_TAG;
  const release = kubeRelease(tag);
  if (!release) {
    throw new Error(`kube tag ${tag} is not supported; supported: ${supportedKubeTags().join(', ')}`);
  }
  const image = kubeNodeImage(tag);
  const cacheDir = buildCacheDir(opts.cacheDir);
  const seconds = (): number => (performance.now() - started) / 1000;
  const say = (text: string): void => opts.write(`[image] ${text}\n`);

  // The recipe needs `go env` (and gcc): without them an existing image is taken as it is, and a build fails below.
  let recipe: string | null = null;
  let recipeError: Error | null = null;
  try {
    recipe = await kubeImageRecipe(opts.repoDir, tag);
  } catch (err) {
    recipeError = err as Error;
  }
  let outdatedSaid = false;
  /** With --if-missing: true when the image is there and built from the current sources. */
  const current = async (): Promise<boolean> => {
    if (!opts.ifMissing) return false;
    const found = await engine.inspectImage(image);
    if (!found) return false;
    if (recipe === null) {
      say(`the sources of ${image} could not be checked (${recipeError?.message}); taking the image as it is`);
      return true;
    }
    if (found.Config?.Labels?.[RECIPE_LABEL] === recipe) return true;
    if (!outdatedSaid)
      say(`${image} exists but was built from other sources: bringing it up to date (unchanged steps are cached)`);
    outdatedSaid = true;
    return false;
  };
  // Checked before the lock too, so that --if-missing answers at once while another kube tag is being built.
  if (await current()) {
    say(`${image} exists`);
    return { image, built: false, seconds: seconds(), logFile: null };
  }
  return withBuildLock(join(cacheDir, 'kube-build'), say, async () => {
    if (await current()) {
      say(`${image} exists`);
      return { image, built: false, seconds: seconds(), logFile: null };
    }
    if (recipe === null) throw recipeError ?? new Error(`the recipe of ${image} could not be computed`);
    const buildRecipe = recipe;
    const logFile = BuildProgress.logPath(cacheDir, `k8s-${tag}`);
    const progress = new BuildProgress({ total: STEPS, logFile, write: opts.write });
    // The Go modules of every step are downloaded in the background from the start (the network-bound part of each
    // Go build), while the Debian base and the earlier steps build.
    const specs = kubeImageGoSpecs(opts.repoDir, tag);
    const stop = new AbortController();
    const prefetch = prefetchModules(cacheDir, specs, (l) => progress.note(`[prefetch] ${l}`), stop.signal);
    // The add-ons build one after the other beside the Debian base and the kube binary: two Go builds at once keep
    // both cores busy through the serial parts of each (the generated OpenAPI package, the links). Their output goes
    // to the log prefixed with their title; each one's step below waits for it.
    const [kube, ...addons] = specs;
    const addonBuilds = goBuildsInBackground(cacheDir, addons, (l) => progress.note(l), stop.signal);
    try {
      progress.say(
        `${image}: ${STEPS} steps, each skipped when its inputs are unchanged. A first build compiles Kubernetes, ` +
          'etcd, flannel, CoreDNS, metrics-server and Prometheus from the Go module proxy: about 12 min on 2 idle ' +
          'cores, several times that on busy ones (~4 GB RAM, ~7 GB of Go caches); a rebuild with the same inputs ' +
          'takes seconds.',
      );
      progress.say(`raw output (go, debootstrap, dpkg, image builds): ${logFile}; outputs cached in ${cacheDir}`);
      const buildDir = join(opts.repoDir, 'build');
      const scriptsDir = join(opts.repoDir, 'scripts');

      const base = await progress.step('debian base magnetar/k8s-base (debootstrap)', async (ctx) => {
        const r = await ensureDebianBase(engine, cacheDir, scriptsDir, ctx.raw);
        if (r.cached) ctx.cached();
        return r.image;
      });
      const kubeDir = await progress.step(kube!.title, async (ctx) => {
        const r = await goBuild(cacheDir, kube!, ctx.raw);
        if (r.cached) ctx.cached();
        ctx.raw(`output: ${r.dir}`);
        return r.dir;
      });
      const addonStep = (i: number): Promise<string> =>
        progress.step(addons[i]!.title, async (ctx) => {
          const r = await addonBuilds.get(addons[i]!.key)!;
          if (r.cached) ctx.cached();
          ctx.raw(`output: ${r.dir}`);
          return r.dir;
        });
      const etcdDir = await addonStep(0);
      const flannelDir = await addonStep(1);
      const corednsDir = await addonStep(2);
      const metricsServerDir = await addonStep(3);
      const prometheusDir = await addonStep(4);
      const images = 'pause, coredns, metrics-server, prometheus, busybox';
      const tars = await progress.step(`container images ${images}`, async (ctx) => {
        const r = await ensurePreloadedImages(
          engine,
          cacheDir,
          {
            pauseDir: join(buildDir, 'images', 'pause'),
            corednsDir,
            metricsServerDir,
            prometheusDir,
            baseRootfs: baseRootfsDir(cacheDir),
          },
          ctx.raw,
        );
        if (r.cached) ctx.cached();
        return r.tars;
      });
      const node = await progress.step(`node image ${image}`, async (ctx) => {
        const baseId = (await engine.inspectImage(base))?.Id ?? base;
        const r = await ensureKubeNodeImage(
          engine,
          cacheDir,
          {
            kubeTag: tag,
            baseImage: base,
            baseId,
            kubeDir,
            binDirs: { etcd: etcdDir, flannel: flannelDir },
            tars,
            nodeScriptsDir: join(scriptsDir, 'node'),
            recipe: buildRecipe,
          },
          ctx.raw,
        );
        if (r.cached) ctx.cached();
        return r;
      });
      const size = (await engine.inspectImage(image))?.Size;
      const mb = typeof size === 'number' ? `, ${(size / 1e6).toFixed(0)} MB` : '';
      progress.say(`${image} ${node.cached ? 'up to date' : 'built'} after ${seconds().toFixed(1)} s${mb}`);
      return { image, built: !node.cached, seconds: seconds(), logFile };
    } finally {
      stop.abort(); // normally long done; after a failed step the downloads and add-on builds need not go on
      await prefetch;
      await Promise.allSettled(addonBuilds.values());
      await progress.close();
    }
  });
}
