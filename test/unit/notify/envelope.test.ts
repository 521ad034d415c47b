/** The oslo.messaging message, context keys and messagingv2 envelope against the reference (§9.3, §9.4). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  amqpMessage,
  envelopeV2,
  osloMessage,
  osloTimestamp,
  priorityOf,
  publisherId,
  pythonJson,
  requestContext,
  wireBody,
} from '../../../src/notify/envelope.ts';

const CONTEXT_KEYS = [
  'user',
  'project_id',
  'system_scope',
  'project',
  'domain',
  'user_domain',
  'project_domain',
  'is_admin',
  'read_only',
  'show_deleted',
  'auth_token',
  'request_id',
  'global_request_id',
  'resource_uuid',
  'roles',
  'user_identity',
  'is_admin_project',
  'auth_url',
  'domain_id',
  'domain_name',
  'user_domain_id',
  'user_domain_name',
  'user_name',
  'user_id',
  'project_name',
  'trust_id',
  'auth_token_info',
  'password',
  'all_tenants',
];

describe('the oslo.messaging notification message', () => {
  it('has the six keys in order, publisher container-infra.<host>, upper-case priority and str(datetime) timestamp', () => {
    const m = osloMessage({
      eventType: 'magnum.cluster.create',
      priority: 'INFO',
      payload: { a: 1 },
      host: 'ctl1',
      now: new Date('2024-05-01T10:11:12.123Z'),
    });
    assert.deepEqual(Object.keys(m), ['message_id', 'publisher_id', 'event_type', 'priority', 'payload', 'timestamp']);
    assert.match(m.message_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(m.publisher_id, 'container-infra.ctl1');
    assert.equal(m.timestamp, '2024-05-01 10:11:12.123000');
    assert.equal(publisherId('h'), 'container-infra.h');
  });

  it('leaves the fraction out of the timestamp when it is zero', () => {
    assert.equal(osloTimestamp(new Date('2024-05-01T10:11:12.000Z')), '2024-05-01 10:11:12');
  });

  it('is ERROR for failures and INFO otherwise', () => {
    assert.equal(priorityOf('failure'), 'ERROR');
    assert.equal(priorityOf('pending'), 'INFO');
    assert.equal(priorityOf('success'), 'INFO');
  });
});

describe('the request context of a notification', () => {
  it("has oslo.context's keys then Magnum's, with the caller's identity and no secrets", () => {
    const ctx = requestContext(
      { userId: 'u-1', projectId: 'p-1', roles: ['member'], isAdmin: false, requestId: 'req-1' },
      'req-unused',
    );
    assert.deepEqual(Object.keys(ctx), CONTEXT_KEYS);
    assert.equal(ctx.user_id, 'u-1');
    assert.equal(ctx.project_id, 'p-1');
    assert.equal(ctx.request_id, 'req-1');
    assert.deepEqual(ctx.roles, ['member']);
    assert.equal(ctx.user_identity, 'u-1 p-1 - - -');
    for (const secret of ['auth_token', 'password', 'trust_id', 'auth_token_info']) assert.equal(ctx[secret], null);
  });

  it('is an admin context without user or project for the conductor', () => {
    const ctx = requestContext(undefined, 'req-2');
    assert.equal(ctx.user_id, null);
    assert.equal(ctx.is_admin, true);
    assert.equal(ctx.all_tenants, true);
    assert.equal(ctx.request_id, 'req-2');
  });
});

describe('the messagingv2 envelope', () => {
  it('wraps the message as a JSON string under oslo.message, with _unique_id and _context_* keys added', () => {
    const m = osloMessage({
      eventType: 'magnum.cluster.create',
      priority: 'INFO',
      payload: { x: 'y' },
      host: 'ctl1',
      now: new Date('2024-05-01T10:11:12Z'),
      messageId: 'm-1',
    });
    const body = wireBody(m, { user_id: 'u-1', auth_token: null }, '9b1f'.padEnd(32, '0'));
    assert.equal(
      body,
      '{"oslo.version": "2.0", "oslo.message": "{\\"message_id\\": \\"m-1\\", \\"publisher_id\\": \\"container-infra.ctl1\\", ' +
        '\\"event_type\\": \\"magnum.cluster.create\\", \\"priority\\": \\"INFO\\", \\"payload\\": {\\"x\\": \\"y\\"}, ' +
        '\\"timestamp\\": \\"2024-05-01 10:11:12\\", \\"_unique_id\\": \\"9b1f0000000000000000000000000000\\", ' +
        '\\"_context_user_id\\": \\"u-1\\", \\"_context_auth_token\\": null}"}',
    );
    const outer = JSON.parse(body) as Record<string, string>;
    assert.deepEqual(Object.keys(outer), ['oslo.version', 'oslo.message']);
    const inner = JSON.parse(outer['oslo.message'] as string) as Record<string, unknown>;
    assert.deepEqual(inner, amqpMessage(m, { user_id: 'u-1', auth_token: null }, '9b1f0000000000000000000000000000'));
    assert.equal(envelopeV2(inner)['oslo.version'], '2.0');
  });

  it("serializes as Python's json.dumps does", () => {
    // Expected strings printed by CPython 3.11's json.dumps.
    assert.equal(
      pythonJson({ a: [1, 2.5, null, true], b: 'é\u2603\n"\\\x7f\x01 😀', c: {}, d: [] }),
      '{"a": [1, 2.5, null, true], "b": "\\u00e9\\u2603\\n\\"\\\\\\u007f\\u0001 \\ud83d\\ude00", "c": {}, "d": []}',
    );
    assert.equal(
      pythonJson({ 'oslo.version': '2.0', 'oslo.message': pythonJson({ x: 'y', n: -3 }) }),
      '{"oslo.version": "2.0", "oslo.message": "{\\"x\\": \\"y\\", \\"n\\": -3}"}',
    );
  });
});
