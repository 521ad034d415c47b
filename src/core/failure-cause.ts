/** @module Classifies why an operation step failed, for the event timeline (`[cause] reason`). Pure. */

/** The classes a failure on the timeline is put in. */
export const FAILURE_CAUSES = ['provider-unreachable', 'timeout', 'invalid-spec', 'capacity', 'internal'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

const RULES: [FailureCause, RegExp][] = [
  [
    'provider-unreachable',
    /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOENT.*\.sock|socket hang up|unreachable|cannot connect|could not connect/i,
  ],
  ['timeout', /timed? ?out|timeout|ETIMEDOUT|deadline|not Ready after/i],
  [
    'capacity',
    /ENOSPC|no space left|out of memory|insufficient|no free|exhausted|quota|capacity|too many|address pool/i,
  ],
  [
    'invalid-spec',
    /invalid|not supported|unsupported|unknown|needs at least|no longer exists|no such image|not found|could not be found|bad request|has no CA/i,
  ],
];

/** The cause of a failure from its message (DriverError "<phase>: <message>" or a conductor reason). */
export function classifyFailure(message: string): FailureCause {
  for (const [cause, re] of RULES) if (re.test(message)) return cause;
  return 'internal';
}

/** A timeline message with its cause in front: `[timeout] create did not finish before its deadline`. */
export function withCause(cause: FailureCause, message: string): string {
  return `[${cause}] ${message}`;
}

/** Splits `[cause] message` back; `cause` is null for messages without a known cause prefix. */
export function splitCause(message: string): { cause: FailureCause | null; message: string } {
  const m = /^\[([a-z-]+)\] ([\s\S]*)$/.exec(message);
  if (m && (FAILURE_CAUSES as readonly string[]).includes(m[1] as string))
    return { cause: m[1] as FailureCause, message: m[2] as string };
  return { cause: null, message };
}
