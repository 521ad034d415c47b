/**
 * @module Drains the notification outbox: each row goes to the log and, with `messagingv2` and a transport URL, to
 * RabbitMQ as oslo.messaging publishes notifications — topic exchange `notify.exchange` ('magnum'), routing key
 * `<topic>.<priority>` (`notifications.info`), a queue of that name declared and bound as oslo's notifier does, the
 * `messagingv2` envelope as body — with publisher confirms. A row is deleted only after the broker confirmed it on
 * every topic; on failure it is retried with back-off, and the connection is opened again once the broker answers.
 *
 * Delivery is at-least-once: a crash (or a lost database write) between the broker's confirm and the row's delete
 * publishes that row again, with the same `message_id` and `_unique_id`. Several processes may run a publisher on
 * one database: rows are claimed with a short lease (compare-and-set), so they rarely publish the same row twice.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import type { OutboxRepository, OutboxRow } from '../store/outbox.ts';
import { wireBody } from './envelope.ts';
import { parseStored } from './outbox.ts';

export interface PublisherOptions {
  outbox: OutboxRepository;
  log: Logger;
  driver: 'messagingv2' | 'log' | 'noop';
  /** amqp://user:pass@host:port/vhost; null: the log only. */
  transportUrl: string | null;
  exchange: string;
  topics: readonly string[];
  pollMs: number;
  /** Rows claimed per pass. @default 100 */
  batch?: number;
  /** Lease on claimed rows. @default 30 000 */
  leaseMs?: number;
  /** Longest wait between attempts while the broker is unreachable. @default 15 000 */
  maxBackoffMs?: number;
  /** How long to wait for the broker's confirm. @default 10 000 */
  confirmTimeoutMs?: number;
}

interface Broker {
  model: ChannelModel;
  channel: ConfirmChannel;
  declared: Set<string>;
}

export class OutboxPublisher {
  readonly #o: Required<PublisherOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #pass: Promise<void> | undefined;
  #again = false;
  #broker: Broker | undefined;
  #failures = 0;
  #downUntil = 0;
  /** Rows already written to the log (so a retry towards the broker does not log them again). */
  readonly #logged = new Set<number>();

  constructor(opts: PublisherOptions) {
    this.#o = { batch: 100, leaseMs: 30_000, maxBackoffMs: 15_000, confirmTimeoutMs: 10_000, ...opts };
  }

  /** True when notifications go to RabbitMQ. */
  get toBroker(): boolean {
    return this.#o.driver === 'messagingv2' && !!this.#o.transportUrl;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.wake();
  }

  /** Publishes now (after a state change wrote a row). */
  wake(): void {
    if (!this.#running) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#pass = this.#loop().finally(() => {
      this.#pass = undefined;
      if (!this.#running) return;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else {
        this.#timer = setTimeout(() => this.wake(), this.#o.pollMs);
      }
    });
  }

  async #loop(): Promise<void> {
    try {
      while (this.#running && (await this.drainOnce()) === this.#o.batch);
    } catch (e) {
      this.#o.log.warn({ err: (e as Error).message }, 'notification publisher pass failed; will retry');
    }
  }

  /** One pass: claims due rows and publishes them in order; resolves to the number of rows claimed. */
  async drainOnce(): Promise<number> {
    if (this.toBroker && Date.now() < this.#downUntil) return 0;
    const rows = await this.#o.outbox.claim(this.#o.batch, this.#o.leaseMs);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as OutboxRow;
      try {
        await this.#publish(row);
        await this.#o.outbox.remove(row.id);
        this.#logged.delete(row.id);
        this.#failures = 0;
      } catch (e) {
        const err = (e as Error).message ?? String(e);
        this.#failures++;
        const delay = Math.min(this.#o.maxBackoffMs, 500 * 2 ** Math.min(this.#failures - 1, 10));
        this.#downUntil = Date.now() + delay;
        this.#o.log.warn(
          { err, outbox_id: row.id, retry_in_ms: delay },
          'publishing a notification failed; will retry',
        );
        await this.#dropBroker();
        await this.#o.outbox.retryLater(row.id, this.#downUntil, err);
        // Keep the order: the rest of the batch waits as long as the failed row.
        const rest = rows.slice(i + 1).map((r) => r.id);
        if (rest.length > 0) await this.#o.outbox.release(rest, this.#downUntil);
        return rows.length;
      }
    }
    return rows.length;
  }

  async #publish(row: OutboxRow): Promise<void> {
    const stored = parseStored(row.payload);
    if (!this.#logged.has(row.id) && this.#o.driver !== 'noop') {
      const level = stored.message.priority === 'ERROR' ? 'error' : 'info';
      this.#o.log[level]({ notification: stored.message }, `notification ${stored.message.event_type}`);
      this.#logged.add(row.id);
      if (this.#logged.size > 10_000) this.#logged.clear();
    }
    if (!this.toBroker) return;
    const body = Buffer.from(wireBody(stored.message, stored.context, stored.unique_id), 'utf8');
    const broker = await this.#connect();
    for (const topic of this.#o.topics) {
      const key = `${topic}.${stored.message.priority.toLowerCase()}`;
      if (!broker.declared.has(key)) {
        // As oslo's rabbit driver: the notification queue named after the routing key, so nothing is dropped while
        // no consumer listens (non-durable, not auto-deleted: oslo's amqp_durable_queues / amqp_auto_delete defaults).
        await broker.channel.assertQueue(key, { durable: false, autoDelete: false });
        await broker.channel.bindQueue(key, this.#o.exchange, key);
        broker.declared.add(key);
      }
      await this.#confirmed(broker.channel, key, body);
    }
  }

  #confirmed(channel: ConfirmChannel, key: string, body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no confirm from the broker within ${this.#o.confirmTimeoutMs} ms`)),
        this.#o.confirmTimeoutMs,
      );
      const onClose = (): void => {
        clearTimeout(timer);
        reject(new Error('the channel closed before the broker confirmed'));
      };
      channel.once('close', onClose);
      try {
        channel.publish(
          this.#o.exchange,
          key,
          body,
          { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 },
          (err: unknown) => {
            clearTimeout(timer);
            channel.off('close', onClose);
            if (err) reject(err instanceof Error ? err : new Error(`the broker refused the message (${String(err)})`));
            else resolve();
          },
        );
      } catch (e) {
        clearTimeout(timer);
        channel.off('close', onClose);
        reject(e as Error);
      }
    });
  }

  async #connect(): Promise<Broker> {
    if (this.#broker) return this.#broker;
    const model = await connect(this.#o.transportUrl as string, { timeout: 5_000 });
    const drop = (): void => {
      if (this.#broker?.model === model) this.#broker = undefined;
    };
    model.on('error', (e: Error) => this.#o.log.warn({ err: e.message }, 'RabbitMQ connection error'));
    model.on('close', drop);
    try {
      const channel = await model.createConfirmChannel();
      channel.on('error', (e: Error) => this.#o.log.warn({ err: e.message }, 'RabbitMQ channel error'));
      channel.on('close', drop);
      // oslo's notifier: a non-durable, not auto-deleted topic exchange named by control_exchange.
      await channel.assertExchange(this.#o.exchange, 'topic', { durable: false, autoDelete: false });
      this.#broker = { model, channel, declared: new Set() };
      if (this.#failures > 0) this.#o.log.info({ exchange: this.#o.exchange }, 'connected to RabbitMQ again');
      return this.#broker;
    } catch (e) {
      await model.close().catch(() => undefined);
      throw e;
    }
  }

  async #dropBroker(): Promise<void> {
    const b = this.#broker;
    this.#broker = undefined;
    await b?.model.close().catch(() => undefined);
  }

  /** Stops: finishes the pass under way (its rows are published or given back with a back-off), closes the connection. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#pass;
    await this.#dropBroker();
  }
}
