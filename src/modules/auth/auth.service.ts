import type { Config } from '../../config.ts';
import { sqlOf, type Em } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { AuthUser } from '../../infra/http.ts';
import { Employee } from '../employees/employee.entity.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { issueAccessToken, verifyAccessToken } from './tokens.ts';

/** Compared against when the email is unknown, so both answers take the same time. */
let dummyHash: Promise<string> | null = null;

const invalidCredentials = () =>
  new AppError(401, 'invalid_credentials', 'Incorrect email or password', { headers: { 'WWW-Authenticate': 'Bearer' } });

/** Checks an email and password; returns a bearer token or throws 401 / 429. */
export async function login(
  deps: { em: Em; config: Config; throttle: LoginThrottle },
  username: string,
  password: string,
  address: string,
) {
  const account = username.trim().toLowerCase();
  const wait = await deps.throttle.retryAfter(account, address);
  if (wait > 0) {
    throw new AppError(429, 'too_many_attempts', 'Too many failed sign-ins; try again later', {
      headers: { 'Retry-After': String(Math.ceil(wait)) },
    });
  }
  const found = await deps.em.findOne(Employee, { email: account }, { fields: ['employee_id', 'access', 'active', 'password_hash', 'token_version'] });
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

type UserRow = { employee_id: number; access: AuthUser['access']; active: boolean; name: string; team_id: number | null; token_version: number };

/** Resolves a bearer token to a live, active user; null when the token or the user is not valid. */
export async function authenticate(em: Em, config: Config, token: string): Promise<(AuthUser & { exp: number; ver: number }) | null> {
  const claims = await verifyAccessToken(config, token);
  if (!claims) return null;
  // The statement findOne built, straight on the driver with a bind parameter: every authenticated request runs it,
  // and the ORM's query building and hydration cost more than the query. Not cached: a deactivated user is refused
  // on their next request.
  const [employee] = await sqlOf(em).query<UserRow>(
    'select "e0"."employee_id", "e0"."access", "e0"."active", "e0"."name", "e0"."team_id", "e0"."token_version" from "employees" as "e0" where "e0"."employee_id" = $1 limit 1',
    [Number(claims.sub)],
  );
  // A token issued before the last revocation (password or access change, deactivation, POST /token/revoke) is dead.
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
