import * as v from 'valibot';
import { IdString, Pagination } from '../../infra/schemas.ts';
import { WEBHOOK_EVENTS } from './webhooks.events.ts';

const Url = v.pipe(v.string('url must be a string'), v.trim(), v.minLength(1, 'url must not be empty'), v.maxLength(2048, 'url must be at most 2048 characters'));
const Events = v.pipe(
  v.array(v.picklist(WEBHOOK_EVENTS, `each event must be one of: ${WEBHOOK_EVENTS.join(', ')}`), 'events must be a list'),
  v.minLength(1, 'give at least one event'),
  v.maxLength(WEBHOOK_EVENTS.length * 2, 'too many events'),
  v.transform((events) => [...new Set(events)]),
);
const Description = v.nullable(v.pipe(v.string('description must be a string'), v.trim(), v.maxLength(500, 'description must be at most 500 characters')));

export const WebhookCreate = v.strictObject({ url: Url, events: Events, description: v.optional(Description, null) });
export const WebhookUpdate = v.strictObject({
  url: v.optional(Url),
  events: v.optional(Events),
  description: v.optional(Description),
  active: v.optional(v.boolean('active must be true or false')),
});
export type WebhookCreateInput = v.InferOutput<typeof WebhookCreate>;
export type WebhookUpdateInput = v.InferOutput<typeof WebhookUpdate>;

const Timestamp = v.pipe(v.string(), v.isoTimestamp());
export const WebhookOut = v.object({
  webhook_id: v.number(),
  url: v.string(),
  events: v.array(v.picklist(WEBHOOK_EVENTS)),
  description: v.nullable(v.string()),
  active: v.boolean(),
  disabled_reason: v.pipe(v.nullable(v.string()), v.description('Why the endpoint was disabled (retries exhausted, or by hand).')),
  disabled_at: v.nullable(Timestamp),
  created_by: v.nullable(v.number()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const WebhookCreated = v.object({
  ...WebhookOut.entries,
  secret: v.pipe(v.string(), v.description('The signing secret (`whsec_…`): shown once, keep it to verify deliveries.')),
});
export const DeliveryOut = v.object({
  delivery_id: v.number(),
  webhook_id: v.number(),
  message_id: v.pipe(v.string(), v.description('The `webhook-id` header: the same on every attempt and redelivery.')),
  event_type: v.string(),
  status: v.picklist(['pending', 'delivered', 'failed']),
  attempts: v.number(),
  last_status_code: v.nullable(v.number()),
  last_error: v.nullable(v.string()),
  last_latency_ms: v.nullable(v.number()),
  next_attempt_at: v.nullable(Timestamp),
  created_at: Timestamp,
  delivered_at: v.nullable(Timestamp),
  payload: v.pipe(v.unknown(), v.description('The body sent: `{ type, timestamp, data }`.')),
});

export const WebhookParams = v.object({ webhook_id: IdString('webhook_id') });
export const DeliveryParams = v.object({ webhook_id: IdString('webhook_id'), delivery_id: IdString('delivery_id') });
export const WebhookListQuery = v.object({ ...Pagination });
export const DeliveryListQuery = v.object({
  ...Pagination,
  status: v.optional(v.picklist(['pending', 'delivered', 'failed'], 'status must be pending, delivered or failed')),
});
