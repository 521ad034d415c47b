/** @module Magnum's error body: `{"errors": [{request_id, code, status, title, detail, links}]}`. */

export interface ErrorObject {
  request_id: string;
  code: string;
  status: number;
  title: string;
  detail: string | null;
  links: unknown[];
}

/** Body of an error raised while handling a request: title = message up to the first '.', detail = the whole message. */
export function handlerErrorBody(status: number, message: string): { errors: ErrorObject[] } {
  const dot = message.indexOf('.');
  const title = dot > 0 ? message.slice(0, dot) : message;
  return {
    errors: [{ request_id: '', code: status >= 500 ? 'server' : 'client', status, title, detail: message, links: [] }],
  };
}

/** Body of an error raised while routing (unknown path, method, version gate): title = reason phrase, code empty. */
export function routingErrorBody(status: number, reason: string, detail: string | null): { errors: ErrorObject[] } {
  return { errors: [{ request_id: '', code: '', status, title: reason, detail, links: [] }] };
}
