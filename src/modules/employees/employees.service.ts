import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { conflict, forbidden, notFound, retryOnConflict, uniqueViolation, validationError } from '../../infra/errors.ts';
import { isoTimestamp } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { canSeePerson, directoryTeam, hashPassword, isAdmin, seesOnlyThemselves } from '../auth/index.ts';
import { teams } from '../teams/index.ts';
import { employees, type EmployeeFields, type EmployeeRow } from './employees.repository.ts';
import type { EmployeeCreateInput, EmployeeListInput, EmployeeUpdateInput } from './employees.schema.ts';
import { hashPin } from './pins.ts';

/** The public shape of an employee. The password and PIN hashes never leave the server (`has_pin` says if there is one). */
export const employeeDto = (e: EmployeeRow) => ({
  employee_id: Number(e.employee_id),
  name: e.name,
  email: e.email,
  team_id: e.team_id == null ? null : Number(e.team_id),
  role: e.role ?? null,
  access: e.access,
  badge_id: e.badge_id ?? null,
  employee_number: e.employee_number ?? null,
  has_pin: Boolean(e.has_pin),
  active: e.active,
  created_at: isoTimestamp(e.created_at),
  updated_at: isoTimestamp(e.updated_at),
});

export type EmployeeDto = ReturnType<typeof employeeDto>;

/** Throws unless the caller may read this employee: admins all, managers their team, everyone themselves. */
export function assertCanSee(ctx: Ctx, employee: { employee_id: number; team_id: number | null }) {
  if (!ctx.user || !canSeePerson(ctx.user, employee)) throw forbidden('You may only see employees of your own team');
}

export async function listEmployees(ctx: Ctx, query: EmployeeListInput) {
  const scope = directoryTeam(ctx.user!);
  let teamId = query.team_id;
  if (scope.kind === 'team') {
    if (query.team_id !== undefined && query.team_id !== scope.team_id) throw forbidden('Managers may only list their own team');
    teamId = scope.team_id ?? -1;
  }
  const { rows, total } = await employees.list(sqlOf(ctx.em), { team_id: teamId, access: query.access, active: query.active, q: query.q }, query);
  return { items: rows.map(employeeDto), total };
}

export async function getEmployee(ctx: Ctx, employeeId: number) {
  // An employee learns nothing about ids that are not theirs: unknown or someone else's, the same 403.
  if (seesOnlyThemselves(ctx.user!) && employeeId !== ctx.user!.employee_id) throw forbidden('You may only see employees of your own team');
  const employee = await employees.get(sqlOf(ctx.em), employeeId);
  if (!employee) throw notFound('Employee', employeeId);
  assertCanSee(ctx, { employee_id: employeeId, team_id: employee.team_id == null ? null : Number(employee.team_id) });
  return employeeDto(employee);
}

async function assertTeamExists(sql: Sql, teamId: number | null | undefined) {
  if (teamId == null) return;
  if (!(await teams.exists(sql, teamId))) {
    throw validationError([{ loc: ['body', 'team_id'], msg: `team ${teamId} does not exist`, type: 'value_error.foreign_key' }]);
  }
}

async function assertUnique(sql: Sql, input: { email?: string; badge_id?: string | null; employee_number?: string | null }, exceptId?: number) {
  if (input.email && (await employees.emailTaken(sql, input.email, exceptId))) {
    throw conflict('duplicate_email', `An employee with email ${input.email} already exists`);
  }
  if (input.badge_id && (await employees.badgeTaken(sql, input.badge_id, exceptId))) {
    throw conflict('duplicate_badge', `Badge ${input.badge_id} is already assigned to another employee`);
  }
  if (input.employee_number && (await employees.employeeNumberTaken(sql, input.employee_number, exceptId))) {
    throw conflict('duplicate_employee_number', `Employee number ${input.employee_number} is already someone else's`);
  }
}

/** Maps a race on a unique index to the same 409 the pre-checks give. */
function uniqueToConflict(error: unknown): never {
  const constraint = uniqueViolation(error);
  if (constraint?.includes('employee_number')) throw conflict('duplicate_employee_number', 'This employee number is already someone else’s');
  if (constraint?.includes('badge')) throw conflict('duplicate_badge', 'This badge is already assigned to another employee');
  if (constraint) throw conflict('duplicate_email', 'An employee with this email already exists');
  throw error;
}

export async function createEmployee(ctx: Ctx, input: EmployeeCreateInput) {
  const db = sqlOf(ctx.em);
  await assertTeamExists(db, input.team_id);
  await assertUnique(db, input);
  const [password_hash, pin_hash] = await Promise.all([hashPassword(input.password, ctx.config.bcryptCost), input.pin ? hashPin(input.pin) : null]);
  try {
    const created = await db.transaction(async (tx) => {
      const dto = employeeDto(
        await employees.insert(tx, {
          name: input.name, email: input.email, team_id: input.team_id, role: input.role, access: input.access, badge_id: input.badge_id, active: input.active,
          employee_number: input.employee_number, password_hash, pin_hash,
        }),
      );
      await recordAudit(tx, ctx, { entity_type: 'employee', entity_id: dto.employee_id, action: 'create', after: dto });
      return dto;
    });
    ctx.bus.publish('employee.changed', { action: 'created', employee: created });
    return created;
  } catch (error) {
    return uniqueToConflict(error);
  }
}

/** Refuses a change that would leave the organisation without an active admin. */
async function assertKeepsAnAdmin(sql: Sql, employee: EmployeeDto, next: { access?: string; active?: boolean } | null) {
  if (!isAdmin(employee) || !employee.active) return;
  const staysAdmin = next !== null && (next.access ?? 'admin') === 'admin' && (next.active ?? true);
  if (staysAdmin) return;
  if ((await employees.activeAdmins(sql, employee.employee_id)) === 0) throw conflict('last_admin', 'This is the last active admin; promote another admin first');
}

type Revocation = 'revoked' | 'deactivated' | 'access_changed';

export async function updateEmployee(ctx: Ctx, employeeId: number, input: EmployeeUpdateInput) {
  const password_hash = input.password ? await hashPassword(input.password, ctx.config.bcryptCost) : undefined;
  // undefined: the PIN stays as it is; null: removed.
  const pin_hash = input.pin ? await hashPin(input.pin) : input.pin === null ? null : undefined;
  let revoked: Revocation | null = null;
  try {
    const after = await sqlOf(ctx.em).transaction(async (tx) => {
      const row = await employees.get(tx, employeeId, { lock: true });
      if (!row) throw notFound('Employee', employeeId);
      await assertTeamExists(tx, input.team_id);
      await assertUnique(tx, input, employeeId);
      const before = employeeDto(row);
      await assertKeepsAnAdmin(tx, before, input);
      // A new password, another access level or a deactivation ends every session: tokens issued before are refused.
      const deactivates = input.active === false && before.active;
      const accessChanges = input.access !== undefined && input.access !== before.access;
      if (password_hash || accessChanges || deactivates) revoked = deactivates ? 'deactivated' : accessChanges ? 'access_changed' : 'revoked';
      const fields: EmployeeFields = {
        name: input.name ?? before.name,
        email: input.email ?? before.email,
        team_id: input.team_id !== undefined ? input.team_id : before.team_id,
        role: input.role !== undefined ? input.role : before.role,
        access: input.access ?? before.access,
        badge_id: input.badge_id !== undefined ? input.badge_id : before.badge_id,
        employee_number: input.employee_number !== undefined ? input.employee_number : before.employee_number,
        active: input.active ?? before.active,
      };
      const updated = employeeDto(await employees.update(tx, employeeId, fields, { password_hash, pin_hash, revoke: revoked !== null }));
      await recordAudit(tx, ctx, {
        entity_type: 'employee', entity_id: employeeId, action: 'update', before,
        after: { ...updated, ...(password_hash ? { password_changed: true } : {}), ...(pin_hash !== undefined ? { pin_changed: true } : {}) },
      });
      return updated;
    });
    if (revoked) ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: revoked });
    ctx.bus.publish('employee.changed', { action: 'updated', employee: after });
    return after;
  } catch (error) {
    return uniqueToConflict(error);
  }
}

/** Deletes an employee and their attendance; the audit trail keeps what they were. Deactivate to keep history. */
export async function deleteEmployee(ctx: Ctx, employeeId: number) {
  // Their records and punches go with them: a batch of punches writing the same rows may deadlock with the delete,
  // which then simply runs again.
  const deleted = await retryOnConflict(() =>
    sqlOf(ctx.em).transaction(async (tx) => {
      const row = await employees.get(tx, employeeId, { lock: true });
      if (!row) throw notFound('Employee', employeeId);
      const before = employeeDto(row);
      await assertKeepsAnAdmin(tx, before, null);
      await employees.delete(tx, employeeId);
      await recordAudit(tx, ctx, { entity_type: 'employee', entity_id: employeeId, action: 'delete', before });
      return before;
    }),
  );
  ctx.bus.publish('tokens.revoked', { employee_id: employeeId, reason: 'deactivated' });
  ctx.bus.publish('employee.changed', { action: 'deleted', employee: deleted });
}
