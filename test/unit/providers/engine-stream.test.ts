import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonStream } from '../../../src/providers/docker/engine.ts';

void describe('parseJsonStream', () => {
  void it('splits a CRLF-separated progress stream into its objects', () => {
    const text = '{"status":"Loading"}\r\n{"status":"sha256:abc"}\r\n';
    assert.deepEqual(parseJsonStream(text), [{ status: 'Loading' }, { status: 'sha256:abc' }]);
  });

  void it('splits objects written back to back and keeps braces inside strings', () => {
    const text = '{"stream":"a {b} \\"c}"}{"error":"x","errorDetail":{"message":"x"}}';
    assert.deepEqual(parseJsonStream(text), [{ stream: 'a {b} "c}' }, { error: 'x', errorDetail: { message: 'x' } }]);
  });

  void it('skips text that is not JSON', () => {
    assert.deepEqual(parseJsonStream('OK\n{"a":1}\nnoise'), [{ a: 1 }]);
  });
});
