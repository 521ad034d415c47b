/** @module cli/errors — the user-facing error type of the command-line client. */

/** A failure of a command the user can act on (bad arguments, refused overwrite, …); printed as `ERROR: …`, exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
