import { sign, verify } from 'hono/jwt';
import type { Config } from '../../config.ts';
import type { Access } from '../employees/employee.entity.ts';

export type TokenClaims = { sub: string; access: Access; iat: number; nbf: number; exp: number; iss: string; aud: string };

type TokenConfig = Pick<Config, 'secretKey' | 'accessTokenMinutes' | 'jwtIssuer' | 'jwtAudience'>;

/** Issues a user's access token (HS256). */
export async function issueAccessToken(config: TokenConfig, employeeId: number, access: Access) {
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = config.accessTokenMinutes * 60;
  const claims: TokenClaims = {
    sub: String(employeeId),
    access,
    iat: now,
    nbf: now,
    exp: now + expiresIn,
    iss: config.jwtIssuer,
    aud: config.jwtAudience,
  };
  return { token: await sign(claims, config.secretKey, 'HS256'), expiresIn, claims };
}

/**
 * Verifies a user's token: HS256 only, our issuer and audience, and an `exp` that must be present
 * (hono's verify checks `exp` only when the claim exists). Returns null for anything else.
 */
export async function verifyAccessToken(config: TokenConfig, token: string): Promise<TokenClaims | null> {
  try {
    const payload = await verify(token, config.secretKey, { alg: 'HS256', iss: config.jwtIssuer, aud: config.jwtAudience });
    if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || !/^\d+$/.test(payload.sub)) return null;
    return payload as unknown as TokenClaims;
  } catch {
    return null;
  }
}
