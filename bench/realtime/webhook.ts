// --webhook: a receiver in a process of its own (bench/realtime/webhook-receiver.ts: node:http on loopback, answers 204
// at once), so that its work does not delay this load generator's event loop, and one endpoint subscribed to every
// event, registered on the hub before the punching starts; the hub runs with WEBHOOK_ALLOW_PRIVATE=true.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { api, onCleanup, progress } from '../../harness/index.ts';
import { WEBHOOK_EVENTS } from '../../src/modules/webhooks/webhooks.events.ts';

/** Starts the receiver and registers it on the hub; `received()` asks it for the deliveries so far. */
export async function subscribeWebhook(base: string, adminToken: string, label: string) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: Record<string, number>) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise<Record<string, number>>((resolve, reject) => {
    waiting.push(resolve);
    child.once('exit', () => reject(new Error('the webhook receiver exited')));
  });
  const { port } = await next();
  const close = onCleanup(`${label} webhook receiver`, async () => {
    child.stdin!.end();
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  });
  const url = `http://127.0.0.1:${port}/hooks`;
  await api(base, 'POST', '/webhooks/', { token: adminToken, json: { url, events: WEBHOOK_EVENTS, description: 'bench receiver' } });
  progress(`${label}: webhook endpoint ${url} subscribed to ${WEBHOOK_EVENTS.join(', ')} (receiver pid ${child.pid})`);
  return {
    received: async () => {
      const answer = next();
      child.stdin!.write('count\n');
      return (await answer).received;
    },
    pid: child.pid!,
    close,
  };
}
