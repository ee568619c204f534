import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { AppError, forbidden, notFound } from '../../infra/errors.ts';
import { addDays, dateOnly, localDate } from '../../infra/time.ts';
import { canSeePerson, figuresTeam, readScope, seesOnlyThemselves } from '../auth/index.ts';
import { employees } from '../employees/index.ts';
import { teams } from '../teams/index.ts';
import { intervalsOf, type RecordRow } from './attendance.records.ts';
import { attendance } from './attendance.repository.ts';
import { loadPlanning } from './planning.ts';

/**
 * Who is on site now, the fire roll call: everyone whose last stay is still open (a night shift from yesterday
 * included), with when that stay began and when they first came in that day. Managers: their team; admins: everyone,
 * or one team.
 */
export async function onSite(ctx: Ctx, teamId: number | undefined) {
  const scope = figuresTeam(ctx.user!, teamId);
  const db = sqlOf(ctx.em);
  if (scope !== null && !(await teams.exists(db, scope))) throw notFound('Team', scope);
  // Two days back in the earliest zone there is: a stay opened yesterday anywhere is found.
  const since = addDays(localDate(new Date(), 'Etc/GMT+12'), -1);
  const rows = await attendance.onSite(db, { team_id: scope, since, now: new Date(), maxShiftHours: ctx.config.punch.maxShiftHours });
  const items = rows.map((r) => {
    const intervals = intervalsOf(r);
    return {
      employee_id: Number(r.employee_id),
      name: r.name,
      team_id: r.team_id == null ? null : Number(r.team_id),
      team_name: r.team_name,
      record_id: Number(r.record_id),
      attendance_date: dateOnly(r.attendance_date),
      timezone: r.timezone ?? ctx.config.timezone,
      check_in_time: intervals[intervals.length - 1].check_in_time,
      first_check_in_time: intervals[0].check_in_time,
    };
  });
  return items.sort((a, b) => a.name.localeCompare(b.name) || a.employee_id - b.employee_id);
}

/** The longest period a timesheet covers, and the most rows it holds. */
export const TIMESHEET_MAX_DAYS = 366;
export const TIMESHEET_MAX_ROWS = 100_000;

export type TimesheetQuery = { date_from: string; date_to: string; team_id?: number; employee_id?: number };

type Day = {
  date: string;
  status: string | null;
  intervals: { check_in_time: string; check_out_time: string | null; auto_closed?: boolean }[];
  worked_minutes: number;
  break_minutes: number;
  overtime_minutes: number;
  weekly_overtime_minutes: number;
  planned_minutes: number | null;
  late: boolean;
  left_early: boolean;
  missing_check_out: boolean;
  record_id: number | null;
};

/**
 * Per employee and day of a period: the stays, minutes worked, breaks, overtime (daily and weekly), late, left early
 * and status, with totals per employee. A working day the schedules expected and nobody recorded (and which is over)
 * shows as Absent. Whom the caller may see, as for GET /attendance/.
 */
export async function timesheet(ctx: Ctx, q: TimesheetQuery) {
  if (q.date_to < q.date_from) throw new AppError(422, 'validation_error', 'date_to must not be before date_from');
  if (addDays(q.date_from, TIMESHEET_MAX_DAYS) <= q.date_to) throw new AppError(422, 'validation_error', `A timesheet covers at most ${TIMESHEET_MAX_DAYS} days`);
  const user = ctx.user!;
  const db = sqlOf(ctx.em);
  if (q.employee_id !== undefined) {
    if (seesOnlyThemselves(user) && q.employee_id !== user.employee_id) throw forbidden('You may only read your own attendance');
    const owner = await employees.owner(db, q.employee_id);
    if (!owner) throw notFound('Employee', q.employee_id);
    if (!canSeePerson(user, owner)) throw forbidden('You may only see employees of your own team');
  }
  if (q.team_id !== undefined && !(await teams.exists(db, q.team_id))) throw notFound('Team', q.team_id);
  const scope = readScope(user);
  const filter = { date_from: q.date_from, date_to: q.date_to, team_id: q.team_id, employee_id: q.employee_id };
  if ((await attendance.exportCount(db, filter, scope)) > TIMESHEET_MAX_ROWS) {
    throw new AppError(422, 'too_many_rows', `More than ${TIMESHEET_MAX_ROWS} records: narrow the period or the team`);
  }
  const records = await attendance.timesheetRows(db, filter, scope);
  // Everyone in view who could have been expected: active members of the team(s) in scope.
  const people = new Map<number, { employee_id: number; name: string; team_id: number | null; team_name: string | null }>();
  for (const r of records) people.set(Number(r.employee_id), { employee_id: Number(r.employee_id), name: r.name, team_id: r.team_id == null ? null : Number(r.team_id), team_name: r.team_name });
  const roster = await attendance.rosterOf(db, filter, scope);
  for (const p of roster) if (!people.has(p.employee_id)) people.set(p.employee_id, p);
  const planning = await loadPlanning(db, ctx.config.timezone, q.date_from, q.date_to, [...people.keys()]);
  const byPerson = new Map<number, RecordRow[]>();
  for (const r of records) (byPerson.get(Number(r.employee_id)) ?? byPerson.set(Number(r.employee_id), []).get(Number(r.employee_id))!).push(r);
  const active = new Set(roster.map((p) => p.employee_id));

  const out = [...people.values()]
    .sort((a, b) => a.name.localeCompare(b.name) || a.employee_id - b.employee_id)
    .map((p) => {
      const tz = planning.tzOf(p.team_id);
      const today = localDate(new Date(), tz);
      const own = new Map((byPerson.get(p.employee_id) ?? []).map((r) => [dateOnly(r.attendance_date), r]));
      const days: Day[] = [];
      for (let date = q.date_from; date <= q.date_to; date = addDays(date, 1)) {
        const r = own.get(date);
        if (r) {
          days.push({
            date, status: r.status, intervals: intervalsOf(r), worked_minutes: Number(r.worked_minutes), break_minutes: Number(r.break_minutes),
            overtime_minutes: Number(r.overtime_minutes), weekly_overtime_minutes: Number(r.weekly_overtime_minutes),
            planned_minutes: r.planned_minutes == null ? null : Number(r.planned_minutes), late: r.status === 'Late', left_early: Boolean(r.left_early),
            missing_check_out: Boolean(r.missing_check_out), record_id: Number(r.record_id),
          });
        } else if (active.has(p.employee_id) && date < today) {
          const plan = planning.plan(p.employee_id, p.team_id, date);
          if (plan.expected) {
            days.push({
              date, status: 'Absent', intervals: [], worked_minutes: 0, break_minutes: 0, overtime_minutes: 0, weekly_overtime_minutes: 0,
              planned_minutes: plan.planned_minutes, late: false, left_early: false, missing_check_out: false, record_id: null,
            });
          }
        }
      }
      const sum = (key: 'worked_minutes' | 'break_minutes' | 'overtime_minutes' | 'weekly_overtime_minutes') => days.reduce((n, d) => n + d[key], 0);
      return {
        ...p,
        timezone: tz,
        days,
        totals: {
          days_worked: days.filter((d) => d.worked_minutes > 0 || d.intervals.length > 0).length,
          worked_minutes: sum('worked_minutes'),
          break_minutes: sum('break_minutes'),
          overtime_minutes: sum('overtime_minutes'),
          weekly_overtime_minutes: sum('weekly_overtime_minutes'),
          planned_minutes: days.reduce((n, d) => n + (d.planned_minutes ?? 0), 0),
          late_days: days.filter((d) => d.late).length,
          left_early_days: days.filter((d) => d.left_early).length,
          absent_days: days.filter((d) => d.status === 'Absent').length,
        },
      };
    });
  return { date_from: q.date_from, date_to: q.date_to, team_id: q.team_id ?? null, employee_id: q.employee_id ?? null, employees: out };
}

export type Timesheet = Awaited<ReturnType<typeof timesheet>>;

