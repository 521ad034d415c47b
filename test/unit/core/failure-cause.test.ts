/** Classification of failure causes on the event timeline. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFailure, splitCause, withCause } from '../../../src/core/failure-cause.ts';

describe('failure causes', () => {
  it('classify provider, timeout, spec, capacity and other failures', () => {
    assert.equal(classifyFailure('engines: connect ECONNREFUSED 127.0.0.1:40001'), 'provider-unreachable');
    assert.equal(classifyFailure('nodes: connect ENOENT /var/run/docker.sock'), 'provider-unreachable');
    assert.equal(classifyFailure('ready: nodes not Ready after 60s: master-0'), 'timeout');
    assert.equal(classifyFailure('create did not finish before its deadline (attempt 2)'), 'timeout');
    assert.equal(classifyFailure('network: no free 10.x.y.0/24 subnet left'), 'capacity');
    assert.equal(classifyFailure('nodes: write /var/lib/docker: no space left on device'), 'capacity');
    assert.equal(classifyFailure('plan: a swarm cluster needs at least one master'), 'invalid-spec');
    assert.equal(classifyFailure('cluster template 1234 no longer exists'), 'invalid-spec');
    assert.equal(classifyFailure('Cluster type (vm, None, kubernetes) not supported.'), 'invalid-spec');
    assert.equal(classifyFailure('conductor: Cannot read properties of undefined'), 'internal');
    assert.equal(
      classifyFailure('gave up after 5 attempts; last error: engines: socket hang up'),
      'provider-unreachable',
    );
  });

  it('put the cause in front of the message and read it back', () => {
    const m = withCause('timeout', 'ready: nodes not Ready after 60s');
    assert.equal(m, '[timeout] ready: nodes not Ready after 60s');
    assert.deepEqual(splitCause(m), { cause: 'timeout', message: 'ready: nodes not Ready after 60s' });
    assert.deepEqual(splitCause('[note] something'), { cause: null, message: '[note] something' });
  });
});
