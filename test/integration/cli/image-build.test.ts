/**
 * `magnetar image build --coe kubernetes`: with the image built, a second run with the same inputs does nothing (every
 * step `cached`) and `--if-missing` answers at once; a kube tag outside the supported ones is refused with exit code 1 and
 * no stack trace; the load balancer image (magnetar/lb-haproxy) comes along, cached the same way. (The suite never builds
 * the Kubernetes image itself: a first build takes tens of minutes.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { DEFAULT_KUBE_TAG, kubeNodeImage, supportedKubeTags } from '../../../src/core/kube-versions.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { LB_IMAGE } from '../../../src/providers/docker/load-balancers.ts';
import { REPO } from '../../helpers/service-process.ts';

const SOCKET = '/var/run/docker.sock';
const image = kubeNodeImage(DEFAULT_KUBE_TAG);
const engine = existsSync(SOCKET) ? new Engine({ socketPath: SOCKET }) : null;
const built = engine ? Boolean(await engine.inspectImage(image)) : false;
engine?.close();

const magnetar = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
  promisify(execFile)(join(REPO, 'bin', 'magnetar'), ['image', 'build', ...args], { timeout: 600_000 });

describe('magnetar image build --coe kubernetes', () => {
  it(
    'does nothing when the inputs are unchanged: every step cached',
    { skip: !built && `${image} not built` },
    async () => {
      await magnetar(['--coe', 'kubernetes']); // brings the image up to date (e.g. the node scripts changed)
      const { stdout, stderr } = await magnetar(['--coe', 'kubernetes']);
      assert.equal(stdout, `${image} already present\n${LB_IMAGE} already present\n`);
      const steps = stderr.split('\n').filter((l) => /^\[image\] step \d\/9 /.test(l));
      assert.equal(steps.length, 9, stderr);
      for (const s of steps) assert.match(s, / … cached \(\d+\.\d s\)$/);
      const lbSteps = stderr.split('\n').filter((l) => /^\[image\] step \d\/2 /.test(l));
      assert.equal(lbSteps.length, 2, stderr);
      for (const s of lbSteps) assert.match(s, / … cached \(\d+\.\d s\)$/);
      assert.match(stderr, /^\[image\] raw output .*: \/.*\/logs\/image-build-k8s-v1\.37\.2-\d{8}T\d{6}\.log;/m);
    },
  );

  it('answers --if-missing at once when the image exists', { skip: !built && `${image} not built` }, async () => {
    const { stdout, stderr } = await magnetar(['--coe', 'kubernetes', '--if-missing']);
    assert.equal(stdout, `${image} already present\n${LB_IMAGE} already present\n`);
    assert.equal(stderr.trim(), `[image] ${image} exists\n[image] ${LB_IMAGE} exists`);
  });

  it('refuses an unsupported kube tag with exit code 1 and a one-line error', async () => {
    await assert.rejects(
      magnetar(['--coe', 'kubernetes', '--kube-tag', 'v1.20.0']),
      (e: Error & { code?: number; stderr?: string }) => {
        assert.equal(e.code, 1);
        assert.equal(
          e.stderr?.trim().split('\n').at(-1),
          `magnetar: kube tag v1.20.0 is not supported; supported: ${supportedKubeTags().join(', ')}`,
        );
        return true;
      },
    );
  });
});
