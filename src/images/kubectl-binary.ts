/**
 * @module images/kubectl-binary — where the `kubectl` of a Kubernetes version is: the multicall `kube` binary of the
 * image build, linked as `kubectl` in its cache output `<cache>/k8s/<kube_tag>-<inputs hash>/`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isComplete } from './build-cache.ts';

/** The `kubectl` of `kubeTag` in the build cache (the newest complete build of that tag), or null when none is. */
export async function findKubectl(cacheDir: string, kubeTag: string): Promise<string | null> {
  const root = join(cacheDir, 'k8s');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return null;
  }
  const found: Array<{ path: string; mtime: number }> = [];
  for (const name of names) {
    if (!name.startsWith(`${kubeTag}-`) || !/^[0-9a-f]{16}$/.test(name.slice(kubeTag.length + 1))) continue;
    const dir = join(root, name);
    if (!(await isComplete(dir))) continue;
    const path = join(dir, 'kubectl');
    try {
      found.push({ path, mtime: (await stat(join(dir, '.complete'))).mtimeMs });
      await stat(path);
    } catch {
      found.pop();
    }
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return found[0]?.path ?? null;
}
