/** @module test/unit/core/flavors — the flavor table: defaults, limits, parsing from YAML, JSON and the compact form. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';
import { DEFAULT_FLAVORS, flavorLimits, isKnownFlavor, parseFlavorTable } from '../../../src/core/flavors.ts';

const dir = mkdtempSync(join(tmpdir(), 'magnetar-flavors-'));

describe('flavors', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the defaults are m1.tiny to m1.xlarge with their memory and vCPUs', () => {
    assert.deepEqual(
      Object.entries(DEFAULT_FLAVORS).map(([k, f]) => [k, f.memoryMb, f.vcpus]),
      [
        ['m1.tiny', 512, 1],
        ['m1.small', 2048, 1],
        ['m1.medium', 4096, 2],
        ['m1.large', 8192, 4],
        ['m1.xlarge', 16384, 8],
      ],
    );
  });

  test('a flavor maps to container Memory in bytes and NanoCpus; no flavor means no limits; an unknown one is undefined', () => {
    assert.deepEqual(flavorLimits(DEFAULT_FLAVORS, 'm1.tiny'), { memoryBytes: 512 * 1024 * 1024, nanoCpus: 1e9 });
    assert.equal(flavorLimits(DEFAULT_FLAVORS, null), null);
    assert.equal(flavorLimits(DEFAULT_FLAVORS, 'm2.huge'), undefined);
    assert.equal(flavorLimits(DEFAULT_FLAVORS, 'toString'), undefined, 'inherited object keys are not flavors');
    assert.equal(isKnownFlavor(DEFAULT_FLAVORS, 'm1.large'), true);
    assert.equal(isKnownFlavor(DEFAULT_FLAVORS, ''), true);
    assert.equal(isKnownFlavor(DEFAULT_FLAVORS, 'm2.huge'), false);
  });

  test('parses the compact form and JSON, and refuses entries without sizes', () => {
    assert.deepEqual(parseFlavorTable('small=1024:1, half=256:0.5'), {
      small: { memoryMb: 1024, vcpus: 1 },
      half: { memoryMb: 256, vcpus: 0.5 },
    });
    assert.deepEqual(parseFlavorTable('{"x": {"memory_mb": 64, "vcpus": 2}}'), { x: { memoryMb: 64, vcpus: 2 } });
    assert.throws(() => parseFlavorTable('small=1024'), /name=memory_mb:vcpus/);
    assert.throws(() => parseFlavorTable({ x: { memory_mb: 64 } }), /flavor 'x' needs/);
  });

  test('the flavors config key comes from the YAML file or MAGNETAR_FLAVORS, and a bad one is a ConfigError', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'flavors:\n  c1.big:\n    memory_mb: 3072\n    vcpus: 2\n');
    assert.deepEqual(loadConfig({ file, env: {} }).flavors, { 'c1.big': { memoryMb: 3072, vcpus: 2 } });
    assert.deepEqual(loadConfig({ env: { MAGNETAR_FLAVORS: 'a=128:1' } }).flavors, { a: { memoryMb: 128, vcpus: 1 } });
    assert.throws(
      () => loadConfig({ env: { MAGNETAR_FLAVORS: 'a=big' } }),
      (e: unknown) => e instanceof ConfigError && /flavors/.test(e.message),
    );
  });
});
