/**
 * @module test/integration/api/template-node-images — template create checks the image against the host Docker
 * engine: an image without the `magnetar.node-image` label is refused up front (not when its first node fails to
 * start), and a Kubernetes template's `kube_tag` must be a supported version whose node image is built. Refused
 * requests write nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  KUBE_TAG_LABEL,
  kubeImageBuildCommand,
  kubeNodeImage,
  supportedKubeTags,
} from '../../../src/core/kube-versions.ts';
import { tarFiles } from '../../../src/providers/docker/tar.ts';
import { IMAGE, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';

const run = randomBytes(4).toString('hex');
const PLAIN_REPO = `magnetar/test-plain-debian-${run}`;
const PLAIN_IMAGE = `${PLAIN_REPO}:1`;
const url = '/v1/clustertemplates';
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

void describe('template create: node images and kube_tag', { timeout: 300_000 }, () => {
  let h: ApiHarness;
  let unbuiltTag: string | undefined;

  before(async () => {
    h = await startApiHarness();
    // A Debian-labelled image that is not a Magnetar node image (no bootstrap entrypoint, no node-image label).
    await h.engine.importImage(
      Readable.from([tarFiles([{ path: 'etc/os-release', content: 'ID=debian\n' }])]),
      PLAIN_REPO,
      '1',
      ['LABEL os_distro=debian'],
    );
    for (const tag of supportedKubeTags()) {
      if (!(await h.engine.inspectImage(kubeNodeImage(tag)))) unbuiltTag ??= tag;
    }
  });

  after(async () => {
    if (!h) return;
    await h.engine.removeImage(PLAIN_IMAGE);
    await h.close();
  });

  test('an image without the magnetar.node-image label is refused as not a node image', () =>
    h.expectRefused({
      name: 'plain image',
      url,
      body: { coe: 'swarm-mode', image_id: PLAIN_IMAGE, server_type: 'container' },
      status: 400,
      detail: new RegExp(
        `^Image ${escape(PLAIN_IMAGE)} is not a Magnetar node image \\(it has no magnetar\\.node-image label\\); ` +
          'build one with "magnetar image build"',
      ),
    }));

  test('the swarm node image is a node image and is accepted', async () => {
    const t = await h.createTemplate({ name: `swarm-${run}`, coe: 'swarm-mode', image_id: IMAGE });
    assert.equal(t.image_id, IMAGE);
  });

  test('an unsupported kube_tag is refused naming the label and the supported versions', () =>
    h.expectRefused({
      name: 'unsupported kube_tag',
      url,
      body: { coe: 'kubernetes', image_id: IMAGE, server_type: 'container', labels: { kube_tag: 'v1.20.0' } },
      status: 400,
      detail: new RegExp(
        `^Label ${KUBE_TAG_LABEL}=v1\\.20\\.0 is not a supported Kubernetes version; supported: ` +
          `${escape(supportedKubeTags().join(', '))}\\.$`,
      ),
    }));

  test('a supported kube_tag whose image is not built is refused with the command that builds it', async (t) => {
    if (!unbuiltTag) return t.skip('every supported kube_tag has its image built on this engine');
    await h.expectRefused({
      name: 'unbuilt kube_tag',
      url,
      body: { coe: 'kubernetes', image_id: IMAGE, server_type: 'container', labels: { kube_tag: unbuiltTag } },
      status: 400,
      detail: new RegExp(
        `^Label kube_tag=${escape(unbuiltTag)}: the node image ${escape(kubeNodeImage(unbuiltTag))} is not built; ` +
          `build it with "${escape(kubeImageBuildCommand(unbuiltTag))}"\\.$`,
      ),
    });
  });
});
