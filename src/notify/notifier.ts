import { setTimeout as sleep } from 'node:timers/promises';
import { isoAt, type Clock } from '../core/clock.js';
import { parseDurationMs } from '../core/duration.js';
import { redact } from '../core/secret.js';
import { DEFAULTS } from '../config/defaults.js';
import type { NotificationChannelConfig, NotificationsConfig } from '../config/notify-schema.js';
import type { LedgerRepository, NewLedgerEvent } from '../store/index.js';
import { deliverNotification, type DeliveryOptions } from './deliver-notification.js';
import { NOTIFICATION_FORMATTERS, type Notification } from './format-notification.js';
import { deriveNotificationEvent } from './notification-event.js';
import { routeNotification } from './route-notification.js';

export interface NotifierDeps {
  config: NotificationsConfig;
  app: string;
  /** The undecorated ledger: failures are recorded there, so they never notify in turn. */
  ledger: Pick<LedgerRepository, 'appendEvent'>;
  clock: Clock;
  actor: string;
  /** The value of a secret for an environment (null: no environment), or undefined when it has none. */
  resolveSecret(environment: string | null, name: string): Promise<string | undefined>;
  /** Overrides the backoff before a retry (tests); defaults to notifications' own. */
  initialBackoffMs?: number;
}

/**
 * Tells channels about ledger events. `notify` returns at once: deliveries run in the background, one at a
 * time per channel so a channel hears of a deployment's events in order. `flush` waits for them (bounded),
 * so a CLI verb can deliver before it exits.
 */
export class Notifier {
  readonly #deps: NotifierDeps;
  readonly #options: DeliveryOptions;
  readonly #queues = new Map<string, Promise<void>>();
  #pending = 0;

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#options = {
      timeoutMs: parseDurationMs(deps.config.timeout) ?? 5000,
      retries: deps.config.retries,
      initialBackoffMs:
        deps.initialBackoffMs ?? parseDurationMs(DEFAULTS.notifications.initialBackoff) ?? 500,
    };
  }

  notify(event: NewLedgerEvent, seq: number): void {
    const name = deriveNotificationEvent(event.kind);
    if (!name) return;
    for (const route of routeNotification(this.#deps.config, name, event.environment)) {
      const notification: Notification = {
        event: name,
        app: event.app,
        environment: event.environment,
        release: event.release ?? null,
        deploymentId: event.deploymentId ?? null,
        actor: event.actor,
        message: event.message,
        time: isoAt(event.atMs),
        ledger: { seq, kind: event.kind },
        stakeholders: route.stakeholders,
      };
      this.#enqueue(route.channel, notification);
    }
  }

  /** Waits for queued deliveries, at most `timeoutMs`; what is still undelivered then is recorded as failed. */
  async flush(timeoutMs = parseDurationMs(DEFAULTS.notifications.flushTimeout) ?? 15_000): Promise<void> {
    if (this.#pending === 0) return;
    const abandon = new AbortController();
    const all = Promise.all([...this.#queues.values()]).then(() => 'done' as const);
    const outcome = await Promise.race([
      all,
      sleep(timeoutMs, 'timeout' as const, { signal: abandon.signal }).catch(() => 'done' as const),
    ]);
    abandon.abort();
    if (outcome === 'timeout' && this.#pending > 0) {
      await this.#recordFailure(null, null, `${this.#pending} notification(s) still undelivered at exit`);
    }
  }

  #enqueue(channel: NotificationChannelConfig, notification: Notification): void {
    this.#pending++;
    const previous = this.#queues.get(channel.name) ?? Promise.resolve();
    const next = previous
      .then(() => this.#deliver(channel, notification))
      .catch(() => undefined)
      .finally(() => this.#pending--);
    this.#queues.set(channel.name, next);
  }

  async #deliver(channel: NotificationChannelConfig, notification: Notification): Promise<void> {
    const url = channel.url ?? (await this.#secretUrl(channel, notification));
    if (url === undefined) return;
    const result = await deliverNotification(
      url,
      NOTIFICATION_FORMATTERS[channel.format](notification),
      this.#options,
    );
    if (result.ok) return;
    await this.#recordFailure(
      channel.name,
      notification,
      `notification "${notification.event}" to channel ${channel.name} failed after ${result.attempts} attempt(s): ${redact(result.error, [url])}`,
    );
  }

  async #secretUrl(channel: NotificationChannelConfig, n: Notification): Promise<string | undefined> {
    const name = channel.urlSecret ?? '';
    const value = await this.#deps.resolveSecret(n.environment, name).catch(() => undefined);
    if (value === undefined || value === '') {
      await this.#recordFailure(
        channel.name,
        n,
        `notification channel ${channel.name}: secret ${name} has no value`,
      );
    }
    return value || undefined;
  }

  async #recordFailure(channel: string | null, n: Notification | null, message: string): Promise<void> {
    await this.#deps.ledger
      .appendEvent({
        atMs: this.#deps.clock.nowMs(),
        actor: this.#deps.actor,
        app: this.#deps.app,
        environment: n?.environment ?? null,
        kind: 'notification.failed',
        deploymentId: n?.deploymentId ?? null,
        release: n?.release ?? null,
        message,
        data: { channel, event: n?.event ?? null, ledgerSeq: n?.ledger.seq ?? null },
      })
      .catch(() => undefined);
  }
}
