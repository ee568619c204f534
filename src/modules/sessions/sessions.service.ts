import type { Config } from '../../config.ts';
import type { LoginGuard } from '../../infra/budgets.ts';
import type { AuthUser, Ctx } from '../../infra/context.ts';
import { sqlOf, type Em } from '../../infra/db.ts';
import { AppError, forbidden, notFound } from '../../infra/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { canRevokeTokensOf, hashPassword, issueAccessToken, verifyAccessToken, verifyPassword } from '../auth/index.ts';
import { employees } from '../employees/index.ts';

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
  return { access_token: token, token_type: 'bearer' as const, expires_in: expiresIn };
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
    await recordAudit(tx, ctx, { entity_type: 'employee', entity_id: employeeId, action: 'update', after: { tokens_revoked: true } });
  });
  ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: 'revoked' });
  return { employee_id: employeeId, revoked: true as const };
}
