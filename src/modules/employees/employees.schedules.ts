import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { notFound } from '../../infra/errors.ts';
import { addAssignment, deleteAssignment, listAssignments } from '../schedules/index.ts';
import { employees } from './employees.repository.ts';
import { assertCanSee } from './employees.service.ts';

/** A person's schedule assignments: whom the caller may see (admins all, managers their team, everyone themselves). */
export async function employeeSchedules(ctx: Ctx, employeeId: number) {
  const owner = await employees.owner(sqlOf(ctx.em), employeeId);
  if (!owner) throw notFound('Employee', employeeId);
  assertCanSee(ctx, owner);
  return listAssignments(ctx, employeeId);
}

export async function assignSchedule(ctx: Ctx, employeeId: number, input: Parameters<typeof addAssignment>[2]) {
  if (!(await employees.owner(sqlOf(ctx.em), employeeId))) throw notFound('Employee', employeeId);
  return addAssignment(ctx, employeeId, input);
}

export const unassignSchedule = (ctx: Ctx, employeeId: number, assignmentId: number) => deleteAssignment(ctx, employeeId, assignmentId);
