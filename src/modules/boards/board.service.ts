import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { forbidden, notFound } from '../../infra/errors.ts';
import { localDate } from '../../infra/time.ts';
import { attendance, loadPlanning, recordDto, type RecordRow } from '../attendance/index.ts';
import { canWatchBoard } from '../auth/index.ts';
import { teams } from '../teams/index.ts';
import { lateAfter } from '../schedules/index.ts';
import { BOARD_STATES, boardState } from './board.rules.ts';
import type { BoardMember, BoardSnapshot } from './boards.events.ts';

/** Admins, and managers of that team, may watch a team's board. */
export function assertCanWatch(ctx: Ctx, teamId: number) {
  if (!ctx.user || !canWatchBoard(ctx.user, teamId)) throw forbidden('Only admins and the team’s managers may watch this board');
}

export async function assertTeamExists(ctx: Ctx, teamId: number) {
  if (!(await teams.exists(sqlOf(ctx.em), teamId))) throw notFound('Team', teamId);
}

/**
 * A team's board of a day (default: today in the team's zone): every active member with that day's record and plan,
 * their state (board.rules.ts), their presence, and the counts.
 */
export async function teamSnapshot(ctx: Pick<Ctx, 'em' | 'config'>, teamId: number, seq: number, date?: string, now = new Date()): Promise<BoardSnapshot> {
  const db = sqlOf(ctx.em);
  const team = await teams.settings(db, teamId);
  if (team === null) throw notFound('Team', teamId);
  // The team's own zone decides what "today" is.
  const tz = team.timezone ?? ctx.config.timezone;
  const day = date ?? localDate(now, tz);
  const rows = await attendance.teamDay(db, teamId, day, { now, maxShiftHours: ctx.config.punch.maxShiftHours });
  const planning = await loadPlanning(db, ctx.config.timezone, day, day, rows.map((r) => Number(r.member_id)));
  const counts = Object.fromEntries([...BOARD_STATES, 'in_now', 'late'].map((k) => [k, 0])) as BoardSnapshot['counts'];
  const members: BoardMember[] = rows.map((r) => {
    const id = Number(r.member_id);
    const plan = planning.plan(id, teamId, day);
    const record = r.record_id == null ? null : recordDto(r as RecordRow, ctx.config.timezone);
    const deadline = lateAfter(plan);
    const state = boardState(record, { expected: plan.expected, late_after: deadline, end: plan.end }, now);
    counts[state]++;
    if (record?.presence === 'in') counts.in_now++;
    if (record?.status === 'Late') counts.late++;
    return {
      employee_id: id,
      name: r.member_name,
      record_id: record?.record_id ?? null,
      status: record?.status ?? null,
      attendance_date: record?.attendance_date ?? null,
      state,
      presence: record?.presence ?? 'out',
      check_in_time: record?.check_in_time ?? null,
      check_out_time: record?.check_out_time ?? null,
      intervals: record?.intervals ?? [],
      worked_minutes: record?.worked_minutes ?? 0,
      expected: plan.expected,
      shift_start: plan.start?.toISOString() ?? null,
      shift_end: plan.end?.toISOString() ?? null,
      late_after: deadline?.toISOString() ?? null,
      updated_at: record?.updated_at ?? null,
    };
  });
  return { team_id: teamId, team_name: team.team_name, date: day, timezone: tz, seq, members, counts };
}
