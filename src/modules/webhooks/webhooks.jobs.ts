import type { Config } from '../../config.ts';
import { sqlOf } from '../../infra/db.ts';
import type { JobHandler, Jobs } from '../../infra/jobs/types.ts';
import { sendWebhook, type Attempt } from './webhooks.delivery.ts';
import { deliveries, webhooks, type AttemptRecord, type ClaimedRow } from './webhooks.repository.ts';
import { openSecret } from './webhooks.secrets.ts';

/** Ids per `webhooks:deliver` job: a burst's deliveries travel in a few jobs, not one each. */
export const IDS_PER_JOB = 500;
/** Requests in flight at once within one job. */
const PARALLEL = 16;
/** Pending deliveries this late are taken to have lost their job (the sweep adds one again). */
const SWEEP_GRACE_SECONDS = 300;

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

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

const idsOf = (value: unknown) => (Array.isArray(value) ? value.map(String).filter((id) => /^\d{1,19}$/.test(id)) : []);

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

  const attempts = await mapLimit(claimed, PARALLEL, (row) => attempt(row, ctx.config));
  const records: AttemptRecord[] = claimed.map((row, i) => ({
    delivery_id: row.delivery_id,
    ...attempts[i],
    retry_delay_s: cfg.retryBaseSeconds * 2 ** Math.min(30, attempts[i].attempt - 1),
  }));
  const outcomes = await deliveries.record(sql, records, cfg.retryHours);
  const exhausted = [...new Set(outcomes.filter((o) => o.status === 'failed').map((o) => o.webhook_id))];
  if (exhausted.length) {
    await webhooks.disable(sql, exhausted, `deliveries failed for ${cfg.retryHours} hours; last error: ${records.find((r) => !r.ok)?.error ?? 'unknown'}`.slice(0, 500));
    ctx.log.warn({ webhook_ids: exhausted }, 'webhook endpoints disabled after the retry window');
    ctx.bus?.publish('webhooks.changed', { webhook_id: exhausted[0] });
  }
  const retrying = outcomes.filter((o) => o.status === 'pending' && o.wait_ms !== null) as { delivery_id: string; wait_ms: number }[];
  await queueByWait(ctx.jobs, retrying);
  const delivered = outcomes.filter((o) => o.status === 'delivered').length;
  return { attempted: claimed.length, delivered, retrying: retrying.length, failed: outcomes.length - delivered - retrying.length };
};

/** The attempt number is the claim's (it counted this one). */
async function attempt(row: ClaimedRow, config: Config): Promise<Attempt & { attempt: number }> {
  const number = Number(row.attempts);
  const secret = openSecret(row.secret, config.secretKey);
  if (!secret) return { ok: false, status_code: null, error: 'secret_unreadable: SECRET_KEY changed since the endpoint was registered', latency_ms: 0, attempt: number };
  const body = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
  const result = await sendWebhook(
    { url: row.url, secret },
    { id: row.message_id, body },
    { timeoutMs: config.webhooks.timeoutSeconds * 1000, maxResponseBytes: config.webhooks.maxResponseBytes, allowPrivate: config.webhooks.allowPrivate },
  );
  return { ...result, attempt: number };
}

/**
 * `webhooks:sweep` (every minute): pending deliveries of disabled endpoints fail, and pending ones whose job was lost
 * (the embedded queue lives in memory) get one again.
 */
export const sweepWebhooks: JobHandler = async (_data, ctx) => {
  const sql = sqlOf(ctx.em);
  const orphans = await deliveries.failOrphans(sql);
  const overdue = await deliveries.overdue(sql, SWEEP_GRACE_SECONDS, 10 * IDS_PER_JOB);
  await queueDeliveries(ctx.jobs, overdue);
  return { orphans, requeued: overdue.length };
};
