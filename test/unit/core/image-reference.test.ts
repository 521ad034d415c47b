/** Docker image reference grammar: what is accepted, and the reason given for what is not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkImageReference, imageReferenceProblem } from '../../../src/core/image-reference.ts';

describe('image references', () => {
  it('accepts names, tags, digests, registries with ports and image ids', () => {
    for (const ref of [
      'debian',
      'magnetar/node:bookworm',
      'localhost:5000/team/app:1.2',
      'Registry.Example.com/ns/app:v1',
      `app@sha256:${'0f'.repeat(32)}`,
      `sha256:${'0f'.repeat(32)}`,
    ])
      assert.equal(imageReferenceProblem(ref), undefined, ref);
  });

  it('names the problem', () => {
    const cases: [string, string][] = [
      ['Fedora-CoreOS-38', 'repository name must be lowercase'],
      ['Team/app', 'repository name must be lowercase'],
      ['a:b:c', 'invalid reference format'],
      ['a//b', 'invalid reference format'],
      ['app:-x', 'invalid tag'],
      ['app@md5:1', 'invalid digest'],
      ['bad_host.example.com/app', 'invalid registry host'],
      ['x'.repeat(238), 'repository name must not be more than 255 characters'],
      [':1', 'repository name is empty'],
    ];
    for (const [ref, problem] of cases) assert.equal(imageReferenceProblem(ref), problem, ref);
  });

  it('is a 400 naming the field', () => {
    assert.throws(
      () => checkImageReference('image_id', 'Ubuntu'),
      (e: unknown) =>
        e instanceof Error &&
        (e as { status?: number }).status === 400 &&
        e.message ===
          "Invalid input for field/attribute image_id. Value: 'Ubuntu'. Value should be a Docker image reference: repository name must be lowercase.",
    );
  });
});
