// --webhook: a receiver in this process (node:http on loopback, answers 204 at once) and one endpoint subscribed to
// every event, registered on the hub before the punching starts; the hub runs with WEBHOOK_ALLOW_PRIVATE=true.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, onCleanup, progress } from '../../harness/index.ts';
import { WEBHOOK_EVENTS } from '../../src/modules/webhooks/webhooks.events.ts';

/** Starts the receiver and registers it on the hub; `received()` counts the deliveries so far. */
export async function subscribeWebhook(base: string, adminToken: string, label: string) {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = onCleanup(`${label} webhook receiver`, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  await api(base, 'POST', '/webhooks/', { token: adminToken, json: { url, events: WEBHOOK_EVENTS, description: 'bench receiver' } });
  progress(`${label}: webhook endpoint ${url} subscribed to ${WEBHOOK_EVENTS.join(', ')}`);
  return { received: () => received, close };
}
