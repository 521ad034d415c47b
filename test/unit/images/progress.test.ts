/** Image build progress: one line per step with its time; raw output in the log file; failures name the log. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BuildProgress } from '../../../src/images/progress.ts';

const tmp = mkdtempSync(join(tmpdir(), 'magnetar-progress-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('BuildProgress', () => {
  it('shows one line per step and sends raw output to the log file', async () => {
    let shown = '';
    const logFile = join(tmp, 'logs', 'build.log');
    const p = new BuildProgress({ total: 2, logFile, write: (t) => void (shown += t) });
    await p.step('kube binaries v1.37.2', async (ctx) => ctx.raw('go: compiling'));
    await p.step('debian base', async (ctx) => ctx.cached());
    await p.close();
    const lines = shown.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\[image\] step 1\/2 kube binaries v1\.37\.2 … \d+\.\d s$/);
    assert.match(lines[1]!, /^\[image\] step 2\/2 debian base … cached \(\d+\.\d s\)$/);
    assert.match(readFileSync(logFile, 'utf8'), /go: compiling/);
    assert.doesNotMatch(shown, /go: compiling/);
  });

  it('fails a step with the tail of its output and the log path', async () => {
    let shown = '';
    const logFile = join(tmp, 'fail.log');
    const p = new BuildProgress({ total: 1, logFile, write: (t) => void (shown += t) });
    await assert.rejects(
      p.step('flanneld v0.28.10', async (ctx) => {
        ctx.raw('cgo: gcc not found');
        throw new Error('go failed (exit code 1)');
      }),
      (e: Error) =>
        e.message.includes('step "flanneld v0.28.10" failed: go failed (exit code 1)') &&
        e.message.includes('cgo: gcc not found') &&
        e.message.includes(`full log: ${logFile}`),
    );
    await p.close();
    assert.match(shown, /^\[image\] step 1\/1 flanneld v0\.28\.10 … failed after \d+\.\d s\n$/);
  });

  it('logs background notes without showing them or mixing them into the tail of a failed step', async () => {
    let shown = '';
    const logFile = join(tmp, 'note.log');
    const p = new BuildProgress({ total: 1, logFile, write: (t) => void (shown += t) });
    await assert.rejects(
      p.step('etcd v3.7.3', async (ctx) => {
        ctx.raw('etcd: compile error');
        p.note('[prefetch] modules of prometheus v3.16.0 downloaded in 60.1 s');
        throw new Error('go failed (exit code 1)');
      }),
      (e: Error) => e.message.includes('etcd: compile error') && !e.message.includes('[prefetch]'),
    );
    await p.close();
    p.note('[prefetch] a line of a download stopped after the build ended'); // dropped, no write-after-end error
    assert.match(readFileSync(logFile, 'utf8'), /\[prefetch\] modules of prometheus v3\.16\.0 downloaded/);
    assert.doesNotMatch(readFileSync(logFile, 'utf8'), /stopped after the build ended/);
    assert.doesNotMatch(shown, /prefetch/);
  });
});
