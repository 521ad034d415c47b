/** The image catalog keeps answers for existing images briefly and always asks again about missing ones. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Engine } from '../../../src/providers/docker/engine.ts';
import { dockerImageCatalog } from '../../../src/providers/docker/image-catalog.ts';

function fakeEngine(images: Map<string, Record<string, string>>): { engine: Engine; calls: () => number } {
  let calls = 0;
  const engine = {
    inspectImage: async (name: string) => {
      calls += 1;
      const labels = images.get(name);
      return labels ? { Config: { Labels: labels } } : null;
    },
  } as unknown as Engine;
  return { engine, calls: () => calls };
}

describe('dockerImageCatalog', () => {
  it('answers an existing image from its label and asks the engine once within the TTL', async () => {
    let t = 0;
    const { engine, calls } = fakeEngine(new Map([['img', { os_distro: 'debian' }]]));
    const cat = dockerImageCatalog(engine, 1000, () => t);
    assert.equal(await cat.osDistro('img'), 'debian');
    assert.equal(await cat.osDistro('img'), 'debian');
    assert.equal(calls(), 1);
    t = 1500;
    assert.equal(await cat.osDistro('img'), 'debian');
    assert.equal(calls(), 2, 'asked again after the TTL');
  });

  it('never caches a missing image, so one built a moment later is found', async () => {
    const images = new Map<string, Record<string, string>>();
    const { engine, calls } = fakeEngine(images);
    const cat = dockerImageCatalog(engine, 60_000, () => 0);
    assert.equal(await cat.osDistro('later'), undefined);
    images.set('later', {});
    assert.equal(await cat.osDistro('later'), null, 'exists, without os_distro');
    assert.equal(calls(), 2);
  });

  it('answers labels from the same cached inspection as os_distro', async () => {
    const { engine, calls } = fakeEngine(
      new Map([['node', { os_distro: 'debian', 'magnetar.node-image': 'kubernetes' }]]),
    );
    const cat = dockerImageCatalog(engine, 60_000, () => 0);
    assert.deepEqual(await cat.labels('node'), { os_distro: 'debian', 'magnetar.node-image': 'kubernetes' });
    assert.equal(await cat.osDistro('node'), 'debian');
    assert.equal(await cat.labels('none'), undefined);
    assert.equal(calls(), 2);
  });
});

describe('dockerImageCatalog memory', () => {
  it('keeps at most its byte bound of answers, however many names are asked for', async () => {
    const images = new Map<string, Record<string, string>>();
    for (let i = 0; i < 900; i++) images.set(`${'n'.repeat(240)}${i}`, { os_distro: 'debian' });
    const { engine, calls } = fakeEngine(images);
    const cat = dockerImageCatalog(engine, 60_000, () => 0, 64 * 1024);
    for (const name of images.keys()) await cat.osDistro(name);
    const last = [...images.keys()].at(-1) as string;
    const first = [...images.keys()][0] as string;
    const before = calls();
    await cat.osDistro(last);
    assert.equal(calls(), before, 'a recent answer is kept');
    await cat.osDistro(first);
    assert.equal(calls(), before + 1, 'an old answer was dropped to stay under 64 KiB');
  });
});
