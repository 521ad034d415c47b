/** Kube tag rules: the default, the supported list in the 400, and the build command named for each tag. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import type { ImageCatalog } from '../../../src/core/ports.ts';
import {
  checkKubeImage,
  checkKubeTag,
  checkKubeUpgrade,
  checkNodeImage,
  DEFAULT_KUBE_TAG,
  groupKubeTag,
  kubeImageBuildCommand,
  kubeNodeImage,
  parseKubeTag,
  supportedKubeTags,
} from '../../../src/core/kube-versions.ts';

describe('kube versions', () => {
  it('supports v1.37.2 (the default) and one v1.36 release', () => {
    assert.equal(DEFAULT_KUBE_TAG, 'v1.37.2');
    assert.equal(supportedKubeTags()[0], 'v1.37.2');
    assert.ok(supportedKubeTags().some((t) => /^v1\.36\.\d+$/.test(t)));
  });

  it('picks the default when kube_tag is unset and keeps a supported one', () => {
    assert.equal(checkKubeTag({}), 'v1.37.2');
    assert.equal(checkKubeTag({ kube_tag: 'v1.36.3' }), 'v1.36.3');
  });

  it('refuses an unsupported kube_tag with a 400 naming the label and the supported versions', () => {
    assert.throws(
      () => checkKubeTag({ kube_tag: '1.37.2' }),
      (e: unknown) =>
        e instanceof MagnumError &&
        e.status === 400 &&
        e.message === 'Label kube_tag=1.37.2 is not a supported Kubernetes version; supported: v1.37.2, v1.36.3.',
    );
  });

  it('names the node image and the command that builds it', () => {
    assert.equal(kubeNodeImage('v1.36.3'), 'magnetar/k8s-node:v1.36.3');
    assert.equal(kubeImageBuildCommand('v1.37.2'), 'magnetar image build --coe kubernetes');
    assert.equal(kubeImageBuildCommand('v1.36.3'), 'magnetar image build --coe kubernetes --kube-tag v1.36.3');
  });

  /** An in-memory catalog (images → labels) standing in for the engine in this unit test of the rules. */
  const catalog = (images: Record<string, Record<string, string>>): ImageCatalog => ({
    labels: async (id) => images[id],
    osDistro: async (id) => (images[id] ? (images[id].os_distro ?? null) : undefined),
  });
  const is400 = (message: string) => (e: unknown) =>
    e instanceof MagnumError && e.status === 400 && e.message === message;

  it('refuses a supported kube_tag whose image is missing or is not that version, with the build command', async () => {
    await assert.rejects(
      checkKubeImage(catalog({}), { kube_tag: 'v1.36.3' }),
      is400(
        'Label kube_tag=v1.36.3: the node image magnetar/k8s-node:v1.36.3 is not built; ' +
          'build it with "magnetar image build --coe kubernetes --kube-tag v1.36.3".',
      ),
    );
    const wrong = catalog({ 'magnetar/k8s-node:v1.37.2': { 'magnetar.kube_version': 'v1.36.3' } });
    await assert.rejects(
      checkKubeImage(wrong, {}),
      is400(
        'Label kube_tag=v1.37.2: the node image magnetar/k8s-node:v1.37.2 is not a Kubernetes v1.37.2 node image; ' +
          'build it with "magnetar image build --coe kubernetes".',
      ),
    );
    const built = catalog({ 'magnetar/k8s-node:v1.37.2': { 'magnetar.kube_version': 'v1.37.2' } });
    assert.equal(await checkKubeImage(built, {}), 'magnetar/k8s-node:v1.37.2');
  });

  it('tells a node image (any magnetar.node-image family) from a plain one', async () => {
    const images = catalog({ node: { 'magnetar.node-image': 'docker' }, plain: { os_distro: 'debian' } });
    assert.equal(await checkNodeImage(images, 'node'), 'docker');
    await assert.rejects(checkNodeImage(images, 'plain'), (e: unknown) =>
      (e as Error).message.startsWith('Image plain is not a Magnetar node image'),
    );
  });
});

describe('kube upgrade rules', () => {
  const refusal = (re: RegExp) => (e: unknown) =>
    e instanceof MagnumError && e.code === 'InvalidVersion' && e.status === 400 && re.test(e.message);

  it('parses vX.Y.Z tags and nothing else', () => {
    assert.deepEqual(parseKubeTag('v1.37.2'), { major: 1, minor: 37, patch: 2 });
    assert.deepEqual(parseKubeTag('1.36.3'), { major: 1, minor: 36, patch: 3 });
    assert.equal(parseKubeTag('v1.37'), undefined);
    assert.equal(parseKubeTag('latest'), undefined);
  });

  it('allows the next minor, a newer patch and the same version', () => {
    checkKubeUpgrade('v1.36.3', 'v1.37.2');
    checkKubeUpgrade('v1.37.0', 'v1.37.2');
    checkKubeUpgrade('v1.37.2', 'v1.37.2');
  });

  it("refuses a downgrade with Magnum's InvalidVersion message, naming both versions", () => {
    assert.throws(
      () => checkKubeUpgrade('v1.37.2', 'v1.36.3'),
      refusal(
        /^Received invalid tag for kube_tag\. v1\.36\.3 is older than v1\.37\.2, .*downgrades are not supported\.$/,
      ),
    );
    assert.throws(() => checkKubeUpgrade('v1.37.2', 'v1.37.1'), refusal(/v1\.37\.1 is older than v1\.37\.2/));
  });

  it('refuses skipping a minor version (or changing the major) and says which minor comes first', () => {
    assert.throws(
      () => checkKubeUpgrade('v1.35.0', 'v1.37.2'),
      refusal(
        /^Received invalid tag for kube_tag\. v1\.35\.0 to v1\.37\.2 skips a minor version: .*\(to v1\.36\.x first\)\.$/,
      ),
    );
    assert.throws(() => checkKubeUpgrade('v1.37.2', 'v2.0.0'), refusal(/skips a minor version/));
  });

  it('does not compare tags that do not parse (as Magnum skips them)', () => {
    checkKubeUpgrade('custom', 'v1.37.2');
  });

  it("a node group's version: its own label, else the cluster's, else the default", () => {
    assert.equal(groupKubeTag({ kube_tag: 'v1.36.3' }, { kube_tag: 'v1.37.2' }), 'v1.36.3');
    assert.equal(groupKubeTag({}, { kube_tag: 'v1.36.3' }), 'v1.36.3');
    assert.equal(groupKubeTag({}, {}), DEFAULT_KUBE_TAG);
  });
});
