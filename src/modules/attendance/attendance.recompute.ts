import { sqlOf, type Sql } from '../../infra/db.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';
import { dateOnly, isIsoDate, localDate } from '../../infra/time.ts';
import { employees } from '../employees/index.ts';
import { assignments, mondayOf, type WorkdayChanged } from '../schedules/index.ts';
import { teams } from '../teams/index.ts';
import { changeToSockets } from './attendance.broadcasts.ts';
import { figuresDiffer, refigured, weeklyShares } from './attendance.figures.ts';
import { recordDto, type RecordRow } from './attendance.records.ts';
import { attendance, type RecordFigures } from './attendance.repository.ts';
import { loadPlanning } from './planning.ts';

/** People recomputed per transaction: each holds their records of the period locked. */
const CHUNK = 200;

/** The people a change of working time concerns, with their teams. */
async function affected(sql: Sql, change: WorkdayChanged): Promise<{ employee_id: number; team_id: number | null }[]> {
  if (change.all) return employees.membersOf(sql, null);
  const ids = new Set<number>(change.employee_ids ?? []);
  const teamIds: number[] = [];
  if (change.team_id !== undefined) teamIds.push(change.team_id);
  if (change.schedule_id !== undefined) {
    teamIds.push(...(await teams.onSchedule(sql, change.schedule_id)));
    for (const id of await assignments.peopleOn(sql, change.schedule_id)) ids.add(id);
  }
  const members = teamIds.length ? await employees.membersOf(sql, teamIds) : [];
  for (const m of members) ids.delete(m.employee_id);
  const others = await employees.teamsOf(sql, [...ids]);
  return [...members, ...[...others].map(([employee_id, p]) => ({ employee_id, team_id: p.team_id }))];
}

/**
 * Recomputes the records of some people over some days after their working time changed (a schedule's new version,
 * an assignment, a holiday, or an admin's POST /attendance/recompute): each record's figures against its day's plan,
 * the weekly overtime of the weeks touched, and absences marked on days no longer expected removed (days that became
 * expected are the end of the day's to mark, as for any day). Only those days, never the whole history. Records of
 * today that changed go to the boards.
 */
export const recomputeJob: JobHandler = async (data, ctx) => {
  const change = data as unknown as WorkdayChanged;
  if (!isIsoDate(String(change.from)) || !isIsoDate(String(change.to)) || change.from > change.to) return { skipped: 'bad range' };
  const sql = sqlOf(ctx.em);
  const people = await affected(sql, change);
  const today = localDate(new Date(), ctx.config.timezone);
  let changed = 0;
  let removed = 0;
  const announce: { row: RecordRow; name: string; action: 'updated' | 'deleted' }[] = [];
  for (let i = 0; i < people.length; i += CHUNK) {
    const chunk = people.slice(i, i + CHUNK);
    const ids = chunk.map((p) => p.employee_id);
    const result = await sql.transaction(async (tx) => {
      const weekFrom = mondayOf(change.from);
      const planning = await loadPlanning(tx, ctx.config.timezone, weekFrom, change.to, ids);
      const rows = await attendance.ofPeople(tx, ids, weekFrom, change.to, { lock: true });
      const teamOf = new Map(chunk.map((p) => [p.employee_id, p.team_id]));
      const updates = new Map<number, RecordFigures & { record_id: number }>();
      const gone: number[] = [];
      for (const row of rows) {
        const date = dateOnly(row.attendance_date);
        if (date < change.from) continue;
        const plan = planning.plan(Number(row.employee_id), teamOf.get(Number(row.employee_id)) ?? null, date);
        if (!plan.expected && row.source === 'system' && row.status === 'Absent' && !row.check_in_time) {
          gone.push(Number(row.record_id));
          continue;
        }
        const next = refigured(row, plan);
        if (figuresDiffer(row, next)) updates.set(Number(row.record_id), { record_id: Number(row.record_id), ...next });
      }
      // Weekly overtime, person by person over the whole weeks (with the figures just recomputed).
      for (const id of ids) {
        const own = rows
          .filter((r) => Number(r.employee_id) === id && !gone.includes(Number(r.record_id)))
          .map((r) => ({ ...r, worked_minutes: updates.get(Number(r.record_id))?.worked_minutes ?? r.worked_minutes }));
        const limit = (planning.team(teamOf.get(id) ?? null)?.weekly_hours ?? 40) * 60;
        for (const [recordId, share] of weeklyShares(own, limit)) {
          const row = own.find((r) => Number(r.record_id) === recordId)!;
          const pending = updates.get(recordId);
          if (pending) pending.weekly_overtime_minutes = share;
          else if (Number(row.weekly_overtime_minutes) !== share) updates.set(recordId, { record_id: recordId, ...refigured(row, planning.plan(id, teamOf.get(id) ?? null, dateOnly(row.attendance_date))), weekly_overtime_minutes: share });
        }
      }
      const written = await attendance.setFigures(tx, [...updates.values()]);
      const deleted = await attendance.deleteSystemAbsences(tx, gone);
      return { written, deleted };
    });
    changed += result.written.length;
    removed += result.deleted.length;
    const names = await employees.teamsOf(sql, ids);
    const nameOf = (r: RecordRow) => names.get(Number(r.employee_id))?.name ?? '';
    for (const row of result.written) if (dateOnly(row.attendance_date) === today) announce.push({ row, name: nameOf(row), action: 'updated' });
    for (const row of result.deleted) announce.push({ row, name: nameOf(row), action: 'deleted' });
  }
  if (announce.length) {
    await ctx.broadcast.numbered(
      announce.map(({ row, name, action }) => {
        const record = recordDto(row, ctx.config.timezone);
        return changeToSockets({ action, team_id: record.team_id, employee: { employee_id: record.employee_id, name }, record });
      }),
    );
  }
  if (changed || removed) await ctx.jobs.add('summaries:recompute', { all: true }, { dedupId: 'summaries:all' });
  return { people: people.length, from: change.from, to: change.to, changed, removed, reason: change.reason };
};
