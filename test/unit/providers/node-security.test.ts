import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingCapabilities, readCapBnd, securityHostConfig } from '../../../src/providers/docker/node-security.ts';

void describe('node security helpers', () => {
  void it('finds the capabilities missing from a bounding set', () => {
    assert.deepEqual(missingCapabilities('000001fffeffffff'), ['SYS_RESOURCE']);
    assert.deepEqual(missingCapabilities('000001ffffffffff'), []);
    assert.deepEqual(missingCapabilities('000001fffefffffc'), ['CHOWN', 'DAC_OVERRIDE', 'SYS_RESOURCE']);
    // bits beyond CHECKPOINT_RESTORE (40) are not capabilities Docker knows
    assert.deepEqual(missingCapabilities('000000fffeffffff'), ['SYS_RESOURCE', 'CHECKPOINT_RESTORE']);
  });

  void it('reads CapBnd from a proc status file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-caps-'));
    try {
      const file = join(dir, 'status');
      writeFileSync(file, 'Name:\tnode\nCapEff:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0\n');
      assert.equal(await readCapBnd(file), '000001fffeffffff');
      writeFileSync(file, 'Name:\tnode\n');
      await assert.rejects(readCapBnd(file), /no CapBnd/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('gives Privileged for the privileged mode and the emulation flags otherwise', () => {
    assert.deepEqual(securityHostConfig({ mode: 'privileged' }), { Privileged: true });
    assert.deepEqual(securityHostConfig({ mode: 'emulated', capDrop: ['SYS_RESOURCE'] }), {
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      MaskedPaths: [],
      ReadonlyPaths: [],
      DeviceCgroupRules: ['a *:* rwm'],
    });
  });
});
