/**
 * @module Reads the operator's policy override file (`policy.file`), in oslo.policy's format: a YAML (or JSON) mapping
 * of rule name to check string, e.g. `"cluster:delete": "rule:admin_api"`. Only the reading is here; the check
 * strings are parsed and checked by core/policy-enforcer.ts.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { StartupError } from './startup-error.ts';

/** The rules of a policy file by name. Throws a one-line {@link StartupError} naming the file (and rule) at fault. */
export function readPolicyFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StartupError(
      `policy: cannot read policy.file ${path} (${code ?? (e as Error).message}); create it or unset policy.file (MAGNETAR_POLICY_FILE)`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    throw new StartupError(`policy: ${path} is not YAML: ${first}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new StartupError(`policy: ${path} must hold a mapping of rule name to check string`);
  const rules: Record<string, string> = {};
  for (const [name, check] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof check !== 'string')
      throw new StartupError(
        `policy: rule ${name} in ${path} must be a check string (got ${JSON.stringify(check) ?? String(check)}); quote it, e.g. "${name}": "rule:admin_api"`,
      );
    rules[name] = check;
  }
  return rules;
}
