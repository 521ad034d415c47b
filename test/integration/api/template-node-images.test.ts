/**
 * @module test/integration/api/template-node-images — template create checks the image against the host Docker
 * engine: an image without the `magnetar.node-image` label is refused up front (not when its first node fails to
 * start), and refused requests write nothing. (The `kube_tag` checks, which the route runs once a Kubernetes driver
 * is registered, are tested against the engine in test/integration/providers/kube-image-checks.test.ts.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { tarFiles } from '../../../src/core/tar.ts';
import { IMAGE, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';

const run = randomBytes(4).toString('hex');
const PLAIN_REPO = `magnetar/test-plain-debian-${run}`;
const PLAIN_IMAGE = `${PLAIN_REPO}:1`;
const url = '/v1/clustertemplates';
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

void describe('template create: node images', { timeout: 300_000 }, () => {
  let h: ApiHarness;

  before(async () => {
    h = await startApiHarness();
    // A Debian-labelled image that is not a Magnetar node image (no bootstrap entrypoint, no node-image label).
    await h.engine.importImage(
      Readable.from([tarFiles([{ path: 'etc/os-release', content: 'ID=debian\n' }])]),
      PLAIN_REPO,
      '1',
      ['LABEL os_distro=debian'],
    );
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
});
