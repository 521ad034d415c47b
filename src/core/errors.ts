/** @module Domain errors with Magnum's names, messages and HTTP statuses; mapped to the wire in one place (api/errors.ts). */

/** Options of a {@link MagnumError}. */
export interface MagnumErrorOptions {
  /** HTTP status the API answers with. @default 400 */
  status?: number;
  cause?: unknown;
}

/** An error the API reports to the client in Magnum's error body. `code` is Magnum's exception class name. */
export class MagnumError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, opts: MagnumErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = code;
    this.code = code;
    this.status = opts.status ?? 400;
  }
}

/** 400 with a free-text message (Magnum's InvalidParameterValue). */
export const invalid = (message: string): MagnumError => new MagnumError('InvalidParameterValue', message);

/** 400 "Invalid input for field/attribute …" as wsme words it. */
export const invalidField = (field: string, value: unknown, reason: string): MagnumError =>
  new MagnumError('InvalidInput', `Invalid input for field/attribute ${field}. Value: '${show(value)}'. ${reason}`);

/** 404 for a resource that does not exist or is not visible to the caller. */
export const notFound = (code: string, message: string): MagnumError => new MagnumError(code, message, { status: 404 });

export const conflict = (code: string, message: string): MagnumError => new MagnumError(code, message, { status: 409 });

export const forbidden = (code: string, message: string): MagnumError =>
  new MagnumError(code, message, { status: 403 });

export const clusterTypeNotSupported = (serverType: string, os: string | null, coe: string): MagnumError =>
  new MagnumError('ClusterTypeNotSupported', `Cluster type (${serverType}, ${os ?? 'None'}, ${coe}) not supported.`);

export const operationInProgress = (clusterName: string): MagnumError =>
  new MagnumError('OperationInProgress', `Cluster ${clusterName} already has an operation in progress.`);

/** Characters of a value echoed in an error message; longer values are cut (an error body stays small). */
const SHOWN = 255;

/** Renders a value the way wsme does inside its messages (Python-ish), cut after 255 characters. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}… (${text.length} characters)` : text;
}
