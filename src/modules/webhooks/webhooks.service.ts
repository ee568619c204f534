import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { conflict, notFound, validationError } from '../../infra/errors.ts';
import type { Jobs } from '../../infra/jobs/types.ts';
import { isoOrNull, isoTimestamp } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { TEST_EVENT, type WebhookBody, type WebhookEvent } from './webhooks.events.ts';
import { queueDeliveries } from './webhooks.jobs.ts';
import { deliveries, webhooks, type DeliveryRow, type WebhookRow } from './webhooks.repository.ts';
import type { WebhookCreateInput, WebhookUpdateInput } from './webhooks.schema.ts';
import { newWebhookSecret, sealSecret } from './webhooks.secrets.ts';
import { assertPublicUrl, parseWebhookUrl, UnsafeUrlError } from './url-safety.ts';

/** The public shape of an endpoint: never its secret. */
export const webhookDto = (w: WebhookRow) => ({
  webhook_id: Number(w.webhook_id),
  url: w.url,
  events: w.events as WebhookEvent[],
  description: w.description,
  active: w.active,
  disabled_reason: w.disabled_reason,
  disabled_at: isoOrNull(w.disabled_at),
  created_by: w.created_by == null ? null : Number(w.created_by),
  created_at: isoTimestamp(w.created_at),
  updated_at: isoTimestamp(w.updated_at),
});

export const deliveryDto = (d: DeliveryRow) => ({
  delivery_id: Number(d.delivery_id),
  webhook_id: Number(d.webhook_id),
  message_id: d.message_id,
  event_type: d.event_type,
  status: d.status,
  attempts: Number(d.attempts),
  last_status_code: d.last_status_code,
  last_error: d.last_error,
  last_latency_ms: d.last_latency_ms,
  next_attempt_at: isoOrNull(d.next_attempt_at),
  created_at: isoTimestamp(d.created_at),
  delivered_at: isoOrNull(d.delivered_at),
  payload: d.payload,
});

/** 422 on `url` unless it is http(s) to a public address (or WEBHOOK_ALLOW_PRIVATE). */
async function checkedUrl(ctx: Ctx, raw: string): Promise<string> {
  try {
    const url = parseWebhookUrl(raw);
    await assertPublicUrl(url, ctx.config.webhooks.allowPrivate);
    return url.toString();
  } catch (error) {
    if (!(error instanceof UnsafeUrlError)) throw error;
    throw validationError([{ loc: ['body', 'url'], msg: error.message, type: 'value_error.url.unsafe' }]);
  }
}

/** Registers an endpoint and returns its signing secret, this once. */
export async function createWebhook(ctx: Ctx, input: WebhookCreateInput) {
  const url = await checkedUrl(ctx, input.url);
  const secret = newWebhookSecret();
  const dto = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = webhookDto(
      await webhooks.insert(tx, { url, events: input.events, description: input.description || null, secret: sealSecret(secret, ctx.config.secretKey), created_by: ctx.user?.employee_id || null }),
    );
    await recordAudit(tx, ctx, { entity_type: 'webhook', entity_id: row.webhook_id, action: 'create', after: row });
    return row;
  });
  ctx.bus.publish('webhooks.changed', { webhook_id: dto.webhook_id });
  return { ...dto, secret };
}

export async function listWebhooks(ctx: Ctx, opts: { skip: number; limit: number }) {
  const { rows, total } = await webhooks.list(sqlOf(ctx.em), opts);
  return { items: rows.map(webhookDto), total };
}

export async function getWebhook(ctx: Ctx, id: number) {
  const row = await webhooks.get(sqlOf(ctx.em), id);
  if (!row) throw notFound('Webhook', id);
  return webhookDto(row);
}

/** Changes an endpoint. `active: true` enables a disabled one again; `false` disables it (its pending deliveries fail). */
export async function updateWebhook(ctx: Ctx, id: number, input: WebhookUpdateInput) {
  const url = input.url === undefined ? undefined : await checkedUrl(ctx, input.url);
  const dto = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await webhooks.get(tx, id, { lock: true });
    if (!row) throw notFound('Webhook', id);
    const before = webhookDto(row);
    const active = input.active ?? before.active;
    const after = webhookDto(
      await webhooks.update(tx, id, {
        url: url ?? before.url,
        events: input.events ?? before.events,
        description: input.description !== undefined ? input.description || null : before.description,
        active,
        disabled_reason: before.active && !active ? 'disabled by an administrator' : before.disabled_reason,
      }),
    );
    if (!active) await deliveries.failPendingOf(tx, [id], 'endpoint disabled');
    await recordAudit(tx, ctx, { entity_type: 'webhook', entity_id: id, action: 'update', before, after });
    return after;
  });
  ctx.bus.publish('webhooks.changed', { webhook_id: id });
  return dto;
}

/** Removes an endpoint and its delivery history. */
export async function deleteWebhook(ctx: Ctx, id: number) {
  await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await webhooks.delete(tx, id);
    if (!row) throw notFound('Webhook', id);
    await recordAudit(tx, ctx, { entity_type: 'webhook', entity_id: id, action: 'delete', before: webhookDto(row) });
  });
  ctx.bus.publish('webhooks.changed', { webhook_id: id });
}

async function activeWebhook(ctx: Ctx, id: number) {
  const row = await webhooks.get(sqlOf(ctx.em), id);
  if (!row) throw notFound('Webhook', id);
  if (!row.active) throw conflict('webhook_disabled', `Webhook ${id} is disabled; enable it first (PUT with "active": true)`);
  return row;
}

/** Queues a `webhook.test` message to the endpoint, delivered (and retried) like any other. */
export async function testWebhook(ctx: Ctx, jobs: Jobs, id: number) {
  await activeWebhook(ctx, id);
  const body: WebhookBody = { type: TEST_EVENT, timestamp: new Date().toISOString(), data: { webhook_id: id, message: 'A test delivery from Check-in Hub' } };
  const row = await deliveries.insert(sqlOf(ctx.em), id, body);
  await queueDeliveries(jobs, [String(row.delivery_id)]);
  return deliveryDto(row);
}

export async function listDeliveries(ctx: Ctx, id: number, opts: { skip: number; limit: number; status?: string }) {
  const sql = sqlOf(ctx.em);
  if (!(await webhooks.get(sql, id))) throw notFound('Webhook', id);
  const { rows, total } = await deliveries.list(sql, id, opts);
  return { items: rows.map(deliveryDto), total };
}

/** Sends a message again as a new delivery with fresh attempts and the same `message_id` (receivers may de-duplicate on it). */
export async function redeliver(ctx: Ctx, jobs: Jobs, id: number, deliveryId: number) {
  await activeWebhook(ctx, id);
  const sql = sqlOf(ctx.em);
  const row = await deliveries.copy(sql, id, deliveryId);
  if (!row) throw notFound('Delivery', deliveryId);
  await queueDeliveries(jobs, [String(row.delivery_id)]);
  return deliveryDto(row);
}
