/** @module Unit tests of `magnetar kubectl`'s command-line split and its reading of the kubeconfig's current cluster. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { currentKubeCluster, splitKubectlArgv } from '../../../src/cli/commands/kubectl.ts';

describe('splitKubectlArgv', () => {
  const argv = (...a: string[]): string[] => ['node', 'magnetar', ...a];
  it('passes everything after kubectl through, options included', () => {
    assert.deepEqual(splitKubectlArgv(argv('kubectl', 'get', 'pods', '-n', 'kube-system', '--help')), {
      head: argv('kubectl'),
      args: ['get', 'pods', '-n', 'kube-system', '--help'],
    });
  });
  it('keeps magnetar global options (and their values) before kubectl', () => {
    assert.deepEqual(splitKubectlArgv(argv('--endpoint', 'http://x:1', '--token=t', 'kubectl', 'version')), {
      head: argv('--endpoint', 'http://x:1', '--token=t', 'kubectl'),
      args: ['version'],
    });
  });
  it('leaves other commands to commander, even with kubectl as an argument', () => {
    assert.equal(splitKubectlArgv(argv('cluster-show', 'kubectl')), null);
    assert.equal(splitKubectlArgv(argv('--endpoint', 'kubectl', 'cluster-list')), null);
  });
});

describe('currentKubeCluster', () => {
  it('reads the current context of the first KUBECONFIG file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubectl-unit-'));
    try {
      const path = join(dir, 'config');
      await writeFile(
        path,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: b',
          'clusters:',
          '- {name: one, cluster: {server: "https://127.0.0.1:1"}}',
          '- {name: two, cluster: {server: "https://127.0.0.1:2"}}',
          'contexts:',
          '- {name: a, context: {cluster: one, user: admin}}',
          '- {name: b, context: {cluster: two, user: admin}}',
        ].join('\n'),
      );
      assert.deepEqual(await currentKubeCluster({ KUBECONFIG: `${path}:/nonexistent` }), {
        name: 'two',
        server: 'https://127.0.0.1:2',
      });
      assert.equal(await currentKubeCluster({ KUBECONFIG: join(dir, 'missing') }), null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
