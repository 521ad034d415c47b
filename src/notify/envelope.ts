/**
 * @module The oslo.messaging notification message, its request-context keys and the `messagingv2` envelope, serialized
 * as Python's `json.dumps` does (separators `, ` and `: `, non-ASCII escaped) so the bytes match what Magnum sends.
 */
import { randomUUID } from 'node:crypto';

/** Notification priority; Magnum uses ERROR for failures, INFO otherwise. */
export type Priority = 'INFO' | 'ERROR';

/** The notifier's message before the driver adds `_unique_id` and the context. */
export interface OsloMessage {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: Priority;
  payload: unknown;
  timestamp: string;
}

/** What the request context says about the caller (API requests); absent for the conductor's own events. */
export interface RequestIdentity {
  userId: string | null;
  projectId: string | null;
  domainId?: string | null;
  roles: readonly string[];
  isAdmin: boolean;
  requestId: string | null;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `str()` of a naive UTC datetime: `2024-05-01 10:11:12.123456`, the fraction left out when it is zero. */
export function osloTimestamp(d: Date): string {
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms, 3)}000`;
}

/** `container-infra.<host>`, the publisher id Magnum's notifier is prepared with. */
export function publisherId(host: string): string {
  return `container-infra.${host}`;
}

/** Priority of an outcome: ERROR for failure, else INFO. */
export function priorityOf(outcome: string): Priority {
  return outcome === 'failure' ? 'ERROR' : 'INFO';
}

/** The notifier's message `{message_id, publisher_id, event_type, priority, payload, timestamp}`. */
export function osloMessage(m: {
  eventType: string;
  priority: Priority;
  payload: unknown;
  host: string;
  now: Date;
  messageId?: string;
}): OsloMessage {
  return {
    message_id: m.messageId ?? randomUUID(),
    publisher_id: publisherId(m.host),
    event_type: m.eventType,
    priority: m.priority,
    payload: m.payload,
    timestamp: osloTimestamp(m.now),
  };
}

/**
 * Magnum's `RequestContext.to_dict()` as a context-sanitizing oslo.messaging publishes it: oslo.context's keys, then
 * Magnum's; secrets (`auth_token`, `password`, `trust_id`, `auth_token_info`) are null. Without an identity it is the
 * admin context of Magnum's periodic tasks (no user, no project, `is_admin` and `all_tenants` true).
 */
export function requestContext(who: RequestIdentity | undefined, requestId: string): Record<string, unknown> {
  const user = who?.userId ?? null;
  const project = who?.projectId ?? null;
  const domain = who?.domainId ?? null;
  return {
    user,
    project_id: project,
    system_scope: null,
    project,
    domain,
    user_domain: null,
    project_domain: null,
    is_admin: who ? who.isAdmin : true,
    read_only: false,
    show_deleted: false,
    auth_token: null,
    request_id: who?.requestId ?? requestId,
    global_request_id: null,
    resource_uuid: null,
    roles: who ? [...who.roles] : [],
    user_identity: `${user ?? '-'} ${project ?? '-'} ${domain ?? '-'} - -`,
    is_admin_project: true,
    auth_url: null,
    domain_id: domain,
    domain_name: null,
    user_domain_id: null,
    user_domain_name: null,
    user_name: null,
    user_id: user,
    project_name: null,
    trust_id: null,
    auth_token_info: null,
    password: null,
    all_tenants: !who,
  };
}

/** The message as the AMQP driver sends it: plus `_unique_id` (32 hex) and one `_context_<key>` per context entry. */
export function amqpMessage(
  message: OsloMessage,
  context: Record<string, unknown>,
  uniqueId: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...message, _unique_id: uniqueId };
  for (const [k, v] of Object.entries(context)) out[`_context_${k}`] = v;
  return out;
}

/** The `messagingv2` envelope: `{"oslo.version": "2.0", "oslo.message": "<the message as a JSON string>"}`. */
export function envelopeV2(message: Record<string, unknown>): { 'oslo.version': '2.0'; 'oslo.message': string } {
  return { 'oslo.version': '2.0', 'oslo.message': pythonJson(message) };
}

/** The body published to RabbitMQ: the envelope, serialized like kombu's JSON serializer. */
export function wireBody(message: OsloMessage, context: Record<string, unknown>, uniqueId: string): string {
  return pythonJson(envelopeV2(amqpMessage(message, context, uniqueId)));
}

/** `json.dumps(value)` with Python's defaults: `, ` and `: ` separators, `ensure_ascii=True`. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return pythonString(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${pythonString(k)}: ${pythonJson(v)}`)
        .join(', ')}}`;
    default:
      return 'null';
  }
}

function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
