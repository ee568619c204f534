/** The webhook events integrations subscribe to, and the module's own domain event. */

/** Every event an endpoint may subscribe to; the body's `data` has the same shape as the REST API's. */
export const WEBHOOK_EVENTS = [
  'punch.created',
  'attendance.changed',
  'correction.requested',
  'correction.resolved',
  'day.closed',
  'summary.updated',
  'employee.changed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Sent by POST /webhooks/{id}/test whatever the endpoint subscribed to. */
export const TEST_EVENT = 'webhook.test';

/** What every delivery's body is. */
export type WebhookBody = { type: WebhookEvent | typeof TEST_EVENT; timestamp: string; data: unknown };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** An endpoint was added, changed or removed: the lists of subscribed events in memory are read again. */
    'webhooks.changed': { webhook_id: number };
  }
}
