import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { forbidden, notFound } from '../../infra/errors.ts';
import { isoOrNull, localDate } from '../../infra/time.ts';
import { attendance } from '../attendance/index.ts';
import { canWatchBoard } from '../auth/index.ts';
import { teams } from '../teams/index.ts';
import type { BoardMember, BoardSnapshot, BoardState } from './boards.events.ts';

/** Admins, and managers of that team, may watch a team's board. */
export function assertCanWatch(ctx: Ctx, teamId: number) {
  if (!ctx.user || !canWatchBoard(ctx.user, teamId)) throw forbidden('Only admins and the team’s managers may watch this board');
}

export async function assertTeamExists(ctx: Ctx, teamId: number) {
  if (!(await teams.exists(sqlOf(ctx.em), teamId))) throw notFound('Team', teamId);
}

/** One state per member, so the counts add up to the team. */
export function boardState(status: string | null, checkedOut: boolean): BoardState {
  if (status === null) return 'not_in_yet';
  if (status === 'Remote') return 'remote';
  if (status === 'Absent') return 'absent';
  if (status === 'On Leave') return 'on_leave';
  if (checkedOut) return 'checked_out';
  return status === 'Late' ? 'late' : 'present';
}

/** Today's board of a team (or of `date`): every active member with that day's record (local date in TIMEZONE). */
export async function teamSnapshot(ctx: Pick<Ctx, 'em' | 'config'>, teamId: number, seq: number, date = localDate(new Date(), ctx.config.timezone)): Promise<BoardSnapshot> {
  const db = sqlOf(ctx.em);
  const teamName = await teams.name(db, teamId);
  if (teamName === null) throw notFound('Team', teamId);
  const rows = await attendance.teamDay(db, teamId, date);
  const counts: Record<BoardState, number> = { present: 0, late: 0, remote: 0, absent: 0, on_leave: 0, not_in_yet: 0, checked_out: 0 };
  const members: BoardMember[] = rows.map((r) => {
    const state = boardState(r.status, r.check_out_time != null);
    counts[state]++;
    return {
      employee_id: Number(r.employee_id),
      name: r.name,
      status: r.status,
      state,
      check_in_time: isoOrNull(r.check_in_time),
      check_out_time: isoOrNull(r.check_out_time),
      updated_at: isoOrNull(r.updated_at),
    };
  });
  return { team_id: teamId, team_name: teamName, date, seq, members, counts };
}
