/**
 * @module cli/policy-commands — `magnetar policy show` (the rules in force after `policy.file` and the two switches,
 * in the policy file's own format; a bad file fails here exactly as at start) and `magnetar policy sample` (every
 * default, commented out, with the route it guards and Magnum 15's default: a starting point for `policy.file`).
 */
import type { Command } from 'commander';
import { buildPolicy, type PolicyEntry } from '../api/policy.ts';
import { ALL_POLICIES } from '../api/policy-table.ts';
import type { Config } from '../config/load.ts';

type ConfigFrom = (o: Record<string, unknown>) => Config;
type Wrap = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => Promise<void>;

const q = (s: string): string => JSON.stringify(s);

/** The effective rules as a policy file (YAML), each preceded by the route it guards and where it comes from. */
export function renderEffectivePolicy(config: Config): string {
  const policy = buildPolicy(ALL_POLICIES, config.policy);
  const overridden = new Set(policy.enforcer.overridden());
  const out = [
    `# Policy in force: policy.file ${config.policy.file ?? '(none)'}; enforce_new_defaults ${String(config.policy.enforceNewDefaults)}; enforce_scope ${String(config.policy.enforceScope)}`,
  ];
  const names = [
    ...ALL_POLICIES.map((e) => e.action),
    ...[...overridden].filter((n) => !ALL_POLICIES.some((e) => e.action === n)),
  ];
  for (const name of names) {
    const entry = ALL_POLICIES.find((e) => e.action === name);
    const notes = [entry?.route, overridden.has(name) ? 'from policy.file' : 'default'].filter(Boolean).join('; ');
    out.push(`# ${notes}`, `${q(name)}: ${q(policy.enforcer.effectiveCheck(name) ?? '!')}`);
  }
  return `${out.join('\n')}\n`;
}

/** Every default commented out, oslopolicy-sample-generator style. */
export function renderSamplePolicy(entries: readonly PolicyEntry[] = ALL_POLICIES): string {
  const out = [
    '# Magnetar policy defaults. Uncomment a rule to change it; the file replaces the rules it names and only those.',
    '# "Magnum 15" is the default while policy.enforce_new_defaults is false (OR\'d with the persona default shown).',
  ];
  for (const e of entries) {
    out.push('');
    if (e.description) out.push(`# ${e.description}`);
    if (e.route) out.push(`# ${e.route}`);
    if (e.scope) out.push(`# Scope types: ${e.scope.join(', ')}`);
    if (e.deprecated) out.push(`# Magnum 15: ${q(e.deprecated)}`);
    out.push(`#${q(e.action)}: ${q(e.check)}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerPolicyCommands(
  program: Command,
  addConfigOptions: (c: Command) => Command,
  configFrom: ConfigFrom,
  wrap: Wrap,
): void {
  const policy = program
    .command('policy')
    .description("the API's policy rules (oslo.policy's language and file format)");
  addConfigOptions(
    policy
      .command('show')
      .description(
        'print the rules in force (defaults, policy.file, the two switches) as a policy file; a bad file fails as at start',
      ),
  ).action(
    wrap(async (o: Record<string, unknown>) => {
      process.stdout.write(renderEffectivePolicy(configFrom(o)));
    }),
  );
  policy
    .command('sample')
    .description(
      'print every default rule, commented out, with its route and Magnum 15 default (a policy.file to start from)',
    )
    .action(
      wrap(async () => {
        process.stdout.write(renderSamplePolicy());
      }),
    );
}
