import type { LoginGuard } from '../../infra/budgets.ts';
import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { AppError, notFound } from '../../infra/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { verifyPassword } from '../auth/index.ts';
import { employees } from './employees.repository.ts';
import { hashPin } from './pins.ts';

/** The signed-in person as their own page needs them: who they are, their team's zone and whether it allows web punches. */
export async function myProfile(ctx: Ctx) {
  const me = ctx.user!.employee_id;
  const row = await employees.profile(sqlOf(ctx.em), me);
  if (!row) throw notFound('Employee', me);
  return {
    employee_id: Number(row.employee_id),
    name: row.name,
    email: row.email,
    access: row.access,
    role: row.role ?? null,
    team_id: row.team_id == null ? null : Number(row.team_id),
    team_name: row.team_name ?? null,
    timezone: row.timezone ?? ctx.config.timezone,
    web_punch: Boolean(row.web_punch),
    employee_number: row.employee_number ?? null,
    has_pin: Boolean(row.has_pin),
    has_badge: Boolean(row.has_badge),
  };
}

/**
 * Sets (or, with `pin: null`, removes) the caller's own kiosk PIN, confirmed with their password. A wrong password
 * counts as a failed sign-in of the account from this address (the same LOGIN_* budgets: this is no side door for
 * guessing it) and is answered 403 `wrong_password` (not 401: the token itself is fine).
 */
export async function setOwnPin(ctx: Ctx, input: { pin: string | null; current_password: string }, guard: { throttle: LoginGuard; address: string }) {
  const me = ctx.user!.employee_id;
  const db = sqlOf(ctx.em);
  const account = await employees.passwordOf(db, me);
  if (!account) throw notFound('Employee', me);
  const wait = await guard.throttle.retryAfter(account.email, guard.address);
  if (wait > 0) {
    throw new AppError(429, 'too_many_attempts', 'Too many wrong passwords; try again later', { headers: { 'Retry-After': String(Math.ceil(wait)) } });
  }
  if (!(await verifyPassword(input.current_password, account.password_hash))) {
    await guard.throttle.recordFailure(account.email, guard.address);
    throw new AppError(403, 'wrong_password', 'The current password is not right');
  }
  await guard.throttle.recordSuccess(account.email, guard.address);
  const pinHash = input.pin === null ? null : await hashPin(input.pin);
  await db.transaction(async (tx) => {
    if (!(await employees.setPin(tx, me, pinHash))) throw notFound('Employee', me);
    await recordAudit(tx, ctx, { entity_type: 'employee', entity_id: me, action: 'update', after: { employee_id: me, has_pin: pinHash !== null, pin_changed: true } });
  });
}
