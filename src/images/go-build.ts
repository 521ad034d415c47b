/**
 * @module images/go-build — builds binaries from a pinned Go module of this repository (`build/…/go.mod` + `go.sum`)
 * into the build cache, keyed by a hash of the module files, the Go version and the flags. The module proxy alone
 * (`GOPROXY=https://proxy.golang.org`, no `direct`), `go.sum` checked (`-mod=readonly`, `go mod verify`, the default
 * checksum database), version stamps by `-ldflags -X`, `-trimpath`, static binaries.
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileInputs, inputsHash, isComplete, produceDir, type Input } from './build-cache.ts';
import { runTool, toolOutput } from './run-tool.ts';

/** One Go build: packages of one module, their output names and version stamps. */
export interface GoBuildSpec {
  /** Shown in progress lines, e.g. `etcd v3.7.3`. */
  title: string;
  /** The output directory is `<cacheDir>/<subdir>/<key>-<hash>/`, e.g. `k8s` and `v1.37.2`. */
  subdir: string;
  key: string;
  /** The module directory (holds go.mod, go.sum and any main.go). */
  moduleDir: string;
  /** Package to build → output file name. */
  targets: ReadonlyArray<{ pkg: string; out: string }>;
  /** `-X` stamps: fully qualified variable → value. */
  stamps: Readonly<Record<string, string>>;
  /** cgo on and linked statically (flannel's udp backend); otherwise CGO_ENABLED=0. */
  cgo?: boolean;
  /** Build tags. */
  tags?: readonly string[];
  /** Symlinks created next to the outputs: name → target (the multicall names of one binary). */
  links?: Readonly<Record<string, string>>;
}

/** The environment of every Go invocation: the proxy alone, go.sum enforced, no workspace, no toolchain switch. */
export function goEnv(cgo: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['GONOSUMDB', 'GONOSUMCHECK', 'GOPRIVATE', 'GONOPROXY', 'GOINSECURE', 'GOFLAGS']) delete env[k];
  return {
    ...env,
    GOWORK: 'off',
    GOPROXY: 'https://proxy.golang.org',
    GOFLAGS: '-mod=readonly -buildvcs=false',
    GOTOOLCHAIN: 'local',
    GOMAXPROCS: '2',
    CGO_ENABLED: cgo ? '1' : '0',
  };
}

/** The `-ldflags` value of a spec. */
export function ldflags(spec: GoBuildSpec): string {
  const stamps = Object.entries(spec.stamps).map(([k, v]) => `-X ${k}=${v}`);
  return ['-s', '-w', ...stamps, ...(spec.cgo ? ['-extldflags "-static"'] : [])].join(' ');
}

/**
 * `-gcflags`: no DWARF from the compiler. The linker drops it anyway (`-w`), so the programs stay the same: only their
 * build info (which names the flag) and the type data the compiler kept for debug information alone differ. It saves
 * the compiler the debug information nobody links: 2% (Prometheus), 6% (etcd), 14% (metrics-server) less compile CPU,
 * measured with empty caches on a loaded machine.
 */
export const GCFLAGS = 'all=-dwarf=false';

/** The arguments of `go build` for one target. */
export function goBuildArgs(spec: GoBuildSpec, out: string, pkg: string): string[] {
  const tags = spec.tags && spec.tags.length > 0 ? ['-tags', spec.tags.join(',')] : [];
  return ['build', '-p', '2', '-trimpath', ...tags, '-gcflags', GCFLAGS, '-ldflags', ldflags(spec), '-o', out, pkg];
}

const toolInputs = new Map<boolean, Promise<Input[]>>();

/** Tool versions that are inputs of every Go build (the Go release; gcc's for cgo builds); asked once per process. */
export function goToolInputs(cgo: boolean): Promise<Input[]> {
  let inputs = toolInputs.get(cgo);
  if (!inputs) {
    inputs = (async (): Promise<Input[]> => {
      const go = await toolOutput('go', ['env', 'GOVERSION', 'GOOS', 'GOARCH'], { env: goEnv(cgo) });
      const all: Input[] = [['tool:go', go]];
      if (cgo) all.push(['tool:gcc', await toolOutput('gcc', ['-dumpfullversion'])]);
      return all;
    })();
    inputs.catch(() => toolInputs.delete(cgo)); // a failure is not remembered
    toolInputs.set(cgo, inputs);
  }
  return inputs;
}

/** The output directory a spec builds into (its inputs hashed), without building anything. */
export async function goOutputDir(cacheDir: string, spec: GoBuildSpec): Promise<string> {
  const files = await fileInputs(spec.moduleDir, (n) => n === 'go.mod' || n === 'go.sum' || n.endsWith('.go'));
  const hash = inputsHash([
    ...files,
    ...(await goToolInputs(spec.cgo ?? false)),
    ['targets', JSON.stringify(spec.targets)],
    ['links', JSON.stringify(spec.links ?? {})],
    ['args', goBuildArgs(spec, 'OUT', 'PKG').join('\0')],
    ['env', JSON.stringify({ cgo: spec.cgo ?? false })],
  ]);
  return join(cacheDir, spec.subdir, `${spec.key}-${hash}`);
}

/**
 * Builds the spec's binaries into the cache unless its output already exists; returns the output directory and
 * whether it was cached. Raw `go` output goes to `raw`.
 */
export async function goBuild(
  cacheDir: string,
  spec: GoBuildSpec,
  raw: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ dir: string; cached: boolean }> {
  const dir = await goOutputDir(cacheDir, spec);
  if (await isComplete(dir)) return { dir, cached: true };
  const env = goEnv(spec.cgo ?? false);
  const cwd = spec.moduleDir;
  await produceDir(dir, async (partial) => {
    for (const t of spec.targets)
      await runTool('go', goBuildArgs(spec, join(partial, t.out), t.pkg), { cwd, env, raw, signal });
    await runTool('go', ['mod', 'verify'], { cwd, env, raw, signal }); // the module cache still matches go.sum
    for (const [name, target] of Object.entries(spec.links ?? {})) await symlink(target, join(partial, name));
  });
  return { dir, cached: false };
}

/**
 * Downloads, one module after the other, what the specs whose outputs are not built yet need from the module proxy
 * (`go mod download`, go.sum checked), so that the network-bound downloads run while earlier steps compile instead of
 * before each compile. Only a head start: a failure is logged and left to the build itself; `signal` stops it. Never
 * rejects.
 */
export async function prefetchModules(
  cacheDir: string,
  specs: readonly GoBuildSpec[],
  raw: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const spec of specs) {
    if (signal?.aborted) return;
    try {
      if (await isComplete(await goOutputDir(cacheDir, spec))) continue;
      const started = performance.now();
      await runTool('go', ['mod', 'download'], { cwd: spec.moduleDir, env: goEnv(spec.cgo ?? false), raw, signal });
      raw(`modules of ${spec.title} downloaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      if (signal?.aborted) return;
      raw(
        `downloading the modules of ${spec.title} ahead failed (the build downloads them): ${(err as Error).message}`,
      );
    }
  }
}

/** The outcome of a background Go build: its output directory, or its error with the last lines of its output. */
export type BackgroundGoBuild = Promise<{ dir: string; cached: boolean }>;

const TAIL = 25;

/**
 * Starts the Go builds of `specs` one after the other in the background and returns each one's outcome by key. Run
 * beside another Go build (the multicall kube binary), they keep both cores busy while that one is in its serial parts
 * (a huge generated package, the link). Raw output goes to `note` prefixed with the spec's title; a failed build's
 * error carries the last lines of its output, and the next ones still run. `signal` stops the running one.
 */
export function goBuildsInBackground(
  cacheDir: string,
  specs: readonly GoBuildSpec[],
  note: (line: string) => void,
  signal?: AbortSignal,
): Map<string, BackgroundGoBuild> {
  const runs = new Map<string, BackgroundGoBuild>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const spec of specs) {
    const run = previous.then(async () => {
      if (signal?.aborted) throw new Error(`${spec.title}: not built (the image build stopped)`);
      const tail: string[] = [];
      const raw = (line: string): void => {
        note(`[${spec.title}] ${line}`);
        tail.push(line);
        if (tail.length > TAIL) tail.shift();
      };
      try {
        return await goBuild(cacheDir, spec, raw, signal);
      } catch (err) {
        const lines = tail.length > 0 ? `\nlast lines of output:\n  ${tail.join('\n  ')}` : '';
        throw new Error(`${(err as Error).message}${lines}`, { cause: err });
      }
    });
    previous = run.catch(() => {}); // also marks the outcome handled until its step awaits it
    runs.set(spec.key, run);
  }
  return runs;
}
