export { Webhook, WebhookBatch, WebhookDelivery } from './webhook.entity.ts';
export { webhookEndpoints } from './webhooks.routes.ts';
export { createWebhookFanout, type WebhookFanout } from './webhooks.fanout.ts';
export { deliverWebhooks, fanOutWebhooks, pruneWebhooks, sweepWebhooks } from './webhooks.jobs.ts';
export { WEBHOOK_EVENTS, type WebhookBody, type WebhookEvent } from './webhooks.events.ts';
