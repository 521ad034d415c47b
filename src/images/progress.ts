/**
 * @module images/progress — what an image build shows: one line per step with its elapsed time
 * (`[image] step 3/9 kube binaries v1.37.2 … 612.4 s`), while the raw output of the tools (go, debootstrap, dpkg, the
 * engine's build stream) goes to a log file whose path is printed up front and in every failure.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a step's work gets. */
export interface StepContext {
  /** Appends one line of raw tool output to the log. */
  raw(line: string): void;
  /** Marks the step as satisfied by the cache (the line then says `cached`). */
  cached(): void;
}

const TAIL_LINES = 25;

/** Step reporter of one build. `write` receives text to show (it is given whole lines or a step's two halves). */
export class BuildProgress {
  readonly total: number;
  /** The log file, or null when raw output goes to `write` too (library use without a file). */
  readonly logFile: string | null;
  readonly #write: (text: string) => void;
  readonly #file: WriteStream | null;
  readonly #tail: string[] = [];
  #step = 0;

  constructor(opts: { total: number; logFile: string | null; write: (text: string) => void }) {
    this.total = opts.total;
    this.logFile = opts.logFile;
    this.#write = opts.write;
    if (opts.logFile) mkdirSync(dirname(opts.logFile), { recursive: true });
    this.#file = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
  }

  /** A fresh log file path under `<cacheDir>/logs/`, named for the build and the time. */
  static logPath(cacheDir: string, what: string, now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    return join(cacheDir, 'logs', `image-build-${what}-${stamp}.log`);
  }

  /** Shows a line of its own (`[image] …`), also written to the log. */
  say(text: string): void {
    this.#write(`[image] ${text}\n`);
    this.raw(`[image] ${text}`);
  }

  /** Appends raw tool output to the log (or shows it when there is no log file). */
  raw(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (this.#file) this.#file.write(`${line}\n`);
    else this.#write(`  ${line}\n`);
  }

  /**
   * Appends a line of background work (not the current step's) to the log only: it stays out of the output tail a
   * failed step shows.
   */
  note(line: string): void {
    if (this.#file && !this.#file.writableEnded) this.#file.write(`${line}\n`); // late lines after close are dropped
  }

  /** Runs the next step, showing `[image] step i/N <title> … <seconds> s` (or `cached`, or `failed`). */
  async step<T>(title: string, work: (ctx: StepContext) => Promise<T>): Promise<T> {
    this.#step += 1;
    const head = `[image] step ${this.#step}/${this.total} ${title} …`;
    this.#write(this.#file ? `${head} ` : `${head}\n`);
    this.raw(`==== ${head}`);
    this.#tail.length = 0;
    const started = performance.now();
    let cached = false;
    const seconds = (): string => ((performance.now() - started) / 1000).toFixed(1);
    try {
      const value = await work({ raw: (line) => this.raw(line), cached: () => void (cached = true) });
      const end = cached ? `cached (${seconds()} s)` : `${seconds()} s`;
      this.#write(this.#file ? `${end}\n` : `${head} ${end}\n`);
      this.raw(`==== ${title}: ${end}`);
      return value;
    } catch (err) {
      const end = `failed after ${seconds()} s`;
      this.#write(this.#file ? `${end}\n` : `${head} ${end}\n`);
      this.raw(`==== ${title}: ${end}: ${(err as Error).message}`);
      const tail = this.#tail.length > 0 ? `\nlast lines of output:\n  ${this.#tail.join('\n  ')}` : '';
      const where = this.logFile ? `\nfull log: ${this.logFile}` : '';
      throw new Error(`image build step "${title}" failed: ${(err as Error).message}${tail}${where}`, { cause: err });
    }
  }

  /** Flushes and closes the log file. */
  async close(): Promise<void> {
    const file = this.#file;
    if (!file) return;
    await new Promise<void>((resolve) => file.end(resolve));
  }
}
