import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { LoginGuard } from '../../infra/budgets.ts';
import type { AuthUser, Ctx } from '../../infra/context.ts';
import { sqlOf, type Em, type Sql } from '../../infra/db.ts';
import { AppError, forbidden, notFound } from '../../infra/errors.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';
import { recordAudit } from '../audit/index.ts';
import { canRevokeTokensOf, hashPassword, hashSecretToken, issueAccessToken, verifyAccessToken, verifyPassword } from '../auth/index.ts';
import { employees } from '../employees/index.ts';
import { refreshTokens } from './refresh-tokens.repository.ts';

const REFRESH_PREFIX = 'rt_';

/** A new refresh token in a family (a new one per sign-in), stored hashed. */
async function issueRefreshToken(sql: Sql, config: Config, p: { employee_id: number; token_version: number; family?: string }) {
  const token = `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;
  await refreshTokens.insert(sql, {
    employee_id: p.employee_id,
    token_hash: hashSecretToken(token),
    family: p.family ?? randomBytes(16).toString('hex'),
    token_version: p.token_version,
    expires_at: new Date(Date.now() + config.refreshTokenDays * 86_400_000),
  });
  return { refresh_token: token, refresh_expires_in: config.refreshTokenDays * 86_400 };
}

const invalidRefresh = () =>
  new AppError(401, 'invalid_refresh_token', 'The refresh token is unknown, used, expired or revoked; sign in again', { headers: { 'WWW-Authenticate': 'Bearer' } });

/**
 * Exchanges a refresh token for a new access token and a new refresh token (the old one is used up). A used token
 * presented again revokes every token of its sign-in; a revocation, a deactivation or a new password since it was
 * issued refuses it.
 */
export async function refresh(deps: { em: Em; config: Config }, token: string) {
  if (!token.startsWith(REFRESH_PREFIX) || token.length > 100) throw invalidRefresh();
  const hash = hashSecretToken(token);
  const db = sqlOf(deps.em);
  const result = await db.transaction(async (tx) => {
    const row = await refreshTokens.take(tx, hash);
    if (!row) {
      const seen = await refreshTokens.byHash(tx, hash);
      if (seen?.used_at) await refreshTokens.revokeFamily(tx, seen.family);
      return null;
    }
    const who = await employees.principal(tx, Number(row.employee_id));
    if (!who || !who.active || Number(who.token_version) !== Number(row.token_version)) return null;
    const next = await issueRefreshToken(tx, deps.config, { employee_id: who.employee_id, token_version: Number(who.token_version), family: row.family });
    return { who, next };
  });
  if (!result) throw invalidRefresh();
  const { token: access, expiresIn } = await issueAccessToken(deps.config, result.who.employee_id, result.who.access, Number(result.who.token_version));
  return { access_token: access, token_type: 'bearer' as const, expires_in: expiresIn, ...result.next };
}

/** Compared against when the email is unknown, so both answers take the same time. */
let dummyHash: Promise<string> | null = null;

const invalidCredentials = () =>
  new AppError(401, 'invalid_credentials', 'Incorrect email or password', { headers: { 'WWW-Authenticate': 'Bearer' } });

/** Checks an email and password; returns a bearer token or throws 401 / 429. */
export async function login(deps: { em: Em; config: Config; throttle: LoginGuard }, username: string, password: string, address: string) {
  const account = username.trim().toLowerCase();
  const wait = await deps.throttle.retryAfter(account, address);
  if (wait > 0) {
    throw new AppError(429, 'too_many_attempts', 'Too many failed sign-ins; try again later', {
      headers: { 'Retry-After': String(Math.ceil(wait)) },
    });
  }
  const found = await employees.credentials(sqlOf(deps.em), account);
  dummyHash ??= hashPassword('not-a-real-password-0000', deps.config.bcryptCost);
  const hash = found?.password_hash ?? (await dummyHash);
  const ok = (await verifyPassword(password, hash)) && found !== null && found.active;
  if (!ok || !found) {
    await deps.throttle.recordFailure(account, address);
    throw invalidCredentials();
  }
  await deps.throttle.recordSuccess(account, address);
  const { token, expiresIn } = await issueAccessToken(deps.config, found.employee_id, found.access, found.token_version);
  const renewal = await issueRefreshToken(sqlOf(deps.em), deps.config, { employee_id: found.employee_id, token_version: found.token_version });
  return { access_token: token, token_type: 'bearer' as const, expires_in: expiresIn, ...renewal };
}

/**
 * Resolves a bearer token to a live, active user; null when the token or the user is not valid. The person is read
 * on every request (one statement by primary key, prepared): a deactivated user, or a token issued before the last
 * revocation, is refused on its next use.
 */
export async function authenticate(em: Em, config: Config, token: string): Promise<(AuthUser & { exp: number; ver: number }) | null> {
  const claims = await verifyAccessToken(config, token);
  if (!claims) return null;
  const employee = await employees.principal(sqlOf(em), Number(claims.sub));
  if (!employee || !employee.active || Number(employee.token_version) !== (claims.ver ?? 0)) return null;
  return {
    employee_id: Number(employee.employee_id),
    access: employee.access,
    team_id: employee.team_id == null ? null : Number(employee.team_id),
    name: employee.name,
    exp: claims.exp,
    ver: claims.ver ?? 0,
  };
}

/**
 * Refuses every token of an employee issued so far (on every instance: the next request with one is 401) and closes
 * their open sockets. The caller for themselves; an admin for anyone.
 */
export async function revokeTokens(ctx: Ctx, employeeId: number) {
  if (!canRevokeTokensOf(ctx.user!, employeeId)) throw forbidden('You may only revoke your own tokens');
  await sqlOf(ctx.em).transaction(async (tx) => {
    if (!(await employees.revokeTokens(tx, employeeId))) throw notFound('Employee', employeeId);
    await refreshTokens.revokeEmployee(tx, employeeId);
    await recordAudit(tx, ctx, { entity_type: 'employee', entity_id: employeeId, action: 'update', after: { tokens_revoked: true } });
  });
  ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: 'revoked' });
  return { employee_id: employeeId, revoked: true as const };
}

/** The job `sessions:prune`: drops refresh tokens expired, or used, over a day ago. */
export const pruneRefreshTokens: JobHandler = async (_data, ctx) => ({ pruned: await refreshTokens.prune(sqlOf(ctx.em)) });
