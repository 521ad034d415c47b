/**
 * core/image-reference.ts against the authority: for each reference, the host Docker engine refuses it as unparsable
 * (400 on `GET /images/{ref}/json`) exactly when the grammar check names a problem. (Empty path components such as
 * `a//b` are refused by the grammar but cannot be asked this way: the engine's router cleans the URL path first.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { imageReferenceProblem } from '../../../src/core/image-reference.ts';
import { Engine, EngineError } from '../../../src/providers/docker/engine.ts';

const HEX = 'a1'.repeat(32);
const REFS = [
  'debian',
  'debian:12',
  'magnetar/node:bookworm',
  'library/debian:bookworm-slim',
  'localhost:5000/a/b:c',
  'localhost/a',
  'LOCALHOST:5000/a',
  'Registry.Example.com/ns/app:1',
  `registry.example.com:443/ns/app@sha256:${HEX}`,
  `app:1@sha256:${HEX}`,
  '[::1]:5000/a',
  `${'x'.repeat(237)}`,
  `${'x'.repeat(238)}`,
  `ns/${'x'.repeat(242)}`,
  `ns/${'x'.repeat(243)}`,
  'Debian',
  'Fedora-CoreOS-38',
  'Foo/bar',
  'a/B',
  'a__b',
  'a___b',
  'a--b',
  'a.b_c-d',
  'a-',
  '-a',
  'a..b',
  'a:',
  'a:b:c',
  'ubuntu:Latest',
  'ubuntu:.tag',
  `ubuntu:${'t'.repeat(128)}`,
  `ubuntu:${'t'.repeat(129)}`,
  'a@sha256:abc',
  'a@sha256',
  `${'x'.repeat(255)}`,
  `${'x'.repeat(256)}`,
  HEX + HEX.slice(0, 0),
  `sha256:${HEX}`,
  'a b',
  'é',
];

describe('image references: the grammar agrees with the engine', () => {
  const engine = new Engine({ socketPath: '/var/run/docker.sock' });
  after(() => engine.close());

  for (const ref of REFS) {
    it(ref.length > 40 ? `${ref.slice(0, 40)}… (${ref.length})` : ref, async () => {
      let refused = false;
      try {
        await engine.inspectImage(ref);
      } catch (e) {
        if (!(e instanceof EngineError) || e.status !== 400) throw e;
        refused = true;
      }
      assert.equal(imageReferenceProblem(ref) !== undefined, refused, `engine refused: ${refused}`);
    });
  }
});
