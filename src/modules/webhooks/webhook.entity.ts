import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';

/**
 * An integration's endpoint: the events it wants and its signing secret (`whsec_…`, shown once; kept encrypted with
 * SECRET_KEY, because signing needs it back). Disabled after WEBHOOK_RETRY_HOURS of failures, with the reason.
 */
export const Webhook = defineEntity({
  name: 'Webhook',
  tableName: 'webhooks',
  properties: {
    webhook_id: p.integer().primary().autoincrement(),
    url: p.string().length(2048),
    events: p.array(),
    description: p.string().length(500).nullable(),
    secret: p.text(),
    active: p.boolean().default(true),
    disabled_reason: p.string().length(500).nullable(),
    disabled_at: p.datetime().nullable(),
    created_by: () => p.manyToOne(Employee).fieldName('created_by').nullable().deleteRule('set null'),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

/**
 * The webhook events one process gathered in a few milliseconds, written in one row as they leave the punch path:
 * `[{ id, body }]`, `id` being each message's `webhook-id`. The worker sends them (`fanned_out_at` once it has).
 */
export const WebhookBatch = defineEntity({
  name: 'WebhookBatch',
  tableName: 'webhook_batches',
  properties: {
    batch_id: p.bigint().primary().autoincrement(),
    events: p.json<{ id: string; body: Record<string, unknown> }[]>().columnType('json'),
    created_at: p.datetime().defaultRaw('now()'),
    fanned_out_at: p.datetime().nullable(),
  },
});

/**
 * One message to one endpoint: the same `message_id` (the `webhook-id` header) on every attempt. Its body is
 * `payload`, or the batch's event at `event_index`.
 */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    delivery_id: p.bigint().primary().autoincrement(),
    webhook: () => p.manyToOne(Webhook).fieldName('webhook_id').deleteRule('cascade'),
    message_id: p.string().length(40),
    event_type: p.string().length(50),
    payload: p.json<Record<string, unknown>>().nullable(),
    batch_id: p.bigint().nullable(),
    event_index: p.integer().nullable(),
    status: p.string().length(10).default('pending'),
    attempts: p.integer().default(0),
    last_status_code: p.integer().nullable(),
    last_error: p.string().length(500).nullable(),
    last_latency_ms: p.integer().nullable(),
    next_attempt_at: p.datetime().nullable(),
    created_at: p.datetime().onCreate(() => new Date()),
    delivered_at: p.datetime().nullable(),
  },
});

export type IWebhook = InferEntity<typeof Webhook>;
export type IWebhookBatch = InferEntity<typeof WebhookBatch>;
export type IWebhookDelivery = InferEntity<typeof WebhookDelivery>;
