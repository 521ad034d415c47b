/** @module Unit tests of finding a version's kubectl among the build cache's outputs (real files in a temp dir). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findKubectl } from '../../../src/images/kubectl-binary.ts';

async function output(cache: string, name: string, complete: boolean, mtime: number): Promise<string> {
  const dir = join(cache, 'k8s', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'kube'), '#!/bin/sh\n', { mode: 0o755 });
  await symlink('kube', join(dir, 'kubectl'));
  if (complete) {
    await writeFile(join(dir, '.complete'), 'x');
    await utimes(join(dir, '.complete'), mtime, mtime);
  }
  return join(dir, 'kubectl');
}

describe('findKubectl', () => {
  it('picks the newest complete output of the tag, ignoring partial ones and other tags', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'kubectl-cache-'));
    try {
      assert.equal(await findKubectl(cache, 'v1.37.2'), null, 'no k8s dir yet');
      await output(cache, 'v1.37.2-0000000000000001', true, 1_000);
      const newest = await output(cache, 'v1.37.2-0000000000000002', true, 2_000);
      await output(cache, 'v1.37.2-0000000000000003', false, 3_000);
      await output(cache, 'v1.37.2-0000000000000004.partial-12', true, 4_000);
      await output(cache, 'v1.37.20-0000000000000005', true, 5_000);
      const other = await output(cache, 'v1.36.3-0000000000000006', true, 6_000);
      assert.equal(await findKubectl(cache, 'v1.37.2'), newest);
      assert.equal(await findKubectl(cache, 'v1.36.3'), other);
      assert.equal(await findKubectl(cache, 'v1.35.0'), null);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
