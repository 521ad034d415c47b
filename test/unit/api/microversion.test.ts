/** @module test/unit/api/microversion — OpenStack-API-Version negotiation for container-infra 1.1 … 1.10. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { atLeast, negotiate, prefersJson, versionHeaders, type Negotiation } from '../../../src/api/microversion.ts';

const version = (n: Negotiation): string => {
  assert.ok(n.ok, `expected a version, got ${JSON.stringify(n)}`);
  return `${n.version.major}.${n.version.minor}`;
};

void describe('negotiate', () => {
  test('gives 1.1 when there is no header', () => assert.equal(version(negotiate(undefined, true)), '1.1'));

  const ok: [string, string, string][] = [
    ['gives the maximum 1.10 for latest', 'container-infra latest', '1.10'],
    ['reads latest case-insensitively', 'container-infra LATEST', '1.10'],
    ['ignores the service name with latest, as Magnum does', 'compute latest', '1.10'],
    ['accepts the minimum', 'container-infra 1.1', '1.1'],
    ['compares minors numerically (1.10 above 1.9)', 'container-infra 1.9', '1.9'],
    ['accepts surrounding whitespace', '  container-infra   1.10 ', '1.10'],
    // Python's int() reads each component: leading zeros, a sign, `_` between digits, any Unicode decimal digits.
    ['reads leading zeros as Python int() does', 'container-infra 01.010', '1.10'],
    ['reads a plus sign', 'container-infra +1.+5', '1.5'],
    ['reads underscores between digits', 'container-infra 1.1_0', '1.10'],
    ['reads Arabic-Indic digits', 'container-infra \u0661.\u0665', '1.5'],
    ['reads mathematical digits (a run of fifty)', 'container-infra \u{1D7CF}.\u{1D7D3}', '1.5'],
  ];
  for (const [name, header, want] of ok) test(name, () => assert.equal(version(negotiate(header, false)), want));

  const unsupported: [string, string, RegExp][] = [
    [
      'refuses 1.11 as an unsupported minor',
      '1.11',
      /^Version 1\.11 was requested but the minor version is not supported by this service\. The supported version range is: \[container-infra 1\.1, container-infra 1\.10\]\.$/,
    ],
    ['refuses 1.0 as an unsupported minor', '1.0', /^Version 1\.0 was requested but the minor version/],
    [
      'refuses 2.0 as a mutually exclusive major',
      '2.0',
      /^Mutually exclusive versions requested\. Version 2\.0 requested but not supported by this service\.The supported version range is: \[container-infra 1\.1, container-infra 1\.10\]\.$/,
    ],
  ];
  for (const [name, value, description] of unsupported) {
    test(name, () => {
      const n = negotiate(`container-infra ${value}`, true);
      assert.ok(!n.ok && n.kind === 'unsupported');
      assert.equal(n.requested, value);
      const body = n.body as { errors: Record<string, unknown>[] };
      assert.deepEqual(body, {
        errors: [
          {
            code: 'magnum.microversion-unsupported',
            title: 'Requested microversion is unsupported',
            description: body.errors[0]?.description,
            max_version: '1.10',
            min_version: '1.1',
            links: [{ rel: 'help', href: 'http://docs.openstack.org/api-guide/compute/microversions.html' }],
          },
        ],
      });
      // Magnum's member order with Pecan's JSON rendering.
      assert.deepEqual(Object.keys(body.errors[0] ?? {}), [
        'code',
        'title',
        'description',
        'max_version',
        'min_version',
        'links',
      ]);
      assert.match((n.body as { errors: { description: string }[] }).errors[0]?.description ?? '', description);
    });
  }

  test('leaves the description out when the client does not prefer JSON, members in Magnum order', () => {
    const n = negotiate('container-infra 1.11', false);
    assert.ok(!n.ok && n.kind === 'unsupported');
    assert.deepEqual(n.body, {
      errors: [
        {
          max_version: '1.10',
          min_version: '1.1',
          code: 'magnum.microversion-unsupported',
          links: [{ rel: 'help', href: 'http://docs.openstack.org/api-guide/compute/microversions.html' }],
          title: 'Requested microversion is unsupported',
        },
      ],
    });
    assert.deepEqual(Object.keys((n.body as { errors: object[] }).errors[0] ?? {}), [
      'max_version',
      'min_version',
      'code',
      'links',
      'title',
    ]);
  });

  const echoed: [string, string][] = [
    ['container-infra 1.011', '1.11'],
    ['container-infra 2.0', '2.0'],
    ['container-infra 0.9', '0.9'],
    ['container-infra -1.5', '-1.5'],
    ['container-infra 1.-0', '1.0'],
    ['container-infra 99999999999999999999.1', '99999999999999999999.1'],
  ];
  for (const [header, requested] of echoed) {
    test(`echoes ${header} as ${requested}`, () => {
      const n = negotiate(header, false);
      assert.ok(!n.ok && n.kind === 'unsupported');
      assert.equal(n.requested, requested);
    });
  }

  const malformed: [string, string, string][] = [
    ['refuses a single token', '1.5', 'Invalid service type for OpenStack-API-Version header'],
    ['refuses three tokens', 'container-infra 1.5 extra', 'Invalid service type for OpenStack-API-Version header'],
    ['refuses another service name', 'compute 1.5', 'Invalid service type for OpenStack-API-Version header'],
    [
      'refuses the service name in another case',
      'Container-Infra 1.5',
      'Invalid service type for OpenStack-API-Version header',
    ],
    ['refuses a non-numeric version', 'container-infra 1.x', 'Invalid value for OpenStack-API-Version header'],
    ['refuses a version with three parts', 'container-infra 1.5.1', 'Invalid value for OpenStack-API-Version header'],
    ['refuses an empty header', '', 'Invalid service type for OpenStack-API-Version header'],
    ['refuses a blank header', '   ', 'Invalid service type for OpenStack-API-Version header'],
    ['refuses an empty minor', 'container-infra 1.', 'Invalid value for OpenStack-API-Version header'],
    ['refuses a doubled underscore', 'container-infra 1.1__0', 'Invalid value for OpenStack-API-Version header'],
    ['refuses a trailing underscore', 'container-infra 1.1_', 'Invalid value for OpenStack-API-Version header'],
  ];
  for (const [name, header, detail] of malformed) {
    test(name, () => assert.deepEqual(negotiate(header, true), { ok: false, kind: 'malformed', detail }));
  }
});

void describe('prefersJson (WebOb acceptable_offers over text/plain, text/html, application/json)', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', true],
    ['application/*', true],
    ['application/json, */*', false],
    ['*/*, application/json', false],
    ['application/json, text/plain', false],
    ['text/html, application/json', false],
    ['application/json;q=1, */*;q=0.5', true],
    ['application/json, */*;q=0.9', true],
    ['application/json;q=0.9', true],
    ['text/plain;q=0, text/html;q=0, application/json;q=0.1', true],
    ['application/json;q=0', false],
    ['image/png', false],
    ['APPLICATION/JSON', true],
    ['application/json;charset=utf-8', false],
    ['application/json;q=abc', false],
    ['not a media range', false],
  ];
  for (const [accept, want] of cases)
    test(`${String(accept)} -> ${want}`, () => assert.equal(prefersJson(accept), want));
});

void describe('versionHeaders and atLeast', () => {
  test('sets the four version headers for the negotiated version', () => {
    assert.deepEqual(versionHeaders({ major: 1, minor: 10 }), {
      'OpenStack-API-Minimum-Version': 'container-infra 1.1',
      'OpenStack-API-Maximum-Version': 'container-infra 1.10',
      'OpenStack-API-Version': 'container-infra 1.10',
      Vary: 'OpenStack-API-Version',
    });
  });

  test('compares a version with a minor', () => {
    assert.equal(atLeast({ major: 1, minor: 10 }, 10), true);
    assert.equal(atLeast({ major: 1, minor: 9 }, 10), false);
  });
});
