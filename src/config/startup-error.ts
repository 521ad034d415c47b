/**
 * @module A problem that keeps the service from starting and that the operator can fix: its message is one line
 * naming the problem and the fix; `magnetar serve|api|conductor|db|state` print it alone (no stack) and exit 1.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
