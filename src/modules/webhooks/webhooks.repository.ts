import type { Sql, SqlDb } from '../../infra/db.ts';

/** Every statement on `webhooks`, `webhook_batches` and `webhook_deliveries`. */

export type WebhookRow = {
  webhook_id: number;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
  active: boolean;
  disabled_reason: string | null;
  disabled_at: string | Date | null;
  created_by: number | null;
  created_at: string | Date;
  updated_at: string | Date;
};

export type DeliveryRow = {
  delivery_id: string | number;
  webhook_id: number;
  message_id: string;
  event_type: string;
  /** The body sent (a batch's deliveries read it from the batch). */
  payload: unknown;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  next_attempt_at: string | Date | null;
  created_at: string | Date;
  delivered_at: string | Date | null;
};

/** A delivery claimed for an attempt, with what sending it takes (`body` is the JSON text sent). */
export type ClaimedRow = { delivery_id: string; message_id: string; body: string; attempts: number; url: string; secret: string };

/** The outcome of one attempt: `retry_delay_s` is the wait before the next one should it have failed. */
export type Outcome = { ok: boolean; status_code: number | null; error: string | null; latency_ms: number; retry_delay_s: number };
export type AttemptRecord = Outcome & { delivery_id: string };

/** One message of a batch to one endpoint, with its first attempt's outcome (`attempted` false: deferred untried). */
export type FirstAttempt = Outcome & { webhook_id: number; event_index: number; message_id: string; event_type: string; attempted: boolean };

/** A batch's message: its `webhook-id` and the body every endpoint gets. */
export type BatchEvent = { id: string; body: { type: string } & Record<string, unknown> };

const W = 'webhook_id, url, events, description, secret, active, disabled_reason, disabled_at, created_by, created_at, updated_at';
/** A delivery's columns, its body read from its batch when it keeps none (`d` the delivery). */
const D = `d.delivery_id, d.webhook_id, d.message_id, d.event_type,
  coalesce(d.payload, (select (b.events -> d.event_index -> 'body')::jsonb from webhook_batches b where b.batch_id = d.batch_id)) as payload,
  d.status, d.attempts, d.last_status_code, d.last_error, d.last_latency_ms, d.next_attempt_at, d.created_at, d.delivered_at`;
const MESSAGE_ID = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;

/**
 * Where an attempt leaves a delivery, the one rule for first attempts and retries alike: a success is delivered; a
 * failure waits `retry` seconds for the next attempt, but no later than `window` seconds after the message was made
 * (`made`); past that moment it fails. SQL expressions over the given column names.
 */
const after = (ok: string, made: string, retry: string, window: string) => {
  const expired = `now() >= ${made} + make_interval(secs => ${window})`;
  return {
    status: `case when ${ok} then 'delivered' when ${expired} then 'failed' else 'pending' end`,
    delivered_at: `case when ${ok} then now() else null end`,
    next_attempt_at: `case when ${ok} or ${expired} then null else least(now() + make_interval(secs => ${retry}), ${made} + make_interval(secs => ${window})) end`,
  };
};

export const webhooks = {
  async insert(sql: Sql, f: { url: string; events: string[]; description: string | null; secret: string; created_by: number | null }): Promise<WebhookRow> {
    const [row] = await sql.query<WebhookRow>(
      `insert into webhooks (url, events, description, secret, active, created_by, created_at, updated_at)
       values ($1, $2::text[], $3, $4, true, $5, now(), now()) returning ${W}`,
      [f.url, f.events, f.description, f.secret, f.created_by],
    );
    return row;
  },

  async list(sql: Sql, opts: { skip: number; limit: number }) {
    const rows = await sql.query<WebhookRow>(`select ${W} from webhooks order by webhook_id limit $1 offset $2`, [opts.limit, opts.skip]);
    const [{ total }] = await sql.query<{ total: string }>('select count(*) as total from webhooks');
    return { rows, total: Number(total) };
  },

  async get(sql: Sql, id: number, opts: { lock?: boolean } = {}): Promise<WebhookRow | null> {
    const [row] = await sql.query<WebhookRow>(`select ${W} from webhooks where webhook_id = $1${opts.lock ? ' for update' : ''}`, [id]);
    return row ?? null;
  },

  /** Saves the fields; `active` true clears the reason it was disabled, false keeps (or sets) `disabled_reason`. */
  async update(sql: Sql, id: number, f: { url: string; events: string[]; description: string | null; active: boolean; disabled_reason: string | null }): Promise<WebhookRow> {
    const [row] = await sql.query<WebhookRow>(
      `update webhooks set url = $2, events = $3::text[], description = $4, active = $5,
              disabled_reason = case when $5 then null else $6 end,
              disabled_at = case when $5 then null when active then now() else disabled_at end,
              updated_at = now()
        where webhook_id = $1 returning ${W}`,
      [id, f.url, f.events, f.description, f.active, f.disabled_reason],
    );
    return row;
  },

  async delete(sql: Sql, id: number): Promise<WebhookRow | null> {
    const [row] = await sql.query<WebhookRow>(`delete from webhooks where webhook_id = $1 returning ${W}`, [id]);
    return row ?? null;
  },

  /** The active endpoints, with what sending to them takes. */
  async active(sql: Sql): Promise<Pick<WebhookRow, 'webhook_id' | 'url' | 'events' | 'secret'>[]> {
    return sql.query(`select webhook_id, url, events, secret from webhooks where active order by webhook_id`);
  },

  /** The event types at least one active endpoint subscribed to. */
  async subscribedTypes(sql: Sql): Promise<string[]> {
    const rows = await sql.query<{ type: string }>('select distinct unnest(events) as type from webhooks where active');
    return rows.map((r) => r.type);
  },

  /** Disables endpoints that are still active, with the reason; their pending deliveries fail with it. */
  async disable(sql: Sql, ids: number[], reason: string) {
    await sql.query(`update webhooks set active = false, disabled_reason = $2, disabled_at = now(), updated_at = now() where webhook_id = any($1::int[]) and active`, [ids, reason]);
    await deliveries.failPendingOf(sql, ids, 'endpoint disabled');
  },
};

export const deliveries = {
  /** One pending delivery of a new message to one endpoint (a test message). */
  async insert(sql: Sql, webhookId: number, body: { type: string }): Promise<DeliveryRow> {
    const [{ delivery_id }] = await sql.query<{ delivery_id: string }>(
      `insert into webhook_deliveries (webhook_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       values ($1, ${MESSAGE_ID}, $2, $3::jsonb, 'pending', 0, now(), now()) returning delivery_id`,
      [webhookId, body.type, JSON.stringify(body)],
    );
    return (await deliveries.get(sql, webhookId, Number(delivery_id)))!;
  },

  /** A delivery's message again, as a new pending delivery with the same `message_id` and body. */
  async copy(sql: Sql, webhookId: number, deliveryId: number): Promise<DeliveryRow | null> {
    const [copy] = await sql.query<{ delivery_id: string }>(
      `insert into webhook_deliveries (webhook_id, message_id, event_type, payload, batch_id, event_index, status, attempts, next_attempt_at, created_at)
       select webhook_id, message_id, event_type, payload, batch_id, event_index, 'pending', 0, now(), now()
         from webhook_deliveries where webhook_id = $1 and delivery_id = $2
       returning delivery_id`,
      [webhookId, deliveryId],
    );
    return copy ? deliveries.get(sql, webhookId, Number(copy.delivery_id)) : null;
  },

  /**
   * Writes a batch's deliveries once, each with its first attempt's outcome, and marks the batch sent, in one
   * transaction. Null when the batch was already written (a second run of its job): nothing is written twice.
   * Returns each pending delivery's wait before its next attempt, and the endpoints whose delivery failed for good.
   */
  async recordFirst(sql: SqlDb, batchId: string, rows: FirstAttempt[], retryHours: number) {
    return sql.transaction(async (tx) => {
      const [batch] = await tx.query<{ created_at: Date | string }>(
        'update webhook_batches set fanned_out_at = now() where batch_id = $1 and fanned_out_at is null returning created_at',
        [batchId],
      );
      if (!batch) return null;
      if (rows.length === 0) return [];
      const o = after('r.ok', '$12::timestamptz', 'r.retry_delay_s', '$13');
      const written = await tx.query<{ delivery_id: string; webhook_id: number; status: DeliveryRow['status']; wait_ms: string | null }>(
        `insert into webhook_deliveries (webhook_id, message_id, event_type, batch_id, event_index, status, attempts, last_status_code, last_error, last_latency_ms, next_attempt_at, created_at, delivered_at)
         select r.webhook_id, r.message_id, r.event_type, $11, r.event_index,
                case when r.attempted then ${o.status} else 'pending' end,
                case when r.attempted then 1 else 0 end, r.status_code, r.error, r.latency_ms,
                case when r.attempted then ${o.next_attempt_at} else now() + make_interval(secs => r.retry_delay_s) end,
                $12::timestamptz, ${o.delivered_at}
           from unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::int[], $8::text[], $9::int[], $10::float8[])
                as r(webhook_id, event_index, message_id, event_type, attempted, ok, status_code, error, latency_ms, retry_delay_s)
         returning delivery_id::text, webhook_id, status,
                   case when status = 'pending' then greatest(0, ceil(extract(epoch from next_attempt_at - now()) * 1000)) end as wait_ms`,
        [
          rows.map((r) => r.webhook_id),
          rows.map((r) => r.event_index),
          rows.map((r) => r.message_id),
          rows.map((r) => r.event_type),
          rows.map((r) => r.attempted),
          rows.map((r) => r.ok),
          rows.map((r) => r.status_code),
          rows.map((r) => r.error),
          rows.map((r) => Math.round(r.latency_ms)),
          rows.map((r) => r.retry_delay_s),
          batchId,
          batch.created_at,
          retryHours * 3600,
        ],
        'webhook_record_first',
      );
      return written.map((r) => ({ ...r, wait_ms: r.wait_ms === null ? null : Number(r.wait_ms) }));
    });
  },

  /** Deliveries made more than `days` ago that are no longer pending, and the batches no delivery needs any more. */
  async prune(sql: Sql, days: number) {
    const gone = await sql.query(
      `delete from webhook_deliveries where status <> 'pending' and created_at < now() - make_interval(days => $1) returning 1`,
      [days],
    );
    const batches = await sql.query(
      `delete from webhook_batches b where b.fanned_out_at is not null and b.created_at < now() - make_interval(days => $1)
          and not exists (select 1 from webhook_deliveries d where d.batch_id = b.batch_id) returning 1`,
      [days],
    );
    return { pruned_deliveries: gone.length, pruned_batches: batches.length };
  },

  async list(sql: Sql, webhookId: number, opts: { skip: number; limit: number; status?: string }) {
    const where = `where d.webhook_id = $1${opts.status ? ' and d.status = $2' : ''}`;
    const params: unknown[] = opts.status ? [webhookId, opts.status] : [webhookId];
    const rows = await sql.query<DeliveryRow>(
      `select ${D} from webhook_deliveries d ${where} order by d.delivery_id desc limit $${params.length + 1} offset $${params.length + 2}`,
      [...params, opts.limit, opts.skip],
    );
    const [{ total }] = await sql.query<{ total: string }>(`select count(*) as total from webhook_deliveries d ${where}`, params);
    return { rows, total: Number(total) };
  },

  async get(sql: Sql, webhookId: number, deliveryId: number): Promise<DeliveryRow | null> {
    const [row] = await sql.query<DeliveryRow>(`select ${D} from webhook_deliveries d where d.webhook_id = $1 and d.delivery_id = $2`, [webhookId, deliveryId]);
    return row ?? null;
  },

  /** Pending deliveries of endpoints no longer active fail (they were made before the endpoint was disabled). */
  async failOrphans(sql: Sql, ids?: string[]): Promise<number> {
    const rows = await sql.query(
      `update webhook_deliveries d set status = 'failed', last_error = 'endpoint disabled', next_attempt_at = null
         from webhooks w
        where w.webhook_id = d.webhook_id and not w.active and d.status = 'pending'${ids ? ' and d.delivery_id = any($1::bigint[])' : ''}
       returning d.delivery_id`,
      ids ? [ids] : [],
    );
    return rows.length;
  },

  async failPendingOf(sql: Sql, webhookIds: number[], reason: string) {
    await sql.query(
      `update webhook_deliveries set status = 'failed', last_error = $2, next_attempt_at = null where webhook_id = any($1::int[]) and status = 'pending'`,
      [webhookIds, reason],
    );
  },

  /**
   * Takes the due pending deliveries among `ids` for one attempt: counts it, and holds them `leaseSeconds` (an attempt
   * running elsewhere, or crashed, is not taken twice before). Those not due are left to the job that will come then.
   */
  async claim(sql: Sql, ids: string[], leaseSeconds: number): Promise<ClaimedRow[]> {
    return sql.query<ClaimedRow>(
      `update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         from webhooks w
        where d.delivery_id = any($1::bigint[]) and d.status = 'pending' and d.next_attempt_at <= now()
          and w.webhook_id = d.webhook_id and w.active
       returning d.delivery_id::text, d.message_id, d.attempts, w.url, w.secret,
                 coalesce(d.payload::text, (select (b.events -> d.event_index -> 'body')::text from webhook_batches b where b.batch_id = d.batch_id)) as body`,
      [ids, leaseSeconds],
    );
  },

  /** How long each of these still-pending deliveries waits for its next attempt (ms). */
  async waits(sql: Sql, ids: string[]): Promise<{ delivery_id: string; wait_ms: number }[]> {
    const rows = await sql.query<{ delivery_id: string; wait_ms: string }>(
      `select delivery_id::text, greatest(0, ceil(extract(epoch from next_attempt_at - now()) * 1000)) as wait_ms
         from webhook_deliveries where delivery_id = any($1::bigint[]) and status = 'pending'`,
      [ids],
    );
    return rows.map((r) => ({ delivery_id: r.delivery_id, wait_ms: Number(r.wait_ms) }));
  },

  /**
   * Records retries' attempts in one statement (see `after`). Returns each outcome (with the wait before the next
   * attempt, and the endpoint of those that failed for good).
   */
  async record(sql: Sql, attempts: AttemptRecord[], retryHours: number) {
    const o = after('r.ok', 'd.created_at', 'r.retry_delay_s', '$7');
    const rows = await sql.query<{ delivery_id: string; webhook_id: number; status: DeliveryRow['status']; wait_ms: string | null }>(
      `update webhook_deliveries d set
              status = ${o.status},
              last_status_code = r.status_code, last_error = r.error, last_latency_ms = r.latency_ms,
              delivered_at = ${o.delivered_at},
              next_attempt_at = ${o.next_attempt_at}
         from unnest($1::bigint[], $2::boolean[], $3::int[], $4::text[], $5::int[], $6::float8[]) as r(delivery_id, ok, status_code, error, latency_ms, retry_delay_s)
        where d.delivery_id = r.delivery_id and d.status = 'pending'
       returning d.delivery_id::text, d.webhook_id, d.status,
                 case when d.status = 'pending' then greatest(0, ceil(extract(epoch from d.next_attempt_at - now()) * 1000)) end as wait_ms`,
      [
        attempts.map((a) => a.delivery_id),
        attempts.map((a) => a.ok),
        attempts.map((a) => a.status_code),
        attempts.map((a) => a.error),
        attempts.map((a) => Math.round(a.latency_ms)),
        attempts.map((a) => a.retry_delay_s),
        retryHours * 3600,
      ],
    );
    return rows.map((r) => ({ ...r, wait_ms: r.wait_ms === null ? null : Number(r.wait_ms) }));
  },

  /** Pending deliveries whose attempt is overdue by more than `graceSeconds`: their job was lost. */
  async overdue(sql: Sql, graceSeconds: number, limit: number): Promise<string[]> {
    const rows = await sql.query<{ delivery_id: string }>(
      `select delivery_id::text from webhook_deliveries where status = 'pending' and next_attempt_at < now() - make_interval(secs => $1) order by next_attempt_at limit $2`,
      [graceSeconds, limit],
    );
    return rows.map((r) => r.delivery_id);
  },
};

export const batches = {
  /** Writes the events gathered on the punch path as one row; returns its id. */
  async insert(sql: Sql, events: BatchEvent[]): Promise<string> {
    const [row] = await sql.query<{ batch_id: string }>(
      'insert into webhook_batches (events) values ($1::json) returning batch_id::text',
      [JSON.stringify(events)],
      'webhook_batch_insert',
    );
    return row.batch_id;
  },

  /** A batch not yet sent, with the moment it was made; null once it has been (or when it is gone). */
  async unsent(sql: Sql, batchId: string): Promise<{ events: BatchEvent[] } | null> {
    const [row] = await sql.query<{ events: BatchEvent[] | string }>(
      'select events from webhook_batches where batch_id = $1 and fanned_out_at is null',
      [batchId],
    );
    if (!row) return null;
    return { events: typeof row.events === 'string' ? JSON.parse(row.events) : row.events };
  },

  /** Batches made over `graceSeconds` ago and still not sent: their job was lost. */
  async stale(sql: Sql, graceSeconds: number, limit: number): Promise<string[]> {
    const rows = await sql.query<{ batch_id: string }>(
      `select batch_id::text from webhook_batches where fanned_out_at is null and created_at < now() - make_interval(secs => $1) order by created_at limit $2`,
      [graceSeconds, limit],
    );
    return rows.map((r) => r.batch_id);
  },
};
