import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets. Signing needs the secret itself (a hash would not do), so it is kept encrypted with
 * AES-256-GCM under a key derived from SECRET_KEY: a copy of the database alone does not let anyone forge deliveries.
 * Changing SECRET_KEY makes the stored secrets unreadable: deliveries then fail with `secret_unreadable`, and the
 * endpoint must be registered again.
 */

const VERSION = 'v1';
const keys = new Map<string, Buffer>();

function keyFrom(secretKey: string): Buffer {
  let key = keys.get(secretKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'check-in-hub', 'webhook-secrets', 32));
    keys.set(secretKey, key);
  }
  return key;
}

/** A new secret as the Standard Webhooks specification writes them: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** `v1.<iv>.<tag>.<ciphertext>` (base64url each). */
export function sealSecret(secret: string, secretKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secretKey), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

/** The secret back; null when it was sealed under another SECRET_KEY (or is damaged). */
export function openSecret(stored: string, secretKey: string): string | null {
  const [version, iv, tag, sealed] = stored.split('.');
  if (version !== VERSION || !iv || !tag || !sealed) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secretKey), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
