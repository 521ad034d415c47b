/**
 * @module docker-api/engine: a typed Docker Engine API client over node:http / node:https (unix socket or mutual TLS).
 * Shared by the local Docker provider (the host engine) and the swarm and docker drivers (the engines of their nodes,
 * reached at the endpoints the provider reports).
 */
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream';
import type {
  ContainerCreateSpec,
  ContainerInspect,
  ContainerSummary,
  ImageInspect,
  NetworkCreateSpec,
  NetworkSummary,
  NodeSpec,
  ServiceSpec,
  SwarmInitSpec,
  SwarmInspect,
  SwarmJoinSpec,
  SwarmNode,
  SwarmService,
  SwarmTask,
  SystemInfo,
  SystemVersion,
  VolumeSummary,
} from './engine-types.ts';

/** Where an engine listens: the host engine's unix socket, or a node engine reached over mutual TLS (always on 127.0.0.1). */
export interface EngineEndpoint {
  socketPath?: string;
  host?: string;
  port?: number;
  /**
   * PEM material for mutual TLS. `cert` and `key` are the client certificate; leaving them out is only useful to check
   * that an engine refuses clients without one.
   */
  tls?: { ca: string; cert?: string; key?: string; servername?: string };
}

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /** API version prefix, default `v1.41` (engine 20.10). */
  apiVersion?: string;
  /** Default time limit of one request in milliseconds, default 30000. */
  timeoutMs?: number;
}

/** A query string value; arrays repeat the key (`changes=a&changes=b`). */
export type QueryValue = string | number | boolean | undefined | readonly string[];

/** Options of one request. */
export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON body. */
  body?: unknown;
  /** Raw body (a tar archive, usually); `contentType` defaults to `application/x-tar`. */
  raw?: Buffer | NodeJS.ReadableStream;
  contentType?: string;
  /** Time limit in milliseconds: for the whole exchange, or until the response headers for {@link Engine.requestStream}. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The engine answered with an HTTP status of 400 or more (or reported an error inside a progress stream). */
export class EngineError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  readonly method: string;
  readonly path: string;

  constructor(message: string, status: number, method: string, path: string) {
    super(message);
    this.name = 'EngineError';
    this.status = status;
    this.method = method;
    this.path = path;
  }
}

/** The engine could not be reached: connection refused, TLS failure, reset, timeout. The original error is `cause`. */
export class EngineUnreachableError extends Error {
  /** The `code` of the underlying system error, if any (`ECONNREFUSED`, `ETIMEDOUT`, …). */
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { cause: options?.cause });
    this.name = 'EngineUnreachableError';
    this.code = options?.code ?? errorCode(options?.cause);
  }
}

/** A raw answer of the engine. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const JSON_TYPE = 'application/json';
const TAR_TYPE = 'application/x-tar';

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Encodes one path segment (an id or image name); `/` and `:` stay as they are, as the engine's router expects. */
function seg(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%3A/gi, ':');
}

/** The `filters` query parameter for label filters (`key` or `key=value`); undefined when there are none. */
function labelQuery(labels: readonly string[]): string | undefined {
  return labels.length > 0 ? JSON.stringify({ label: labels }) : undefined;
}

function filterQuery(filters: Record<string, readonly string[]> | undefined): string | undefined {
  return filters && Object.keys(filters).length > 0 ? JSON.stringify(filters) : undefined;
}

function isStream(raw: Buffer | NodeJS.ReadableStream | undefined): raw is NodeJS.ReadableStream {
  return raw !== undefined && !Buffer.isBuffer(raw);
}

/**
 * Splits an engine progress stream (JSON objects one after the other, normally separated by CRLF) into its objects.
 * Text that is not JSON is skipped.
 */
export function parseJsonStream(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = depth > 0;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
        } catch {
          /* not JSON: skip */
        }
      }
    }
  }
  return out;
}

/** The first error message in a progress stream, or undefined. */
function streamError(messages: Record<string, unknown>[]): string | undefined {
  for (const m of messages) {
    if (typeof m.error === 'string') return m.error;
    const detail = m.errorDetail as { message?: unknown } | undefined;
    if (detail && typeof detail.message === 'string') return detail.message;
  }
  return undefined;
}

/** A Docker Engine API client bound to one endpoint. Holds a keep-alive agent; call {@link Engine.close} when done. */
export class Engine {
  readonly endpoint: EngineEndpoint;
  readonly apiVersion: string;
  readonly timeoutMs: number;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;

  constructor(endpoint: EngineEndpoint, opts?: EngineOptions) {
    if (!endpoint.socketPath && endpoint.port === undefined) {
      throw new TypeError('EngineEndpoint needs a socketPath or a port');
    }
    this.endpoint = endpoint;
    this.apiVersion = opts?.apiVersion ?? 'v1.41';
    this.timeoutMs = opts?.timeoutMs ?? 30_000;
    if (endpoint.tls && !endpoint.socketPath) {
      this.#transport = https;
      this.#agent = new https.Agent({
        keepAlive: true,
        ca: endpoint.tls.ca,
        cert: endpoint.tls.cert,
        key: endpoint.tls.key,
        servername: endpoint.tls.servername,
      });
    } else {
      this.#transport = http;
      this.#agent = new http.Agent({ keepAlive: true });
    }
  }

  /** A printable address of the endpoint (`unix:///var/run/docker.sock`, `https://127.0.0.1:23760`). */
  get address(): string {
    const e = this.endpoint;
    if (e.socketPath) return `unix://${e.socketPath}`;
    return `${e.tls ? 'https' : 'http'}://${e.host ?? '127.0.0.1'}:${e.port}`;
  }

  /** Destroys the keep-alive agent and its sockets. */
  close(): void {
    this.#agent.destroy();
  }

  /** Sends a request and parses the JSON answer (an empty body gives undefined, a non-JSON body its text). */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.requestRaw(method, path, opts);
    if (res.body.length === 0) return undefined as T;
    const text = res.body.toString('utf8');
    if (String(res.headers['content-type'] ?? '').includes(JSON_TYPE)) {
      return JSON.parse(text) as T;
    }
    return text as T;
  }

  /** Sends a request and returns status, headers and the whole body; throws {@link EngineError} for status ≥ 400. */
  async requestRaw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const res = await this.#exchange(method, path, opts, false, true);
    return res as RawResponse;
  }

  /**
   * Sends a request and returns the response stream once the headers are in (status < 400), for large downloads.
   * The time limit covers the wait for the headers only.
   */
  async requestStream(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const res = await this.#exchange(method, path, opts, true, true);
    return res as http.IncomingMessage;
  }

  #exchange(
    method: string,
    path: string,
    opts: RequestOptions,
    stream: boolean,
    mayRetry: boolean,
  ): Promise<RawResponse | http.IncomingMessage> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v as readonly string[]) params.append(k, item);
      else params.append(k, String(v));
    }
    const qs = params.toString();
    const fullPath = `/${this.apiVersion}${path}${qs ? `?${qs}` : ''}`;
    const headers: http.OutgoingHttpHeaders = {};
    let payload: Buffer | undefined;
    if (opts.raw !== undefined) {
      headers['content-type'] = opts.contentType ?? TAR_TYPE;
      if (Buffer.isBuffer(opts.raw)) payload = opts.raw;
    } else if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? JSON_TYPE;
      payload = Buffer.from(JSON.stringify(opts.body), 'utf8');
    }
    if (payload) headers['content-length'] = payload.length;
    const e = this.endpoint;
    const where = `${method} ${path}`;

    return new Promise((resolve, reject) => {
      let settled = false;
      let res: http.IncomingMessage | undefined;
      const finish = (err: unknown, value?: RawResponse | http.IncomingMessage): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) {
          req.destroy();
          res?.destroy();
          reject(err);
        } else {
          resolve(value as RawResponse | http.IncomingMessage);
        }
      };
      const onAbort = (): void => {
        finish(opts.signal?.reason ?? new DOMException('The operation was aborted', 'AbortError'));
      };
      if (opts.signal?.aborted) {
        reject(opts.signal.reason ?? new DOMException('The operation was aborted', 'AbortError'));
        return;
      }
      const req = this.#transport.request({
        agent: this.#agent,
        method,
        path: fullPath,
        headers,
        ...(e.socketPath ? { socketPath: e.socketPath } : { host: e.host ?? '127.0.0.1', port: e.port }),
      });
      const timer = setTimeout(() => {
        finish(
          new EngineUnreachableError(`${this.address}: ${where}: no answer within ${timeoutMs} ms`, {
            code: 'ETIMEDOUT',
          }),
        );
      }, timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      req.on('error', (err: Error) => {
        if (settled) return;
        const code = errorCode(err);
        // A kept-alive socket the engine closed meanwhile: send once more, unless the body was a stream.
        if (
          mayRetry &&
          res === undefined &&
          req.reusedSocket &&
          !isStream(opts.raw) &&
          (code === 'ECONNRESET' || code === 'EPIPE')
        ) {
          settled = true;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          this.#exchange(method, path, opts, stream, false).then(resolve, reject);
          return;
        }
        finish(new EngineUnreachableError(`${this.address}: ${where}: ${err.message}`, { cause: err }));
      });

      req.on('response', (r: http.IncomingMessage) => {
        res = r;
        const status = r.statusCode ?? 0;
        if (stream && status < 400) {
          finish(undefined, r);
          return;
        }
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('error', (err: Error) => {
          finish(new EngineUnreachableError(`${this.address}: ${where}: ${err.message}`, { cause: err }));
        });
        r.on('end', () => {
          const body = Buffer.concat(chunks);
          if (status >= 400) {
            finish(new EngineError(errorMessage(body, status), status, method, path));
          } else {
            finish(undefined, { status, headers: r.headers, body });
          }
        });
      });

      if (isStream(opts.raw)) {
        pipeline(opts.raw, req, (err) => {
          if (err)
            finish(
              new EngineUnreachableError(`${this.address}: ${where}: sending the body: ${err.message}`, { cause: err }),
            );
        });
      } else {
        req.end(payload);
      }
    });
  }

  /** True if `GET /_ping` answers; false on any error (never throws). */
  async ping(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.requestRaw('GET', '/_ping', { signal, timeoutMs: Math.min(this.timeoutMs, 5_000) });
      return true;
    } catch {
      return false;
    }
  }

  /** Polls `GET /_ping` until it answers; throws {@link EngineUnreachableError} (cause: the last error) after `timeoutMs`. */
  async waitUntilUp(timeoutMs = 30_000, intervalMs = 250, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        await this.requestRaw('GET', '/_ping', {
          signal,
          timeoutMs: Math.max(1, Math.min(5_000, deadline - Date.now())),
        });
        return;
      } catch (err) {
        if (signal?.aborted) throw err;
        last = err;
      }
      if (Date.now() + intervalMs > deadline) {
        throw new EngineUnreachableError(`${this.address}: not answering after ${timeoutMs} ms`, { cause: last });
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  // ---- containers -------------------------------------------------------------------------------

  /** All containers (running or not) carrying every given label filter (`key` or `key=value`). */
  listContainers(labelFilters: readonly string[]): Promise<ContainerSummary[]> {
    return this.request('GET', '/containers/json', { query: { all: 1, filters: labelQuery(labelFilters) } });
  }

  /** A container's details, or null if it does not exist. */
  async inspectContainer(id: string): Promise<ContainerInspect | null> {
    return ifFound(this.request<ContainerInspect>('GET', `/containers/${seg(id)}/json`));
  }

  /** Creates a container named `name`. */
  createContainer(name: string, spec: ContainerCreateSpec): Promise<{ Id: string; Warnings: string[] | null }> {
    return this.request('POST', '/containers/create', { query: { name }, body: spec });
  }

  /** Extracts a tar archive into the container's filesystem at `path` (works on created and running containers). */
  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    await this.requestRaw('PUT', `/containers/${seg(id)}/archive`, {
      query: { path },
      raw: tar,
      contentType: TAR_TYPE,
    });
  }

  /** A tar archive of `path` in the container's filesystem. */
  async getArchive(id: string, path: string): Promise<Buffer> {
    return (await this.requestRaw('GET', `/containers/${seg(id)}/archive`, { query: { path } })).body;
  }

  /** Starts a container; one that already runs is fine (304). */
  async startContainer(id: string): Promise<void> {
    await this.requestRaw('POST', `/containers/${seg(id)}/start`);
  }

  /** Stops a container, killing it after `timeoutSeconds` (default: its StopTimeout); one already stopped is fine. */
  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.requestRaw('POST', `/containers/${seg(id)}/stop`, {
      query: { t: timeoutSeconds },
      timeoutMs: this.timeoutMs + (timeoutSeconds ?? 30) * 1000,
    });
  }

  /** Sends a signal to a container's main process (e.g. `SIGUSR2`: haproxy reloads its configuration). */
  async killContainer(id: string, signal: string): Promise<void> {
    await this.requestRaw('POST', `/containers/${seg(id)}/kill`, { query: { signal } });
  }

  /** Removes a container with force and its anonymous volumes; a missing one is fine. */
  async removeContainer(id: string): Promise<void> {
    await ifFound(this.requestRaw('DELETE', `/containers/${seg(id)}`, { query: { force: 1, v: 1 } }));
  }

  // ---- networks ---------------------------------------------------------------------------------

  /** Networks carrying every given label filter (all networks if none). */
  listNetworks(labelFilters: readonly string[]): Promise<NetworkSummary[]> {
    return this.request('GET', '/networks', { query: { filters: labelQuery(labelFilters) } });
  }

  /** A network's details, or null if it does not exist. */
  inspectNetwork(id: string): Promise<NetworkSummary | null> {
    return ifFound(this.request<NetworkSummary>('GET', `/networks/${seg(id)}`));
  }

  /** Creates a network (CheckDuplicate on unless set). */
  createNetwork(spec: NetworkCreateSpec): Promise<{ Id: string; Warning?: string }> {
    return this.request('POST', '/networks/create', { body: { CheckDuplicate: true, ...spec } });
  }

  /** Removes a network; a missing one is fine. */
  async removeNetwork(id: string): Promise<void> {
    await ifFound(this.requestRaw('DELETE', `/networks/${seg(id)}`));
  }

  // ---- volumes ----------------------------------------------------------------------------------

  /** Volumes carrying every given label filter (all volumes if none). */
  async listVolumes(labelFilters: readonly string[]): Promise<VolumeSummary[]> {
    const res = await this.request<{ Volumes: VolumeSummary[] | null }>('GET', '/volumes', {
      query: { filters: labelQuery(labelFilters) },
    });
    return res.Volumes ?? [];
  }

  /** Creates a named volume. */
  createVolume(spec: { Name?: string; Driver?: string; Labels?: Record<string, string> }): Promise<VolumeSummary> {
    return this.request('POST', '/volumes/create', { body: spec });
  }

  /** Removes a volume; a missing one is fine. */
  async removeVolume(name: string): Promise<void> {
    await ifFound(this.requestRaw('DELETE', `/volumes/${seg(name)}`));
  }

  // ---- images -----------------------------------------------------------------------------------

  /** An image's details, or null if it does not exist. */
  inspectImage(name: string): Promise<ImageInspect | null> {
    return ifFound(this.request<ImageInspect>('GET', `/images/${seg(name)}/json`));
  }

  /** Removes an image (forced); a missing one is fine. */
  async removeImage(name: string): Promise<void> {
    await ifFound(this.requestRaw('DELETE', `/images/${seg(name)}`, { query: { force: 1 } }));
  }

  /**
   * Imports a root filesystem tar as image `repo:tag` (`docker import`), applying Dockerfile `changes`
   * (`ENTRYPOINT …`, `ENV …`, `LABEL …`). Reads the progress stream and throws {@link EngineError} if it reports an
   * error. Returns the new image id.
   */
  async importImage(
    tar: NodeJS.ReadableStream,
    repo: string,
    tag: string,
    changes: readonly string[],
    opts?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<string> {
    const path = '/images/create';
    const res = await this.requestRaw('POST', path, {
      query: { fromSrc: '-', repo, tag, changes },
      raw: tar,
      timeoutMs: opts?.timeoutMs ?? 10 * 60_000,
      signal: opts?.signal,
    });
    const messages = parseJsonStream(res.body.toString('utf8'));
    const error = streamError(messages);
    if (error !== undefined) throw new EngineError(error, res.status, 'POST', path);
    const id = messages.map((m) => m.status).findLast((s) => typeof s === 'string' && s.startsWith('sha256:'));
    return typeof id === 'string' ? id : `${repo}:${tag}`;
  }

  /** `docker save`: a tar stream of the image (to be fed into another engine's {@link Engine.loadImage}). */
  saveImage(name: string): Promise<http.IncomingMessage> {
    return this.requestStream('GET', `/images/${seg(name)}/get`);
  }

  /** `docker load`: loads images from a `docker save` tar stream; returns the loaded names (`Loaded image: …`). */
  async loadImage(
    stream: NodeJS.ReadableStream,
    opts?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<string[]> {
    const path = '/images/load';
    const res = await this.requestRaw('POST', path, {
      query: { quiet: 1 },
      raw: stream,
      timeoutMs: opts?.timeoutMs ?? 10 * 60_000,
      signal: opts?.signal,
    });
    const messages = parseJsonStream(res.body.toString('utf8'));
    const error = streamError(messages);
    if (error !== undefined) throw new EngineError(error, res.status, 'POST', path);
    const loaded: string[] = [];
    for (const m of messages) {
      const match = typeof m.stream === 'string' ? /^Loaded image(?: ID)?: (\S+)/.exec(m.stream) : null;
      if (match?.[1]) loaded.push(match[1]);
    }
    return loaded;
  }

  // ---- swarm ------------------------------------------------------------------------------------

  /** `POST /swarm/init`; returns the node id. */
  swarmInit(spec: SwarmInitSpec): Promise<string> {
    return this.request('POST', '/swarm/init', { body: spec });
  }

  /** `GET /swarm` (managers only): cluster id, spec and join tokens. */
  swarmInspect(): Promise<SwarmInspect> {
    return this.request('GET', '/swarm');
  }

  /** `POST /swarm/join`. */
  async swarmJoin(spec: SwarmJoinSpec): Promise<void> {
    await this.requestRaw('POST', '/swarm/join', { body: spec });
  }

  /** `POST /swarm/leave`; a node that is not in a swarm is fine. */
  async swarmLeave(force: boolean): Promise<void> {
    try {
      await this.requestRaw('POST', '/swarm/leave', { query: { force: force ? 1 : undefined } });
    } catch (err) {
      if (err instanceof EngineError && err.status === 503 && /not part of a swarm/i.test(err.message)) return;
      throw err;
    }
  }

  /** Swarm nodes (managers only), optionally filtered (`{ role: ['worker'] }`). */
  listNodes(filters?: Record<string, readonly string[]>): Promise<SwarmNode[]> {
    return this.request('GET', '/nodes', { query: { filters: filterQuery(filters) } });
  }

  /** A swarm node, or null if the swarm does not know it. */
  inspectNode(id: string): Promise<SwarmNode | null> {
    return ifFound(this.request<SwarmNode>('GET', `/nodes/${seg(id)}`));
  }

  /** Replaces a node's spec; `version` is its current `Version.Index`. */
  async updateNode(id: string, version: number, spec: NodeSpec): Promise<void> {
    await this.requestRaw('POST', `/nodes/${seg(id)}/update`, { query: { version }, body: spec });
  }

  /** Removes a node from the swarm; a missing one is fine. */
  async removeNode(id: string, force: boolean): Promise<void> {
    await ifFound(this.requestRaw('DELETE', `/nodes/${seg(id)}`, { query: { force: force ? 1 : undefined } }));
  }

  /** Swarm tasks, e.g. `{ node: [id], 'desired-state': ['running'] }`. */
  listTasks(filters: Record<string, readonly string[]>): Promise<SwarmTask[]> {
    return this.request('GET', '/tasks', { query: { filters: filterQuery(filters) } });
  }

  /** Creates a swarm service. */
  createService(spec: ServiceSpec): Promise<{ ID: string; Warning?: string }> {
    return this.request('POST', '/services/create', { body: spec });
  }

  /** Swarm services, optionally filtered (`{ label: ['k=v'] }`). */
  listServices(filters?: Record<string, readonly string[]>): Promise<SwarmService[]> {
    return this.request('GET', '/services', { query: { filters: filterQuery(filters) } });
  }

  /** Removes a swarm service; a missing one is fine. */
  async removeService(id: string): Promise<void> {
    await ifFound(this.requestRaw('DELETE', `/services/${seg(id)}`));
  }

  // ---- system -----------------------------------------------------------------------------------

  /** `GET /info`. */
  info(): Promise<SystemInfo> {
    return this.request('GET', '/info');
  }

  /** `GET /version`. */
  version(): Promise<SystemVersion> {
    return this.request('GET', '/version');
  }
}

/** The value of `p`, or null if the engine answered 404. */
async function ifFound<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof EngineError && err.status === 404) return null;
    throw err;
  }
}

function errorMessage(body: Buffer, status: number): string {
  const text = body.toString('utf8').trim();
  if (text) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      /* not JSON */
    }
    return text;
  }
  return `HTTP ${status}`;
}
