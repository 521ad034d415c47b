/** @module test/unit/api/microversion — OpenStack-API-Version negotiation for container-infra 1.1 … 1.10. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { atLeast, negotiate, versionHeaders, type Negotiation } from '../../../src/api/microversion.ts';

const version = (n: Negotiation): string => {
  assert.ok(n.ok, `expected a version, got ${JSON.stringify(n)}`);
  return `${n.version.major}.${n.version.minor}`;
};

void describe('negotiate', () => {
  test('gives 1.1 when there is no header', () => assert.equal(version(negotiate(undefined)), '1.1'));

  const ok: [string, string, string][] = [
    ['gives the maximum 1.10 for latest', 'container-infra latest', '1.10'],
    ['reads latest case-insensitively', 'container-infra LATEST', '1.10'],
    ['ignores the service name with latest, as Magnum does', 'compute latest', '1.10'],
    ['accepts the minimum', 'container-infra 1.1', '1.1'],
    ['compares minors numerically (1.10 above 1.9)', 'container-infra 1.9', '1.9'],
    ['accepts surrounding whitespace', '  container-infra   1.10 ', '1.10'],
  ];
  for (const [name, header, want] of ok) test(name, () => assert.equal(version(negotiate(header)), want));

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
      const n = negotiate(`container-infra ${value}`);
      assert.ok(!n.ok && n.kind === 'unsupported');
      assert.deepEqual(n.body, {
        errors: [
          {
            code: 'magnum.microversion-unsupported',
            title: 'Requested microversion is unsupported',
            description: (n.body as { errors: { description: string }[] }).errors[0]?.description,
            min_version: '1.1',
            max_version: '1.10',
            links: [{ rel: 'help', href: 'http://docs.openstack.org/api-guide/compute/microversions.html' }],
          },
        ],
      });
      assert.match((n.body as { errors: { description: string }[] }).errors[0]?.description ?? '', description);
    });
  }

  test('leaves the description out when the client does not accept JSON', () => {
    const n = negotiate('container-infra 1.11', false);
    assert.ok(!n.ok && n.kind === 'unsupported');
    assert.equal('description' in ((n.body as { errors: object[] }).errors[0] ?? {}), false);
  });

  const malformed: [string, string, string][] = [
    ['refuses a single token', '1.5', 'Invalid value for OpenStack-API-Version header'],
    ['refuses three tokens', 'container-infra 1.5 extra', 'Invalid value for OpenStack-API-Version header'],
    ['refuses another service name', 'compute 1.5', 'Invalid service type for OpenStack-API-Version header'],
    [
      'refuses the service name in another case',
      'Container-Infra 1.5',
      'Invalid service type for OpenStack-API-Version header',
    ],
    ['refuses a non-numeric version', 'container-infra 1.x', 'Invalid value for OpenStack-API-Version header'],
    ['refuses a version with three parts', 'container-infra 1.5.1', 'Invalid value for OpenStack-API-Version header'],
    ['refuses an empty header', '', 'Invalid value for OpenStack-API-Version header'],
  ];
  for (const [name, header, detail] of malformed) {
    test(name, () => assert.deepEqual(negotiate(header), { ok: false, kind: 'malformed', detail }));
  }
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
