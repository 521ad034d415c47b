/** @module Unit test of splitting Docker's multiplexed exec/log stream into stdout and stderr. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demuxOutput } from '../../../src/docker-api/exec-stdin.ts';

const frame = (stream: number, text: string): Buffer => {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('demuxOutput', () => {
  it('splits frames by stream, in order, and drops a truncated tail', () => {
    const data = Buffer.concat([frame(1, 'a'), frame(2, 'err'), frame(1, 'b\n'), frame(1, 'cut').subarray(0, 5)]);
    assert.deepEqual(demuxOutput(data), { stdout: 'ab\n', stderr: 'err' });
  });
});
