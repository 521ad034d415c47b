import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installNodeScripts, nodeImageInputs } from '../../../src/providers/docker/image-inputs.ts';

void describe('node image inputs', () => {
  const scripts = (dir: string, init: string): void => {
    mkdirSync(join(dir, 'node'), { recursive: true });
    writeFileSync(join(dir, 'build-node-rootfs.sh'), 'debootstrap\n');
    writeFileSync(join(dir, 'node/magnetar-node-init'), init);
    writeFileSync(join(dir, 'node/magnetar-supervise'), 'supervise\n');
  };

  void it('hashes the build script, the node scripts and the image changes; any change changes the hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-inputs-'));
    try {
      scripts(dir, 'init v1\n');
      const a = await nodeImageInputs(dir, ['ENTRYPOINT ["/x"]']);
      assert.match(a, /^[0-9a-f]{16}$/);
      assert.equal(await nodeImageInputs(dir, ['ENTRYPOINT ["/x"]']), a, 'stable for the same inputs');
      assert.notEqual(await nodeImageInputs(dir, ['ENTRYPOINT ["/y"]']), a);
      scripts(dir, 'init v2\n');
      assert.notEqual(await nodeImageInputs(dir, ['ENTRYPOINT ["/x"]']), a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('installs the node scripts into a root filesystem at /usr/local/sbin, executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-inputs-'));
    try {
      scripts(join(dir, 'scripts'), 'init\n');
      await installNodeScripts(join(dir, 'scripts'), join(dir, 'rootfs'));
      for (const name of ['magnetar-node-init', 'magnetar-supervise']) {
        const path = join(dir, 'rootfs/usr/local/sbin', name);
        assert.equal(statSync(path).mode & 0o777, 0o755);
      }
      assert.equal(readFileSync(join(dir, 'rootfs/usr/local/sbin/magnetar-node-init'), 'utf8'), 'init\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
