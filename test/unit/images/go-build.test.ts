/** Go builds: the proxy alone, go.sum enforced, version stamps, static cgo only for flannel. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kubeRelease } from '../../../src/core/kube-versions.ts';
import { addonSpecs, KUBE_COMPONENTS, kubeSpec } from '../../../src/images/build-specs.ts';
import {
  goBuildArgs,
  goBuildsInBackground,
  goEnv,
  goOutputDir,
  ldflags,
  prefetchModules,
  type GoBuildSpec,
} from '../../../src/images/go-build.ts';

describe('go builds', () => {
  it('use the module proxy alone, read-only go.mod and no checksum exemptions', () => {
    const saved = { ...process.env };
    process.env.GONOSUMDB = '*';
    process.env.GOFLAGS = '-mod=mod';
    process.env.GOPROXY = 'https://proxy.golang.org,direct';
    try {
      const env = goEnv(false);
      assert.equal(env.GOPROXY, 'https://proxy.golang.org');
      assert.equal(env.GOFLAGS, '-mod=readonly -buildvcs=false');
      assert.equal(env.GONOSUMDB, undefined);
      assert.equal(env.GOWORK, 'off');
      assert.equal(env.GOTOOLCHAIN, 'local');
      assert.equal(env.GOMAXPROCS, '2');
      assert.equal(env.CGO_ENABLED, '0');
      assert.equal(goEnv(true).CGO_ENABLED, '1');
    } finally {
      process.env = saved;
    }
  });

  it('stamp the Kubernetes version into component-base and client-go, one multicall binary', () => {
    const spec = kubeSpec('/repo/build', kubeRelease('v1.37.2')!);
    assert.equal(spec.moduleDir, '/repo/build/kubernetes/v1.37.2');
    assert.deepEqual(spec.targets, [{ pkg: '.', out: 'kube' }]);
    assert.deepEqual(Object.keys(spec.links ?? {}), [...KUBE_COMPONENTS]);
    const flags = ldflags(spec);
    assert.match(flags, /^-s -w /);
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      assert.ok(flags.includes(`-X ${pkg}.gitVersion=v1.37.2`), flags);
      assert.ok(flags.includes(`-X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=37`), flags);
    }
    assert.doesNotMatch(flags, /extldflags/);
    const args = goBuildArgs(spec, '/out/kube', '.');
    assert.deepEqual(args.slice(0, 4), ['build', '-p', '2', '-trimpath']);
    assert.deepEqual(args.slice(-3), ['-o', '/out/kube', '.']);
    // no DWARF from the compiler (the linker's -w drops it anyway): less compile work, the same binary
    assert.equal(args[args.indexOf('-gcflags') + 1], 'all=-dwarf=false');
  });

  it('link flannel statically with cgo and nothing else', () => {
    const specs = addonSpecs('/repo/build');
    assert.deepEqual(
      specs.map((s) => s.key),
      ['etcd-v3.7.3', 'flannel-v0.28.10', 'coredns-v1.15.0', 'metrics-server-v0.9.0', 'prometheus-v3.16.0'],
    );
    for (const s of specs) {
      assert.equal(Boolean(s.cgo), s.key.startsWith('flannel'));
      assert.equal(ldflags(s).includes('-extldflags "-static"'), s.key.startsWith('flannel'));
    }
    assert.ok(ldflags(specs[1]!).includes('-X github.com/flannel-io/flannel/pkg/version.Version=v0.28.10'));
  });

  it('build Prometheus with the Kubernetes service discovery alone and no embedded web UI', () => {
    const spec = addonSpecs('/repo/build').find((s) => s.key.startsWith('prometheus'));
    assert.ok(spec);
    assert.equal(spec.moduleDir, '/repo/build/addons/prometheus');
    assert.ok(ldflags(spec).includes('-X github.com/prometheus/common/version.Version=3.16.0'));
    const args = goBuildArgs(spec, '/out/prometheus', spec.targets[0]!.pkg);
    const tags = args[args.indexOf('-tags') + 1]!.split(',');
    assert.deepEqual(tags, ['remove_all_sd', 'enable_kubernetes_sd']);
    assert.equal(tags.includes('builtinassets'), false);
    assert.equal(args.at(-1), 'github.com/prometheus/prometheus/cmd/prometheus');
  });
});

describe('module prefetch', () => {
  const spec = (moduleDir: string, key: string): GoBuildSpec => ({
    title: `test ${key}`,
    subdir: 'test',
    key,
    moduleDir,
    targets: [{ pkg: '.', out: 'x' }],
    stamps: {},
  });

  it('skips specs already built, logs a failing one and goes on, never rejects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magnetar-prefetch-'));
    try {
      // built: its output directory (keyed by its inputs) is complete, so nothing is downloaded for it
      const built = spec(join(dir, 'built'), 'built');
      await mkdir(built.moduleDir);
      await writeFile(join(built.moduleDir, 'go.mod'), 'module example.test/built\n\ngo 1.22\n');
      const out = await goOutputDir(join(dir, 'cache'), built);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, '.complete'), 'done\n');
      // broken: no module directory at all
      const broken = spec(join(dir, 'missing'), 'broken');
      // empty: a module without requirements downloads nothing, successfully
      const empty = spec(join(dir, 'empty'), 'empty');
      await mkdir(empty.moduleDir);
      await writeFile(join(empty.moduleDir, 'go.mod'), 'module example.test/empty\n\ngo 1.22\n');
      const lines: string[] = [];
      await prefetchModules(join(dir, 'cache'), [built, broken, empty], (l) => lines.push(l));
      const text = lines.join('\n');
      assert.doesNotMatch(text, /test built/);
      assert.match(text, /downloading the modules of test broken ahead failed \(the build downloads them\)/);
      assert.match(text, /\$ go mod download {3}\(in .*empty\)/);
      assert.match(text, /modules of test empty downloaded in \d+\.\d s/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does nothing once aborted', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    stop.abort();
    await prefetchModules('/nonexistent', [spec('/nonexistent/m', 'm')], (l) => lines.push(l), stop.signal);
    assert.deepEqual(lines, []);
  });
});

describe('background Go builds', () => {
  const spec = (moduleDir: string, key: string): GoBuildSpec => ({
    title: `test ${key}`,
    subdir: 'test',
    key,
    moduleDir,
    targets: [{ pkg: '.', out: 'x' }],
    stamps: {},
  });

  it('run one after the other; a failure names its cause and the next ones still run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magnetar-bg-build-'));
    try {
      const built = spec(join(dir, 'built'), 'built');
      await mkdir(built.moduleDir);
      await writeFile(join(built.moduleDir, 'go.mod'), 'module example.test/built\n\ngo 1.22\n');
      const out = await goOutputDir(join(dir, 'cache'), built);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, '.complete'), 'done\n');
      const notes: string[] = [];
      const runs = goBuildsInBackground(join(dir, 'cache'), [spec(join(dir, 'missing'), 'broken'), built], (l) =>
        notes.push(l),
      );
      assert.deepEqual([...runs.keys()], ['broken', 'built']);
      await assert.rejects(runs.get('broken')!, /ENOENT/);
      assert.deepEqual(await runs.get('built')!, { dir: out, cached: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('build nothing once stopped, and say so', async () => {
    const stop = new AbortController();
    stop.abort();
    const runs = goBuildsInBackground('/nonexistent', [spec('/nonexistent/m', 'm')], () => {}, stop.signal);
    await assert.rejects(runs.get('m')!, /test m: not built \(the image build stopped\)/);
  });

  it('log a real go failure with its output lines, prefixed by the title', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magnetar-bg-build-'));
    try {
      const bad = spec(join(dir, 'bad'), 'bad');
      await mkdir(bad.moduleDir);
      await writeFile(join(bad.moduleDir, 'go.mod'), 'module example.test/bad\n\ngo 1.22\n');
      await writeFile(join(bad.moduleDir, 'main.go'), 'package main\n\nfunc main() { undefinedThing() }\n');
      const notes: string[] = [];
      const runs = goBuildsInBackground(join(dir, 'cache'), [bad], (l) => notes.push(l));
      await assert.rejects(runs.get('bad')!, (e: Error) => {
        assert.match(e.message, /^go failed \(exit code 1\)\nlast lines of output:\n/);
        assert.match(e.message, /undefined: undefinedThing/);
        return true;
      });
      assert.ok(
        notes.some((l) => l.startsWith('[test bad] ') && l.includes('undefinedThing')),
        notes.join('\n'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
