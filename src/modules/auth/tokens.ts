import { createHash } from 'node:crypto';
import { sign, verify } from 'hono/jwt';
import type { Config } from '../../config.ts';
import type { Access } from '../../infra/context.ts';

/** `ver`: the employee's token version when the token was issued (absent in tokens from before versions: 0). */
export type TokenClaims = { sub: string; access: Access; ver?: number; iat: number; nbf: number; exp: number; iss: string; aud: string };

type TokenConfig = Pick<Config, 'secretKey' | 'accessTokenMinutes' | 'jwtIssuer' | 'jwtAudience'>;

/** Issues a user's access token (HS256). */
export async function issueAccessToken(config: TokenConfig, employeeId: number, access: Access, version = 0) {
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = config.accessTokenMinutes * 60;
  const claims: TokenClaims = {
    sub: String(employeeId),
    access,
    ver: version,
    iat: now,
    nbf: now,
    exp: now + expiresIn,
    iss: config.jwtIssuer,
    aud: config.jwtAudience,
  };
  return { token: await sign(claims, config.secretKey, 'HS256'), expiresIn, claims };
}

/** A token that verified recently, with what it was verified against. */
type Verified = { claims: TokenClaims; secretKey: string; iss: string; aud: string; until: number };
const verified = new Map<string, Verified>();
const VERIFIED_FOR_MS = 60_000;
const VERIFIED_MAX = 10_000;

/**
 * Verifies a user's token: HS256 only, our issuer and audience, and an `exp` that must be present
 * (hono's verify checks `exp` only when the claim exists). Returns null for anything else.
 * A good signature is remembered for a minute (its `exp` still checked on each use): WebCrypto's HMAC verify
 * cost about 5% of the CPU of every authenticated request, and a client sends the same token again and again.
 */
export async function verifyAccessToken(config: TokenConfig, token: string): Promise<TokenClaims | null> {
  const hit = verified.get(token);
  if (hit && hit.secretKey === config.secretKey && hit.iss === config.jwtIssuer && hit.aud === config.jwtAudience && Date.now() < hit.until) {
    // As hono's verify: expired when exp <= now, in whole seconds.
    if (hit.claims.exp > Math.floor(Date.now() / 1000)) return hit.claims;
    verified.delete(token);
    return null;
  }
  let claims: TokenClaims;
  try {
    const payload = await verify(token, config.secretKey, { alg: 'HS256', iss: config.jwtIssuer, aud: config.jwtAudience });
    if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || !/^\d+$/.test(payload.sub)) return null;
    claims = payload as unknown as TokenClaims;
  } catch {
    return null;
  }
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(token, { claims, secretKey: config.secretKey, iss: config.jwtIssuer, aud: config.jwtAudience, until: Date.now() + VERIFIED_FOR_MS });
  return claims;
}

/** What is stored of a long random secret (a kiosk's device token, a refresh token): its SHA-256, in hex. */
export const hashSecretToken = (token: string) => createHash('sha256').update(token).digest('hex');
