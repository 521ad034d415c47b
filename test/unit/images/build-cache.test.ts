/** Build outputs are keyed by their inputs and appear atomically. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inputsHash, isComplete, produceDir } from '../../../src/images/build-cache.ts';

const tmp = mkdtempSync(join(tmpdir(), 'magnetar-build-cache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('build cache', () => {
  it('hashes inputs independently of their order, and any change of a name or content changes it', () => {
    const a = inputsHash([
      ['go.mod', 'x'],
      ['flags', '-s -w'],
    ]);
    assert.equal(
      a,
      inputsHash([
        ['flags', '-s -w'],
        ['go.mod', 'x'],
      ]),
    );
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.notEqual(
      a,
      inputsHash([
        ['go.mod', 'y'],
        ['flags', '-s -w'],
      ]),
    );
    assert.notEqual(
      a,
      inputsHash([
        ['go.sum', 'x'],
        ['flags', '-s -w'],
      ]),
    );
    assert.notEqual(inputsHash([['a', 'bc']]), inputsHash([['ab', 'c']]));
  });

  it('publishes a finished output and leaves nothing when filling fails', async () => {
    const out = join(tmp, 'k8s', 'v1-abc');
    assert.equal(await isComplete(out), false);
    await produceDir(out, async (dir) => writeFileSync(join(dir, 'kube'), 'bin'));
    assert.equal(await isComplete(out), true);
    const failed = join(tmp, 'k8s', 'v2-def');
    await assert.rejects(
      produceDir(failed, async (dir) => {
        writeFileSync(join(dir, 'half'), 'x');
        throw new Error('compile error');
      }),
      /compile error/,
    );
    assert.equal(existsSync(failed), false);
    assert.deepEqual(readdirSync(join(tmp, 'k8s')), ['v1-abc']);
  });
});
