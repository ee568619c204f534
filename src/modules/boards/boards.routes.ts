import * as v from 'valibot';
import { endpoint } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { sqlOf } from '../../infra/db.ts';
import { visibleTeam } from '../auth/index.ts';
import { teams } from '../teams/index.ts';
import { BOARD_STATES } from './board.rules.ts';
import { teamSnapshot } from './board.service.ts';

const Counts = v.object(Object.fromEntries([...BOARD_STATES, 'in_now', 'late'].map((k) => [k, v.number()])) as Record<string, v.NumberSchema<undefined>>);
const OverviewOut = v.object({
  teams: v.array(v.object({ team_id: v.number(), team_name: v.string(), date: v.string(), timezone: v.string(), members: v.number(), counts: Counts })),
});

/** At most this many teams in one overview (the boards are built one team at a time). */
const MAX_TEAMS = 200;

export const boardEndpoints = [
  endpoint(
    {
      method: 'get', path: '/boards/', apiScope: 'attendance:read', tag: 'Boards', summary: 'Every team’s board today, counted', access: ['admin', 'manager'], response: OverviewOut, heavy: true,
      scope: 'Admins: every team. Managers: their own.',
      description:
        'Per team, today in the team’s zone: how many members are in each board state (in, out, done, not_in_yet, overdue, remote, on_leave, absent, off), ' +
        '`in_now` (on site) and `late`; the same counts a team’s live board (`board:join`) starts from. Teams by name, at most 200.',
    },
    async (c) => {
      const ctx = ctxOf(c);
      const scope = visibleTeam(ctx.user!);
      if (scope.kind === 'one' && scope.team_id === null) return c.json({ teams: [] });
      const { rows } = await teams.list(sqlOf(ctx.em), scope.kind === 'all' ? {} : { team_id: scope.team_id }, { skip: 0, limit: MAX_TEAMS });
      const out = [];
      for (const team of rows) {
        const board = await teamSnapshot(ctx, Number(team.team_id), 0);
        out.push({ team_id: board.team_id, team_name: board.team_name, date: board.date, timezone: board.timezone, members: board.members.length, counts: board.counts });
      }
      return c.json({ teams: out.sort((a, b) => a.team_name.localeCompare(b.team_name)) });
    },
  ),
];
