/**
 * @module test/integration/providers/kube-image-checks — the checks a Kubernetes template's image gets at create
 * (`checkKubeImage`, `checkNodeImage` over the Docker image catalog), run against the host engine: an unsupported
 * `kube_tag` names the label and the supported versions, a supported one whose image is not built says the exact
 * command that builds it, a built one gives its node image.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { MagnumError } from '../../../src/core/errors.ts';
import {
  checkKubeImage,
  checkNodeImage,
  kubeImageBuildCommand,
  kubeNodeImage,
  supportedKubeTags,
} from '../../../src/core/kube-versions.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { dockerImageCatalog } from '../../../src/providers/docker/image-catalog.ts';

const SOCKET = '/var/run/docker.sock';
const engine = existsSync(SOCKET) ? new Engine({ socketPath: SOCKET }) : null;
const built: string[] = [];
const unbuilt: string[] = [];
for (const tag of engine ? supportedKubeTags() : []) {
  ((await engine?.inspectImage(kubeNodeImage(tag))) ? built : unbuilt).push(tag);
}
const is400 = (message: string) => (e: unknown) =>
  e instanceof MagnumError && e.status === 400 && e.message === message;

void describe('kube_tag checks against the host engine', { skip: engine ? false : `no ${SOCKET}` }, () => {
  const images = dockerImageCatalog(engine as Engine, 0);
  after(() => engine?.close());

  it('refuses an unsupported kube_tag naming the label and the supported versions', async () => {
    await assert.rejects(
      checkKubeImage(images, { kube_tag: 'v1.20.0' }),
      is400(
        `Label kube_tag=v1.20.0 is not a supported Kubernetes version; supported: ${supportedKubeTags().join(', ')}.`,
      ),
    );
  });

  it('refuses a supported kube_tag whose image is not built, saying how to build it', async (t) => {
    const tag = unbuilt[0];
    if (!tag) return t.skip('every supported kube_tag has its image built on this engine');
    await assert.rejects(
      checkKubeImage(images, { kube_tag: tag }),
      is400(
        `Label kube_tag=${tag}: the node image ${kubeNodeImage(tag)} is not built; ` +
          `build it with "${kubeImageBuildCommand(tag)}".`,
      ),
    );
  });

  it('gives the node image of a built kube_tag, a Kubernetes node image', async (t) => {
    const tag = built[0];
    if (!tag) return t.skip(`no Kubernetes node image is built (${kubeImageBuildCommand(supportedKubeTags()[0]!)})`);
    assert.equal(await checkKubeImage(images, { kube_tag: tag }), kubeNodeImage(tag));
    assert.equal(await checkNodeImage(images, kubeNodeImage(tag)), 'kubernetes');
  });

  it('refuses an image without the node-image label (the Kubernetes base is not a node image)', async (t) => {
    if (!(await engine?.inspectImage('magnetar/k8s-base:bookworm')))
      return t.skip('magnetar/k8s-base:bookworm not built');
    await assert.rejects(
      checkNodeImage(images, 'magnetar/k8s-base:bookworm'),
      (e: unknown) =>
        e instanceof MagnumError &&
        e.status === 400 &&
        e.message.startsWith('Image magnetar/k8s-base:bookworm is not a Magnetar node image'),
    );
  });
});
