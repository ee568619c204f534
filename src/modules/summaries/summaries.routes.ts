import * as v from 'valibot';
import { endpoint } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { IdString, IntQuery } from '../../infra/schemas.ts';
import { dailyReport, getSummary } from './summary.service.ts';

const Rate = v.pipe(v.number(), v.description('percent, one decimal'));
const Hours = (what: string) => v.pipe(v.number(), v.description(`${what}, in hours (one decimal)`));
const Minutes = (what: string) => v.pipe(v.number(), v.description(`${what}, in minutes (exact)`));
const DayCounts = v.object({
  date: v.string(), rate: Rate, present: v.number(), late: v.number(), remote: v.number(), absent: v.number(), on_leave: v.number(), expected: v.number(),
  worked_hours: Hours('Time worked by everyone that day'), overtime_hours: Hours('Overtime beyond the day’s plans'),
  worked_minutes: Minutes('Time worked by everyone that day'), overtime_minutes: Minutes('Overtime beyond the day’s plans'),
});

const SummaryOut = v.object({
  yesterday_summary: v.pipe(v.string(), v.description('"90% attendance rate with 45 employees present"')),
  last_week_summary: v.pipe(v.string(), v.description('"Average attendance rate of 88% with highest attendance on Tuesday"')),
  team_id: v.nullable(v.number()),
  team_name: v.nullable(v.string()),
  yesterday: v.nullable(DayCounts),
  last_week: v.object({
    from: v.string(),
    to: v.string(),
    average_rate: Rate,
    best_day: v.nullable(v.string()),
    best_date: v.nullable(v.string()),
    worst_day: v.nullable(v.string()),
    worst_date: v.nullable(v.string()),
    by_day: v.array(v.object({ date: v.string(), weekday: v.string(), rate: Rate, present: v.number(), expected: v.number() })),
    worked_hours: Hours('Time worked that week'),
    overtime_hours: Hours('Overtime beyond the days’ plans'),
    weekly_overtime_hours: Hours('Overtime beyond each team’s weekly_hours'),
    worked_minutes: Minutes('Time worked that week'),
    overtime_minutes: Minutes('Overtime beyond the days’ plans'),
    weekly_overtime_minutes: Minutes('Overtime beyond each team’s weekly_hours'),
  }),
  today: v.object({
    date: v.string(), rate: Rate, expected: v.number(), present: v.number(), late: v.number(), remote: v.number(),
    absent: v.number(), on_leave: v.number(), not_in_yet: v.number(), checked_out: v.number(),
  }),
  computed_at: v.string(),
});

export const summaryEndpoints = [
  endpoint(
    {
      method: 'get', path: '/summarize_attendance/', apiScope: 'reports:read', tag: 'Summaries', summary: 'Attendance summary: yesterday and last week',
      access: ['admin', 'manager'], query: v.object({ team_id: v.optional(IdString('team_id')) }), response: SummaryOut,
      scope: 'Admins: the organisation, or one team with `team_id`. Managers: their own team.',
      description:
        'Read from the stored summary, which workers recompute every few minutes, after local midnight and shortly after ' +
        'attendance changes. Rate = present ÷ expected on working days (see the README for the definitions).',
    },
    async (c, { query }) => c.json(await getSummary(ctxOf(c), query.team_id)),
  ),
  endpoint(
    {
      method: 'get', path: '/reports/daily', apiScope: 'reports:read', tag: 'Summaries', summary: 'Attendance rate per working day (for charts)',
      access: ['admin', 'manager'], query: v.object({ team_id: v.optional(IdString('team_id')), days: v.optional(IntQuery('days', 1, 366), '30') }),
      response: v.object({
        team_id: v.nullable(v.number()), from: v.string(), to: v.string(),
        days: v.array(v.object({ date: v.string(), weekday: v.string(), rate: Rate, present: v.number(), expected: v.number(), late: v.number(), absent: v.number() })),
      }),
      scope: 'Admins: the organisation or any team. Managers: their own team.',
      heavy: true,
      description: 'The last `days` whole days, up to yesterday (local dates in TIMEZONE); only working days are listed. Same definitions as the summaries.',
    },
    async (c, { query }) => c.json(await dailyReport(ctxOf(c), query.team_id, query.days)),
  ),
];
