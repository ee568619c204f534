import type { Bus, DomainEvents } from '../../infra/bus.ts';
import type { Sql } from '../../infra/db.ts';
import type { Jobs } from '../../infra/jobs/types.ts';
import type { Logger } from '../../infra/logger.ts';
import type { Channel } from '../../infra/channel.ts';
import type { WebhookBody, WebhookEvent } from './webhooks.events.ts';
import { randomUUID } from 'node:crypto';
import { queueBatch } from './webhooks.jobs.ts';
import { batches, webhooks, type BatchEvent } from './webhooks.repository.ts';

/** Which domain event makes which webhook event (the same name, the same data as the REST API shows). */
const SOURCES = ['punch.created', 'attendance.changed', 'correction.requested', 'correction.resolved', 'day.closed', 'summary.updated', 'employee.changed'] as const satisfies readonly (keyof DomainEvents & WebhookEvent)[];

export type FanoutDeps = {
  bus: Bus;
  /** Plain SQL on the root entity manager (no unit of work). */
  sql: () => Sql;
  jobs: Jobs;
  log: Logger;
  /**
   * Scale-out (or several API processes of one machine): a change of endpoints on one instance is announced to the
   * others on this channel (src/infra/channel.ts).
   */
  announce?: Channel | null;
  /** How long events are gathered before one insert and one enqueue (ms). */
  flushMs?: number;
  /** How often the subscribed event types are read again anyway (ms). */
  refreshMs?: number;
};

/**
 * Turns this process's domain events into webhook messages. Which event types have a subscriber is kept in memory
 * (read again every few seconds, and at once when endpoints change, on every instance): an event nobody subscribed to
 * costs one set lookup on the punch path. Others are gathered for a few milliseconds, each given its message id,
 * then written as one batch row and queued as one `webhooks:fanout` job: whatever the number of events and
 * endpoints, the punch path adds one small insert every `flushMs`. The worker sends them and writes the deliveries.
 */
export function createWebhookFanout(deps: FanoutDeps) {
  const flushMs = deps.flushMs ?? 20;
  let subscribed = new Set<string>();
  let gathered: BatchEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const refresh = async () => {
    try {
      subscribed = new Set(await webhooks.subscribedTypes(deps.sql()));
    } catch (error) {
      deps.log.warn({ err: error }, 'could not read the webhook subscriptions');
    }
  };
  const ready = refresh();
  const refresher = setInterval(() => void refresh(), deps.refreshMs ?? 5_000);
  refresher.unref();

  const flush = () => {
    timer = null;
    if (gathered.length === 0) return;
    const events = gathered;
    gathered = [];
    const work = (async () => {
      try {
        await queueBatch(deps.jobs, await batches.insert(deps.sql(), events));
      } catch (error) {
        deps.log.error({ err: error, events: events.length }, 'could not queue webhook deliveries');
      }
    })();
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const emit = (type: WebhookEvent, data: unknown) => {
    if (closed || !subscribed.has(type)) return;
    const body: WebhookBody = { type, timestamp: new Date().toISOString(), data };
    gathered.push({ id: `msg_${randomUUID().replaceAll('-', '')}`, body });
    if (gathered.length >= 1000) flush();
    else timer ??= setTimeout(flush, flushMs);
  };

  const offs = SOURCES.map((name) => deps.bus.subscribe(name, (event) => emit(name, event)));
  // An endpoint added here is seen here at once, and on the other instances as soon as they hear of it.
  offs.push(
    deps.bus.subscribe('webhooks.changed', (change) => {
      void refresh();
      deps.announce?.publish(JSON.stringify(change));
    }),
  );
  deps.announce?.subscribe(() => void refresh());

  return {
    /** Resolves once the subscriptions have been read the first time. */
    ready,
    refresh,
    /** Stops listening, writes and queues what is gathered. */
    async close() {
      closed = true;
      for (const off of offs) off();
      clearInterval(refresher);
      if (timer) clearTimeout(timer);
      flush();
      await Promise.allSettled([...inFlight]);
      await deps.announce?.close();
    },
  };
}

export type WebhookFanout = ReturnType<typeof createWebhookFanout>;
