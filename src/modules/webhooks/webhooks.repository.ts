import type { Sql } from '../../infra/db.ts';

/** Every statement on `webhooks` and `webhook_deliveries`. */

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

/** A delivery claimed for an attempt, with what sending it takes. */
export type ClaimedRow = { delivery_id: string; message_id: string; payload: unknown; attempts: number; url: string; secret: string };

/** The outcome of one attempt, as recorded. */
export type AttemptRecord = { delivery_id: string; ok: boolean; status_code: number | null; error: string | null; latency_ms: number; retry_delay_s: number };

const W = 'webhook_id, url, events, description, secret, active, disabled_reason, disabled_at, created_by, created_at, updated_at';
const D = 'delivery_id, webhook_id, message_id, event_type, payload, status, attempts, last_status_code, last_error, last_latency_ms, next_attempt_at, created_at, delivered_at';
const MESSAGE_ID = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;

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
  /**
   * One pending delivery per message and active endpoint subscribed to its type, in one statement whatever the number
   * of messages (they travel as one JSON array). Returns the new ids.
   */
  async fanOut(sql: Sql, bodies: { type: string }[]): Promise<string[]> {
    const rows = await sql.query<{ delivery_id: string }>(
      `insert into webhook_deliveries (webhook_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       select w.webhook_id, ${MESSAGE_ID}, e.value->>'type', e.value, 'pending', 0, now(), now()
         from jsonb_array_elements($1::jsonb) with ordinality as e(value, n)
         join webhooks w on w.active and (e.value->>'type') = any(w.events)
        order by e.n, w.webhook_id
       returning delivery_id`,
      [JSON.stringify(bodies)],
      'webhook_fan_out',
    );
    return rows.map((r) => String(r.delivery_id));
  },

  /** One pending delivery of a body to one endpoint; `messageId` given: the same message again (a redelivery). */
  async insert(sql: Sql, webhookId: number, body: { type: string }, messageId?: string): Promise<DeliveryRow> {
    const [row] = await sql.query<DeliveryRow>(
      `insert into webhook_deliveries (webhook_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       values ($1, coalesce($2, ${MESSAGE_ID}), $3, $4::jsonb, 'pending', 0, now(), now()) returning ${D}`,
      [webhookId, messageId ?? null, body.type, JSON.stringify(body)],
    );
    return row;
  },

  async list(sql: Sql, webhookId: number, opts: { skip: number; limit: number; status?: string }) {
    const where = `where webhook_id = $1${opts.status ? ' and status = $2' : ''}`;
    const params: unknown[] = opts.status ? [webhookId, opts.status] : [webhookId];
    const rows = await sql.query<DeliveryRow>(
      `select ${D} from webhook_deliveries ${where} order by delivery_id desc limit $${params.length + 1} offset $${params.length + 2}`,
      [...params, opts.limit, opts.skip],
    );
    const [{ total }] = await sql.query<{ total: string }>(`select count(*) as total from webhook_deliveries ${where}`, params);
    return { rows, total: Number(total) };
  },

  async get(sql: Sql, webhookId: number, deliveryId: number): Promise<DeliveryRow | null> {
    const [row] = await sql.query<DeliveryRow>(`select ${D} from webhook_deliveries where webhook_id = $1 and delivery_id = $2`, [webhookId, deliveryId]);
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
       returning d.delivery_id::text, d.message_id, d.payload, d.attempts, w.url, w.secret`,
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
   * Records attempts in one statement: a success is delivered; a failure waits `retry_delay_s` for the next attempt,
   * but no later than `retryHours` after the message was made; past that moment the delivery fails. Returns each
   * outcome (with the wait before the next attempt, and the endpoint of those that failed for good).
   */
  async record(sql: Sql, attempts: AttemptRecord[], retryHours: number) {
    const rows = await sql.query<{ delivery_id: string; webhook_id: number; status: DeliveryRow['status']; wait_ms: string | null }>(
      `update webhook_deliveries d set
              status = case when r.ok then 'delivered' when now() >= d.created_at + make_interval(secs => $7) then 'failed' else 'pending' end,
              last_status_code = r.status_code, last_error = r.error, last_latency_ms = r.latency_ms,
              delivered_at = case when r.ok then now() else null end,
              next_attempt_at = case when r.ok or now() >= d.created_at + make_interval(secs => $7) then null
                                     else least(now() + make_interval(secs => r.retry_delay_s), d.created_at + make_interval(secs => $7)) end
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
