/**
 * @module A query built and compiled once, then run with new values: the per-request lookups (one object by uuid or
 * name) skip Kysely's query building and compiling, which cost more than the indexed one-row read itself. On SQLite
 * the same SQL text also finds its prepared statement (store/sqlite-database.ts).
 */
import type { Compilable, CompiledQuery } from 'kysely';

/** Stands for argument `i` while the query is compiled; never a real value (NUL cannot be in an identifier or name). */
const mark = (i: number): string => `\u0000magnetar-arg-${i}\u0000`;

export class CompiledOnce<R> {
  readonly #build: (...args: string[]) => Compilable<R>;
  #compiled: CompiledQuery<R> | undefined;
  /** For each parameter of the compiled query: the argument it takes, or -1 for a constant of the query. */
  #slots: number[] = [];

  /** @param build the query, with each string argument where a value goes (compiled on the first run). */
  constructor(build: (...args: string[]) => Compilable<R>) {
    this.#build = build;
  }

  /** The compiled query with `args` in place of the build's arguments. */
  with(...args: string[]): CompiledQuery<R> {
    if (!this.#compiled) {
      const marks = args.map((_, i) => mark(i));
      const compiled = this.#build(...marks).compile();
      this.#slots = compiled.parameters.map((p) => (typeof p === 'string' ? marks.indexOf(p) : -1));
      for (let i = 0; i < args.length; i++)
        if (!this.#slots.includes(i)) throw new Error(`argument ${i} of a compiled-once query is not a parameter`);
      this.#compiled = compiled;
    }
    const compiled = this.#compiled;
    return { ...compiled, parameters: this.#slots.map((s, i) => (s >= 0 ? args[s] : compiled.parameters[i])) };
  }
}
