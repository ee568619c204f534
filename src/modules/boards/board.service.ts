import type { Ctx } from '../../infra/context.ts';
import { forbidden, notFound } from '../../infra/errors.ts';
import { localDate } from '../../infra/time.ts';
import { canWatchBoard } from '../auth/policy.ts';
import type { BoardMember, BoardSnapshot, BoardState } from '../realtime/events.ts';

/** Admins, and managers of that team, may watch a team's board. */
export function assertCanWatch(ctx: Ctx, teamId: number) {
  if (!ctx.user || !canWatchBoard(ctx.user, teamId)) throw forbidden('Only admins and the team’s managers may watch this board');
}

export async function assertTeamExists(ctx: Ctx, teamId: number) {
  const [team] = await ctx.em.execute<unknown[]>('select 1 from teams where team_id = ?', [teamId]);
  if (!team) throw notFound('Team', teamId);
}

type Row = {
  employee_id: number;
  name: string;
  status: string | null;
  check_in_time: string | Date | null;
  check_out_time: string | Date | null;
  updated_at: string | Date | null;
};

/** One state per member, so the counts add up to the team. */
export function boardState(status: string | null, checkedOut: boolean): BoardState {
  if (status === null) return 'not_in_yet';
  if (status === 'Remote') return 'remote';
  if (status === 'Absent') return 'absent';
  if (status === 'On Leave') return 'on_leave';
  if (checkedOut) return 'checked_out';
  return status === 'Late' ? 'late' : 'present';
}

const iso = (d: string | Date | null) => (d == null ? null : new Date(d).toISOString());

/** Today's board of a team (or of `date`): every active member with that day's record (local date in TIMEZONE). */
export async function teamSnapshot(ctx: Ctx, teamId: number, seq: number, date = localDate(new Date(), ctx.config.timezone)): Promise<BoardSnapshot> {
  const [team] = await ctx.em.execute<{ team_name: string }[]>('select team_name from teams where team_id = ?', [teamId]);
  if (!team) throw notFound('Team', teamId);
  const rows = await ctx.em.execute<Row[]>(
    `select e.employee_id, e.name, a.status, a.check_in_time, a.check_out_time, a.updated_at
       from employees e
       left join attendance a on a.employee_id = e.employee_id and a.attendance_date = ?
      where e.team_id = ? and e.active
      order by e.name, e.employee_id`,
    [date, teamId],
  );
  const counts: Record<BoardState, number> = { present: 0, late: 0, remote: 0, absent: 0, on_leave: 0, not_in_yet: 0, checked_out: 0 };
  const members: BoardMember[] = rows.map((r) => {
    const state = boardState(r.status, r.check_out_time != null);
    counts[state]++;
    return {
      employee_id: Number(r.employee_id),
      name: r.name,
      status: r.status,
      state,
      check_in_time: iso(r.check_in_time),
      check_out_time: iso(r.check_out_time),
      updated_at: iso(r.updated_at),
    };
  });
  return { team_id: teamId, team_name: team.team_name, date, seq, members, counts };
}
