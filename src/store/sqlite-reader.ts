/**
 * @module Reads of a SQLite file on a worker thread, so that a large read never blocks the event loop. node:sqlite is
 * synchronous: a list page of large rows read on the main thread holds up every other request for the whole read.
 * {@link SqliteReader} sends the query to a worker thread holding its own read-only connection
 * (store/sqlite-reader-thread.ts; WAL lets it read while the main connection writes) and resolves with the rows;
 * {@link SqliteReaderDialect} puts it behind a Kysely instance, so the same query builders run on either connection.
 *
 * What goes through it: list pages (store/page.ts callers), not single-row lookups (an indexed one-row read costs
 * microseconds, less than the hop to the thread, and must not queue behind a large page), never writes or
 * transactions (the connection is read-only; a transaction through the dialect throws).
 *
 * Read-your-writes: the thread runs each query on its own, and a query starts after it is asked for; a write on the
 * main connection has committed when its promise resolves, so any read asked for after that sees it.
 *
 * The thread starts on the first query; queries wait in one queue of at most `maxQueued` (more are refused at once
 * with a 503); an error of a query rejects that query; a thread that dies rejects every query waiting and is started
 * again by the next one; {@link SqliteReader.close} answers what was asked, then closes the connection and ends the
 * thread. While no query waits, the thread does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { MagnumError } from '../core/errors.ts';
import type { Param } from './sqlite-rows.ts';
import type { ReaderReply, ReaderRequest } from './sqlite-reader-thread.ts';

const THREAD = new URL('./sqlite-reader-thread.ts', import.meta.url);

/** Queries waiting at most, by default (list reads take one fair turn at a time: api/fair-gate.ts). */
export const MAX_QUEUED = 64;

interface Waiting {
  resolve: (rows: unknown[]) => void;
  reject: (e: Error) => void;
}

export class SqliteReader {
  readonly #path: string;
  readonly #maxQueued: number;
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;
  #closed: Promise<void> | undefined;

  /** @param path the SQLite file (its WAL mode is set by the main connection). */
  constructor(path: string, opts: { maxQueued?: number } = {}) {
    this.#path = path;
    this.#maxQueued = opts.maxQueued ?? MAX_QUEUED;
  }

  /** Queries asked for and not yet answered. */
  get queued(): number {
    return this.#waiting.size;
  }

  /** The rows of a read-only query, read on the thread. */
  query(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new Error('the SQLite reader is closed'));
    if (this.#waiting.size >= this.#maxQueued) {
      return Promise.reject(
        new MagnumError('ServiceUnavailable', `Too many reads waiting (${this.#maxQueued}); try again later.`, {
          status: 503,
        }),
      );
    }
    const worker = this.#worker ?? this.#start();
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage({ id, sql, params: params as Param[] } satisfies ReaderRequest);
      } catch (e) {
        // A parameter that cannot be sent (DataCloneError).
        reject(e as Error);
        return;
      }
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
    });
  }

  /** Answers every query asked so far, then closes the thread's connection and ends it. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const worker = this.#worker;
      if (!worker) return;
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ close: true } satisfies ReaderRequest);
      await exited;
    })();
    return this.#closed;
  }

  #start(): Worker {
    // None of the process's flags: the thread needs none, and some (--input-type, --eval) are refused in a worker.
    const worker = new Worker(THREAD, { workerData: { path: this.#path }, execArgv: [] });
    worker.unref();
    worker.on('message', (m: ReaderReply) => {
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      if (this.#waiting.size === 0 && !this.#closed) worker.unref();
      if ('rows' in m) w.resolve(m.rows);
      else w.reject(Object.assign(new Error(m.error.message), m.error));
    });
    // Thrown in the thread outside a query (the file cannot be opened): every waiting query fails with it.
    worker.on('error', (e) => this.#fail(worker, new Error(`SQLite reader thread failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => this.#fail(worker, new Error(`SQLite reader thread ended (exit code ${code})`)));
    this.#worker = worker;
    return worker;
  }

  /** The thread is gone: every query waiting fails, and the next query starts a new thread. */
  #fail(worker: Worker, e: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(e);
  }
}

/** Kysely over a {@link SqliteReader}: SQLite's SQL, executed on the reader's thread. Read-only, no transactions. */
export class SqliteReaderDialect implements Dialect {
  readonly #reader: SqliteReader;
  constructor(reader: SqliteReader) {
    this.#reader = reader;
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new ReaderDriver(this.#reader);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

const noTransactions = (): Promise<never> =>
  Promise.reject(new Error('the SQLite reader is read-only: run transactions on the main connection'));

class ReaderDriver implements Driver {
  readonly #reader: SqliteReader;
  readonly #connection: DatabaseConnection;
  constructor(reader: SqliteReader) {
    this.#reader = reader;
    this.#connection = {
      executeQuery: async <R>(q: CompiledQuery): Promise<QueryResult<R>> => ({
        rows: (await reader.query(q.sql, q.parameters)) as R[],
      }),
      // Rows come back from the thread whole: a stream is one chunk of all of them.
      streamQuery: async function* <R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
        yield { rows: (await reader.query(q.sql, q.parameters)) as R[] };
      },
    };
  }
  async init(): Promise<void> {}
  /** One connection shared by every query: they queue on the thread in the order asked. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }
  beginTransaction = noTransactions;
  commitTransaction = noTransactions;
  rollbackTransaction = noTransactions;
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    await this.#reader.close();
  }
}
