import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { isNonPublicAddress, safeLookup } from './url-safety.ts';

/** One attempt's outcome: `ok` for a 2xx answer; otherwise what went wrong. */
export type Attempt = { ok: boolean; status_code: number | null; error: string | null; latency_ms: number };

export type SendOptions = { timeoutMs: number; maxResponseBytes: number; allowPrivate: boolean };

// Connections to the same receiver are kept open between deliveries (a burst is many small POSTs to one host).
const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }) };

const signers = new Map<string, Webhook>();
function signerFor(secret: string) {
  let signer = signers.get(secret);
  if (!signer) {
    if (signers.size > 1000) signers.clear();
    signer = new Webhook(secret);
    signers.set(secret, signer);
  }
  return signer;
}

/** The three Standard Webhooks headers for a body, signed now (each attempt is signed afresh; the id never changes). */
export function signedHeaders(secret: string, messageId: string, body: string, now = new Date()) {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signerFor(secret).sign(messageId, now, body),
  };
}

const reasonOf = (error: NodeJS.ErrnoException) => {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'timeout';
  return (error.code ? `${error.code}: ${error.message}` : error.message).slice(0, 500);
};

/**
 * POSTs a signed body to an endpoint once: no redirect followed (a 3xx is a failure), at most `maxResponseBytes`
 * of the answer read (and dropped), the whole exchange within `timeoutMs`; the address connected to is checked.
 */
export function sendWebhook(target: { url: string; secret: string }, message: { id: string; body: string }, opts: SendOptions): Promise<Attempt> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return Promise.resolve({ ok: false, status_code: null, error: 'invalid url', latency_ms: 0 });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!opts.allowPrivate && isIP(host) && isNonPublicAddress(host)) {
    return Promise.resolve({ ok: false, status_code: null, error: `address not allowed (${host})`, latency_ms: 0 });
  }
  const client = url.protocol === 'https:' ? https : http;
  const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const finish = (attempt: Omit<Attempt, 'latency_ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...attempt, latency_ms: elapsed() });
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        agent,
        lookup: safeLookup(opts.allowPrivate) as never,
        signal: AbortSignal.timeout(opts.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(message.body),
          'user-agent': 'check-in-hub-webhooks/1',
          ...signedHeaders(target.secret, message.id, message.body),
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const outcome = status >= 200 && status < 300
          ? { ok: true, status_code: status, error: null }
          : { ok: false, status_code: status, error: status >= 300 && status < 400 ? `redirect not followed (${status})` : `HTTP ${status}` };
        // The answer is read to keep the connection reusable, up to the cap; beyond it the connection is dropped.
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > opts.maxResponseBytes) response.destroy();
        });
        response.on('end', () => finish(outcome));
        response.on('close', () => finish(outcome));
        response.on('error', () => finish(outcome));
      },
    );
    request.on('error', (error) => finish({ ok: false, status_code: null, error: reasonOf(error) }));
    request.end(message.body);
  });
}
