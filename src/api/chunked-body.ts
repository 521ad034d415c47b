/**
 * @module A large response body sent in chunks with the event loop free between them: one ~1 MB list is not copied
 * into the socket (and, on loopback, through the kernel to the reader) in one synchronous write, so a small request
 * of another project is answered between the chunks. The socket's backpressure paces the chunks. A small body (most
 * lists) goes out in one write.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { BYTES_PER_MS } from './fair-gate.ts';

/** Bytes written at once. */
export const CHUNK_BYTES = 32 * 1024;

/**
 * A body up to this size goes out in one write: copying it into the socket costs well under half a millisecond (the
 * fair gate's unit, api/fair-gate.ts, counts {@link BYTES_PER_MS} bytes as 1 ms), less than the turns of the event
 * loop that chunking it would take. Larger bodies go out in {@link CHUNK_BYTES} chunks.
 */
export const DIRECT_BYTES = BYTES_PER_MS / 2;

/**
 * A JSON body: one string or Buffer, or the Buffers it is made of in order (a large page is never copied into one
 * ~1 MB Buffer: that copy alone holds the event loop for milliseconds).
 */
export type JsonBody = string | Buffer | readonly Buffer[];

/** Bytes of a body. */
export function bodyBytes(body: JsonBody): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const b of body) n += b.length;
  return n;
}

/** Sends `body` (JSON) with its length; a body over {@link DIRECT_BYTES} goes out as a stream of chunks. */
export function sendJsonInChunks(reply: FastifyReply, body: JsonBody): FastifyReply {
  void reply.type('application/json; charset=utf-8');
  const length = bodyBytes(body);
  if (length <= DIRECT_BYTES) {
    if (typeof body === 'string' || Buffer.isBuffer(body)) return reply.send(body);
    return reply.send(body.length === 1 ? body[0] : Buffer.concat(body, length));
  }
  const parts = typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body;
  async function* chunks(): AsyncGenerator<Buffer> {
    let first = true;
    for (const part of parts) {
      for (let at = 0; at < part.length; at += CHUNK_BYTES) {
        if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
        first = false;
        yield part.subarray(at, at + CHUNK_BYTES);
      }
    }
  }
  return reply.header('content-length', length).send(Readable.from(chunks(), { objectMode: false }));
}
