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

/** Sends `body` (JSON) with its length; a body over {@link DIRECT_BYTES} goes out as a stream of chunks. */
export function sendJsonInChunks(reply: FastifyReply, body: string | Buffer): FastifyReply {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  void reply.type('application/json; charset=utf-8');
  if (buf.length <= DIRECT_BYTES) return reply.send(buf);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < buf.length; at += CHUNK_BYTES) {
      if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      yield buf.subarray(at, at + CHUNK_BYTES);
    }
  }
  return reply.header('content-length', buf.length).send(Readable.from(chunks(), { objectMode: false }));
}
