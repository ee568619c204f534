import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { WEBHOOK_EVENTS } from './webhooks.events.ts';
import {
  DeliveryListQuery, DeliveryOut, DeliveryParams, WebhookCreate, WebhookCreated, WebhookListQuery, WebhookOut, WebhookParams, WebhookUpdate,
} from './webhooks.schema.ts';
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, redeliver, testWebhook, updateWebhook } from './webhooks.service.ts';

const tag = 'Webhooks';
const common = { tag, access: ['admin'] as const, apiScope: 'webhooks' as const };

const DELIVERY_TEXT =
  'Each delivery is a POST of `{ "type", "timestamp", "data" }` (`data` as the REST API shows it) signed as the Standard Webhooks ' +
  'specification says: headers `webhook-id` (the message, the same on every retry), `webhook-timestamp` and `webhook-signature` ' +
  '(`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the secret). A 2xx answer is success; anything else, a redirect or no ' +
  'answer within WEBHOOK_TIMEOUT_SECONDS is retried with exponential backoff (WEBHOOK_RETRY_BASE_SECONDS, doubling) for ' +
  'WEBHOOK_RETRY_HOURS, after which the endpoint is disabled with the reason.';

export const webhookEndpoints = [
  endpoint(
    {
      method: 'post', path: '/webhooks/', ...common, summary: 'Register a webhook endpoint', body: WebhookCreate, response: WebhookCreated, status: 201,
      description:
        `Events: ${WEBHOOK_EVENTS.map((e) => `\`${e}\``).join(', ')}. Returns the signing \`secret\` (\`whsec_…\`) once. The URL must be ` +
        'https or http to a public address (private, loopback and link-local addresses are refused, 422 on `url`, unless ' +
        `WEBHOOK_ALLOW_PRIVATE). ${DELIVERY_TEXT}`,
    },
    async (c, { body }) => c.json(await createWebhook(ctxOf(c), body), 201),
  ),
  endpoint(
    { method: 'get', path: '/webhooks/', ...common, summary: 'List webhook endpoints', query: WebhookListQuery, response: WebhookOut, list: true, description: 'Secrets are never shown again.' },
    async (c, { query }) => listResponse(c, await listWebhooks(ctxOf(c), query)),
  ),
  endpoint(
    { method: 'get', path: '/webhooks/{webhook_id}', ...common, summary: 'Get a webhook endpoint', params: WebhookParams, response: WebhookOut },
    async (c, { params }) => c.json(await getWebhook(ctxOf(c), params.webhook_id)),
  ),
  endpoint(
    {
      method: 'put', path: '/webhooks/{webhook_id}', ...common, summary: 'Change a webhook endpoint', params: WebhookParams, body: WebhookUpdate, response: WebhookOut,
      description: '`active: true` enables an endpoint disabled after failures again; `active: false` disables it (its pending deliveries fail).',
    },
    async (c, { params, body }) => c.json(await updateWebhook(ctxOf(c), params.webhook_id, body)),
  ),
  endpoint(
    { method: 'delete', path: '/webhooks/{webhook_id}', ...common, summary: 'Remove a webhook endpoint', params: WebhookParams, status: 204, description: 'With its delivery history.' },
    async (c, { params }) => {
      await deleteWebhook(ctxOf(c), params.webhook_id);
      return c.body(null, 204);
    },
  ),
  endpoint(
    {
      method: 'post', path: '/webhooks/{webhook_id}/test', ...common, summary: 'Send a test message', params: WebhookParams, response: DeliveryOut, status: 202,
      description: 'Queues a `webhook.test` message (whatever the endpoint subscribed to), delivered and retried like any other; follow it in the deliveries. 409 `webhook_disabled` for a disabled endpoint.',
    },
    async (c, { params }) => c.json(await testWebhook(ctxOf(c), c.get('deps').jobs, params.webhook_id), 202),
  ),
  endpoint(
    {
      method: 'get', path: '/webhooks/{webhook_id}/deliveries', ...common, summary: 'List an endpoint’s deliveries', params: WebhookParams, query: DeliveryListQuery,
      response: DeliveryOut, list: true, description: 'Newest first: status, attempts, the last answer’s status code, error and latency.',
    },
    async (c, { params, query }) => listResponse(c, await listDeliveries(ctxOf(c), params.webhook_id, query)),
  ),
  endpoint(
    {
      method: 'post', path: '/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', ...common, summary: 'Send a message again', params: DeliveryParams,
      response: DeliveryOut, status: 202, description: 'A new delivery of the same message (same `message_id`), with fresh attempts.',
    },
    async (c, { params }) => c.json(await redeliver(ctxOf(c), c.get('deps').jobs, params.webhook_id, params.delivery_id), 202),
  ),
];
