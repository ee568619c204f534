import type { Config } from '../../config.ts';
import { sqlOf } from '../../infra/db.ts';
import { mapLimit } from '../../infra/concurrency.ts';
import type { JobHandler, Jobs } from '../../infra/jobs/types.ts';
import { sendWebhook, type Attempt } from './webhooks.delivery.ts';
import { batches, deliveries, webhooks, type AttemptRecord, type FirstAttempt } from './webhooks.repository.ts';
import { openSecret } from './webhooks.secrets.ts';

/** Ids per `webhooks:deliver` job: a burst's deliveries travel in a few jobs, not one each. */
export const IDS_PER_JOB = 500;
/** Requests in flight at once within one job. */
const PARALLEL = 16;
/** Pending deliveries and unsent batches this late are taken to have lost their job (the sweep adds one again). */
const SWEEP_GRACE_SECONDS = 300;

/** Adds the `webhooks:fanout` job that sends a batch of events (written on the punch path). */
export const queueBatch = (jobs: Jobs, batchId: string) => jobs.add('webhooks:fanout', { batch_id: batchId });

/** Adds `webhooks:deliver` jobs for these deliveries, IDS_PER_JOB at a time, after `delayMs`. */
export async function queueDeliveries(jobs: Jobs, ids: string[], delayMs = 0) {
  for (let i = 0; i < ids.length; i += IDS_PER_JOB) {
    await jobs.add('webhooks:deliver', { delivery_ids: ids.slice(i, i + IDS_PER_JOB) }, delayMs > 0 ? { delayMs } : {});
  }
}

/** Queues each delivery for when it is due, one job per distinct moment (to the tenth of a second). */
async function queueByWait(jobs: Jobs, waits: { delivery_id: string; wait_ms: number }[]) {
  const groups = new Map<number, string[]>();
  for (const w of waits) {
    const at = Math.ceil(w.wait_ms / 100) * 100;
    (groups.get(at) ?? groups.set(at, []).get(at)!).push(w.delivery_id);
  }
  for (const [wait, ids] of groups) await queueDeliveries(jobs, ids, wait);
}

const isId = (id: string) => /^\d{1,19}$/.test(id);
const idsOf = (value: unknown) => (Array.isArray(value) ? value.map(String).filter(isId) : []);
/** The wait before attempt `attempt + 1` should attempt `attempt` fail. */
const retryDelay = (config: Config, attempt: number) => config.webhooks.retryBaseSeconds * 2 ** Math.min(30, attempt - 1);

/** Endpoints whose deliveries failed for good are disabled, with the reason; every process hears of it. */
async function disableExhausted(ctx: Parameters<JobHandler>[1], outcomes: { status: string; webhook_id: number }[], lastError: string | undefined) {
  const exhausted = [...new Set(outcomes.filter((o) => o.status === 'failed').map((o) => o.webhook_id))];
  if (!exhausted.length) return;
  const hours = ctx.config.webhooks.retryHours;
  await webhooks.disable(sqlOf(ctx.em), exhausted, `deliveries failed for ${hours} hours; last error: ${lastError ?? 'unknown'}`.slice(0, 500));
  ctx.log.warn({ webhook_ids: exhausted }, 'webhook endpoints disabled after the retry window');
  ctx.bus?.publish('webhooks.changed', { webhook_id: exhausted[0] });
}

/**
 * `webhooks:fanout` { batch_id }: sends each event of a batch to every active endpoint subscribed to its type (16 at a
 * time), then writes every delivery once, with its outcome, in one transaction that marks the batch sent. An
 * endpoint that fails is not tried again within the batch: its other messages wait for their retry untried.
 * A second run of the job (a crash before the write, a stalled job taken again) sends again with the same
 * `webhook-id`s, as at-least-once allows, and writes nothing twice.
 */
export const fanOutWebhooks: JobHandler = async (data, ctx) => {
  const batchId = String(data.batch_id ?? '');
  if (!isId(batchId)) return { sent: 0 };
  const sql = sqlOf(ctx.em);
  const batch = await batches.unsent(sql, batchId);
  if (!batch) return { sent: 0 };
  const endpoints = (await webhooks.active(sql)).map((w) => ({ ...w, events: new Set(w.events), opened: openSecret(w.secret, ctx.config.secretKey) }));
  const messages = batch.events.flatMap((event, event_index) =>
    endpoints.filter((w) => w.events.has(event.body.type)).map((endpoint) => ({ endpoint, event_index, event })),
  );
  const failing = new Set<number>();
  const firsts = await mapLimit(messages, PARALLEL, async ({ endpoint, event_index, event }): Promise<FirstAttempt> => {
    const message = { webhook_id: endpoint.webhook_id, event_index, message_id: event.id, event_type: event.body.type, retry_delay_s: retryDelay(ctx.config, 1) };
    if (failing.has(endpoint.webhook_id)) {
      return { ...message, attempted: false, ok: false, status_code: null, error: 'not attempted: the endpoint failed earlier in the same batch', latency_ms: 0 };
    }
    const outcome = await attempt({ url: endpoint.url, secret: endpoint.opened, message_id: event.id, body: JSON.stringify(event.body) }, ctx.config);
    if (!outcome.ok) failing.add(endpoint.webhook_id);
    return { ...message, attempted: true, ...outcome };
  });
  const outcomes = await deliveries.recordFirst(sql, batchId, firsts, ctx.config.webhooks.retryHours);
  if (!outcomes) return { sent: 0, duplicate: true };
  await disableExhausted(ctx, outcomes, firsts.find((f) => !f.ok)?.error ?? undefined);
  const retrying = outcomes.filter((o) => o.status === 'pending' && o.wait_ms !== null) as { delivery_id: string; wait_ms: number }[];
  await queueByWait(ctx.jobs, retrying);
  const delivered = outcomes.filter((o) => o.status === 'delivered').length;
  return { sent: firsts.filter((f) => f.attempted).length, delivered, retrying: retrying.length };
};

/**
 * `webhooks:deliver` { delivery_ids }: one attempt for each due delivery, then each outcome recorded in one statement.
 * A failure (non-2xx, a redirect, a timeout, a refused address) is retried RETRY_BASE·2^(attempt-1) seconds later by a
 * new delayed job, within WEBHOOK_RETRY_HOURS of the message; past that the delivery fails and its endpoint is
 * disabled. Safe to run twice: a delivery is claimed by one attempt at a time, in the database.
 */
export const deliverWebhooks: JobHandler = async (data, ctx) => {
  const ids = idsOf(data.delivery_ids);
  if (ids.length === 0) return { attempted: 0 };
  const sql = sqlOf(ctx.em);
  const cfg = ctx.config.webhooks;
  await deliveries.failOrphans(sql, ids);
  // Held past the attempt's own timeout: an attempt cut short by a crash is taken again after this.
  const claimed = await deliveries.claim(sql, ids, cfg.timeoutSeconds + 30);
  const taken = new Set(claimed.map((c) => c.delivery_id));
  const others = ids.filter((id) => !taken.has(id));
  // Not due yet (a copy of this job came early, or an attempt is running elsewhere): a job for when they are.
  if (others.length) await queueByWait(ctx.jobs, await deliveries.waits(sql, others));
  if (claimed.length === 0) return { attempted: 0 };

  const attempts = await mapLimit(claimed, PARALLEL, (row) => attempt({ ...row, secret: openSecret(row.secret, ctx.config.secretKey) }, ctx.config));
  const records: AttemptRecord[] = claimed.map((row, i) => ({
    delivery_id: row.delivery_id,
    ...attempts[i],
    retry_delay_s: retryDelay(ctx.config, Number(row.attempts)),
  }));
  const outcomes = await deliveries.record(sql, records, cfg.retryHours);
  await disableExhausted(ctx, outcomes, records.find((r) => !r.ok)?.error ?? undefined);
  const retrying = outcomes.filter((o) => o.status === 'pending' && o.wait_ms !== null) as { delivery_id: string; wait_ms: number }[];
  await queueByWait(ctx.jobs, retrying);
  const delivered = outcomes.filter((o) => o.status === 'delivered').length;
  return { attempted: claimed.length, delivered, retrying: retrying.length, failed: outcomes.length - delivered - retrying.length };
};

/** One attempt to send a message (`secret` opened, null when SECRET_KEY no longer opens it). */
function attempt(m: { url: string; secret: string | null; message_id: string; body: string }, config: Config): Promise<Attempt> {
  if (!m.secret) return Promise.resolve({ ok: false, status_code: null, error: 'secret_unreadable: SECRET_KEY changed since the endpoint was registered', latency_ms: 0 });
  return sendWebhook(
    { url: m.url, secret: m.secret },
    { id: m.message_id, body: m.body },
    { timeoutMs: config.webhooks.timeoutSeconds * 1000, maxResponseBytes: config.webhooks.maxResponseBytes, allowPrivate: config.webhooks.allowPrivate },
  );
}

/**
 * `webhooks:sweep` (every minute): pending deliveries of disabled endpoints fail, and batches and pending deliveries
 * whose job was lost (the embedded queue lives in memory; a crash between a write and an add) get one again.
 */
export const sweepWebhooks: JobHandler = async (_data, ctx) => {
  const sql = sqlOf(ctx.em);
  const orphans = await deliveries.failOrphans(sql);
  const stale = await batches.stale(sql, SWEEP_GRACE_SECONDS, 1000);
  for (const batchId of stale) await queueBatch(ctx.jobs, batchId);
  const overdue = await deliveries.overdue(sql, SWEEP_GRACE_SECONDS, 10 * IDS_PER_JOB);
  await queueDeliveries(ctx.jobs, overdue);
  return { orphans, batches: stale.length, requeued: overdue.length };
};

/** `webhooks:prune` (daily): deliveries older than WEBHOOK_RETENTION_DAYS (but never a pending one), and their batches. */
export const pruneWebhooks: JobHandler = async (_data, ctx) => deliveries.prune(sqlOf(ctx.em), ctx.config.webhooks.retentionDays);
