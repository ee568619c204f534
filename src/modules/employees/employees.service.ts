import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { Ctx } from '../../infra/context.ts';
import type { Em } from '../../infra/db.ts';
import { conflict, forbidden, notFound, retryOnConflict, validationError } from '../../infra/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { hashPassword } from '../auth/password.ts';
import { Team, withoutUndefined } from '../teams/index.ts';
import { Employee, type IEmployee } from './employee.entity.ts';
import type { EmployeeCreateInput, EmployeeListInput, EmployeeUpdateInput } from './employees.schema.ts';

/** The public shape of an employee. The password hash never leaves the server. */
export const employeeDto = (e: IEmployee) => ({
  employee_id: e.employee_id,
  name: e.name,
  email: e.email,
  team_id: e.team?.team_id ?? null,
  role: e.role ?? null,
  access: e.access,
  badge_id: e.badge_id ?? null,
  active: e.active,
  created_at: e.created_at.toISOString(),
  updated_at: e.updated_at.toISOString(),
});

/** Throws unless the caller may read this employee: admins all, managers their team, everyone themselves. */
export function assertCanSee(ctx: Ctx, employee: { employee_id: number; team_id: number | null }) {
  const user = ctx.user;
  if (!user) throw forbidden();
  if (user.access === 'admin' || user.employee_id === employee.employee_id) return;
  if (user.access === 'manager' && user.team_id !== null && user.team_id === employee.team_id) return;
  throw forbidden('You may only see employees of your own team');
}

export async function listEmployees(ctx: Ctx, query: EmployeeListInput) {
  const where: FilterQuery<IEmployee> = {};
  if (ctx.user?.access === 'manager') {
    if (query.team_id !== undefined && query.team_id !== ctx.user.team_id) throw forbidden('Managers may only list their own team');
    where.team = ctx.user.team_id ?? -1;
  } else if (query.team_id !== undefined) {
    where.team = query.team_id;
  }
  if (query.access) where.access = query.access;
  if (query.active !== undefined) where.active = query.active;
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.$or = [{ name: { $ilike: like } }, { email: { $ilike: like } }];
  }
  const [rows, total] = await ctx.em.findAndCount(Employee, where, {
    orderBy: { employee_id: 'asc' },
    offset: query.skip,
    limit: query.limit,
  });
  return { items: rows.map(employeeDto), total };
}

export async function getEmployee(ctx: Ctx, employeeId: number) {
  // An employee learns nothing about ids that are not theirs: unknown or someone else's, the same 403.
  if (ctx.user?.access === 'employee' && employeeId !== ctx.user.employee_id) throw forbidden('You may only see employees of your own team');
  const employee = await ctx.em.findOne(Employee, { employee_id: employeeId });
  if (!employee) throw notFound('Employee', employeeId);
  assertCanSee(ctx, { employee_id: employeeId, team_id: employee.team?.team_id ?? null });
  return employeeDto(employee);
}

async function assertTeamExists(em: Em, teamId: number | null | undefined) {
  if (teamId == null) return;
  if (!(await em.count(Team, { team_id: teamId }))) {
    throw validationError([{ loc: ['body', 'team_id'], msg: `team ${teamId} does not exist`, type: 'value_error.foreign_key' }]);
  }
}

async function assertUnique(em: Em, input: { email?: string; badge_id?: string | null }, exceptId?: number) {
  const notSelf = exceptId ? { employee_id: { $ne: exceptId } } : {};
  if (input.email && (await em.count(Employee, { email: input.email, ...notSelf }))) {
    throw conflict('duplicate_email', `An employee with email ${input.email} already exists`);
  }
  if (input.badge_id && (await em.count(Employee, { badge_id: input.badge_id, ...notSelf }))) {
    throw conflict('duplicate_badge', `Badge ${input.badge_id} is already assigned to another employee`);
  }
}

/** Maps a race on a unique index to the same 409 the pre-checks give. */
function uniqueToConflict(error: unknown): never {
  if (error instanceof UniqueConstraintViolationException) {
    if (error.message.includes('badge')) throw conflict('duplicate_badge', 'This badge is already assigned to another employee');
    throw conflict('duplicate_email', 'An employee with this email already exists');
  }
  throw error;
}

export async function createEmployee(ctx: Ctx, input: EmployeeCreateInput) {
  await assertTeamExists(ctx.em, input.team_id);
  await assertUnique(ctx.em, input);
  const password_hash = await hashPassword(input.password, ctx.config.bcryptCost);
  try {
    return await ctx.em.transactional(async (em) => {
      const employee = em.create(Employee, {
        name: input.name,
        email: input.email,
        team: input.team_id,
        role: input.role,
        access: input.access,
        badge_id: input.badge_id,
        active: input.active,
        password_hash,
      } as never) as IEmployee;
      await em.flush();
      recordAudit(em, ctx, { entity_type: 'employee', entity_id: employee.employee_id, action: 'create', after: employeeDto(employee) });
      return employeeDto(employee);
    });
  } catch (error) {
    return uniqueToConflict(error);
  }
}

/** Refuses a change that would leave the organisation without an active admin. */
async function assertKeepsAnAdmin(em: Em, employee: IEmployee, next: { access?: string; active?: boolean } | null) {
  if (employee.access !== 'admin' || !employee.active) return;
  const staysAdmin = next !== null && (next.access ?? 'admin') === 'admin' && (next.active ?? true);
  if (staysAdmin) return;
  const others = await em.count(Employee, { access: 'admin', active: true, employee_id: { $ne: employee.employee_id } });
  if (others === 0) throw conflict('last_admin', 'This is the last active admin; promote another admin first');
}

export async function updateEmployee(ctx: Ctx, employeeId: number, input: EmployeeUpdateInput) {
  const { password, team_id, ...rest } = input;
  const password_hash = password ? await hashPassword(password, ctx.config.bcryptCost) : undefined;
  let revoked: 'revoked' | 'deactivated' | 'access_changed' | null = null;
  try {
    const updated = await ctx.em.transactional(async (em) => {
      const employee = await em.findOne(Employee, { employee_id: employeeId });
      if (!employee) throw notFound('Employee', employeeId);
      await assertTeamExists(em, team_id);
      await assertUnique(em, input, employeeId);
      await assertKeepsAnAdmin(em, employee, input);
      const before = employeeDto(employee);
      // A new password, another access level or a deactivation ends every session: tokens issued before are refused.
      const deactivates = input.active === false && employee.active;
      const accessChanges = input.access !== undefined && input.access !== employee.access;
      const revokes = Boolean(password_hash) || accessChanges || deactivates;
      if (revokes) revoked = deactivates ? 'deactivated' : accessChanges ? 'access_changed' : 'revoked';
      em.assign(employee, {
        ...withoutUndefined(rest),
        ...(team_id !== undefined ? { team: team_id } : {}),
        ...(password_hash ? { password_hash } : {}),
        ...(revokes ? { token_version: employee.token_version + 1 } : {}),
      } as never);
      await em.flush();
      const after = employeeDto(employee);
      recordAudit(em, ctx, {
        entity_type: 'employee',
        entity_id: employeeId,
        action: 'update',
        before,
        after: password_hash ? { ...after, password_changed: true } : after,
      });
      return after;
    });
    if (revoked) ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: revoked });
    return updated;
  } catch (error) {
    return uniqueToConflict(error);
  }
}

/** Deletes an employee and their attendance; the audit trail keeps what they were. Deactivate to keep history. */
export async function deleteEmployee(ctx: Ctx, employeeId: number) {
  // Their records and punches go with them: a batch of punches writing the same rows may deadlock with the delete,
  // which then simply runs again.
  await retryOnConflict(() =>
    ctx.em.fork().transactional(async (em) => {
      const employee = await em.findOne(Employee, { employee_id: employeeId });
      if (!employee) throw notFound('Employee', employeeId);
      await assertKeepsAnAdmin(em, employee, null);
      const before = employeeDto(employee);
      await em.nativeDelete(Employee, { employee_id: employeeId });
      recordAudit(em, ctx, { entity_type: 'employee', entity_id: employeeId, action: 'delete', before });
    }),
  );
  ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: 'deactivated' });
}

/**
 * Refuses every token of an employee issued so far (on every instance: the next request with one is 401) and closes
 * their open sockets. The caller for themselves; an admin for anyone.
 */
export async function revokeTokens(ctx: Ctx, employeeId: number) {
  const user = ctx.user!;
  if (user.access !== 'admin' && employeeId !== user.employee_id) throw forbidden('You may only revoke your own tokens');
  await ctx.em.transactional(async (em) => {
    const rows = await em.execute<{ employee_id: number }[]>(
      'update employees set token_version = token_version + 1, updated_at = now() where employee_id = ? returning employee_id',
      [employeeId],
    );
    if (!rows.length) throw notFound('Employee', employeeId);
    recordAudit(em, ctx, { entity_type: 'employee', entity_id: employeeId, action: 'update', after: { tokens_revoked: true } });
  });
  ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: 'revoked' });
  return { employee_id: employeeId, revoked: true as const };
}
