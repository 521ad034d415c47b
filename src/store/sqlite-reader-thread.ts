/**
 * @module The worker thread behind store/sqlite-reader.ts: its own read-only connection to the SQLite file, answering
 * one query at a time in the order asked. Each query runs on its own (no transaction is held open between queries):
 * in WAL mode it reads the newest commit as of its start, so a read asked for after a write committed sees it.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { allRows, type Param } from './sqlite-rows.ts';

/** A query to answer, or the request to close the connection and end the thread. */
export type ReaderRequest = { id: number; sql: string; params: readonly Param[] } | { close: true };

/** The answer to query `id`: its rows, or the error it raised (the fields of node:sqlite's errors). */
export type ReaderReply =
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code?: string; errcode?: number; errstr?: string } };

/** Prepared statements kept, by SQL text (list queries repeat with other parameters). */
const CACHED = 200;

const port = parentPort;
if (!port) throw new Error('sqlite-reader-thread.ts runs only as a worker thread');
const { path } = workerData as { path: string };
const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
const cache = new Map<string, StatementSync>();

port.on('message', (m: ReaderRequest) => {
  if ('close' in m) {
    db.close();
    port.close();
    return;
  }
  let reply: ReaderReply;
  try {
    let s = cache.get(m.sql);
    if (!s) {
      s = db.prepare(m.sql);
      if (cache.size >= CACHED) cache.clear();
      cache.set(m.sql, s);
    }
    reply = { id: m.id, rows: allRows(s, m.params, true) };
  } catch (e) {
    const err = e as { message?: string; code?: string; errcode?: number; errstr?: string };
    reply = {
      id: m.id,
      error: { message: err.message ?? String(e), code: err.code, errcode: err.errcode, errstr: err.errstr },
    };
  }
  port.postMessage(reply);
});
