import { createHash } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { notFound } from '../../infra/errors.ts';
import { attendance, loadPlanning } from '../attendance/index.ts';
import { figuresTeam } from '../auth/index.ts';
import { teams } from '../teams/index.ts';
import { summaries } from './summaries.repository.ts';
import { addDays, dateOnly, isoWeekday, localDate } from '../../infra/time.ts';

/**
 * Definitions (also in the README):
 * - expected on a day: active members of a team whose schedule (their team's, or an assignment) has a shift that day,
 *   no holiday for them, and who existed by then, minus those On Leave that day. Employees without a team are never
 *   expected.
 * - present: expected members whose record says Present, Late, Half Day or Remote (late and remote are part of present).
 * - absent: expected − present (an Absent record, or no record at all).
 * - rate: present ÷ expected, in percent; a day with nobody expected is not a working day and does not count.
 * - yesterday: the last working day before today; last week: the previous Monday–Sunday. Local dates in TIMEZONE.
 */
export const ATTENDED = ['Present', 'Late', 'Half Day', 'Remote'];

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
export const weekdayName = (date: string) => WEEKDAYS[isoWeekday(date) - 1];

export type DayStats = {
  date: string;
  expected: number;
  present: number;
  late: number;
  remote: number;
  absent: number;
  on_leave: number;
  /** Expected members with no record yet: today only (on past days they count as absent). */
  not_in_yet: number;
  checked_out: number;
  rate: number;
  /** Minutes worked, and overtime (beyond the day's plan; beyond the weekly limit), by every record of the day. */
  worked_minutes: number;
  overtime_minutes: number;
  weekly_overtime_minutes: number;
};

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

/**
 * Per-day counts for a date range, for one team or (teamId null) the whole organisation: who the schedules expect
 * (their shift that day, no holiday), against their records; and the minutes worked and overtime of every record.
 */
export async function dailyStats(sql: Sql, tz: string, from: string, to: string, teamId: number | null, today = localDate(new Date(), tz)): Promise<DayStats[]> {
  const planning = await loadPlanning(sql, tz, from, to);
  const [rows, hours] = await Promise.all([attendance.dailyCounts(sql, tz, from, to, await planning.expectedGrid(from, to, teamId)), attendance.hoursByDay(sql, from, to, teamId)]);
  const byDay = new Map(rows.map((r) => [dateOnly(r.day), r]));
  const hoursByDay = new Map(hours.map((h) => [dateOnly(h.day), h]));
  const out: DayStats[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const r = byDay.get(day);
    const expected = Number(r?.expected ?? 0);
    const present = Number(r?.present ?? 0);
    const absentRecords = Number(r?.absent_records ?? 0);
    // Today is not over: someone without a record is not in yet rather than absent.
    const notInYet = day >= today ? expected - present - absentRecords : 0;
    out.push({
      date: day,
      expected,
      present,
      late: Number(r?.late ?? 0),
      remote: Number(r?.remote ?? 0),
      absent: expected - present - notInYet,
      on_leave: Number(r?.on_leave ?? 0),
      not_in_yet: notInYet,
      checked_out: Number(r?.checked_out ?? 0),
      rate: pct(present, expected),
      worked_minutes: Number(hoursByDay.get(day)?.worked ?? 0),
      overtime_minutes: Number(hoursByDay.get(day)?.overtime ?? 0),
      weekly_overtime_minutes: Number(hoursByDay.get(day)?.weekly_overtime ?? 0),
    });
  }
  return out;
}

/** Hours with one decimal, from minutes. */
const hoursOf = (minutes: number) => Math.round(minutes / 6) / 10;
const sum = (list: DayStats[], key: 'worked_minutes' | 'overtime_minutes' | 'weekly_overtime_minutes') => list.reduce((total, d) => total + d[key], 0);

const people = (n: number) => `${n} ${n === 1 ? 'employee' : 'employees'}`;

/** The summary body of a scope, computed from the database as of `now`. */
export async function computeSummary(sql: Sql, config: Pick<Config, 'timezone'>, teamId: number | null, now = new Date()) {
  let team: { team_id: number; team_name: string } | null = null;
  if (teamId !== null) {
    const name = await teams.name(sql, teamId);
    if (name === null) throw notFound('Team', teamId);
    team = { team_id: teamId, team_name: name };
  }
  const today = localDate(now, config.timezone);
  const monday = addDays(today, 1 - isoWeekday(today));
  const weekFrom = addDays(monday, -7);
  const weekTo = addDays(monday, -1);
  const from = weekFrom < addDays(today, -14) ? weekFrom : addDays(today, -14);
  const days = await dailyStats(sql, config.timezone, from, today, teamId, today);
  const todayStats = days[days.length - 1];
  const previous = days.filter((d) => d.date < today && d.expected > 0);
  const y = previous[previous.length - 1] ?? null;
  const week = days.filter((d) => d.date >= weekFrom && d.date <= weekTo && d.expected > 0);
  const lastWeek = days.filter((d) => d.date >= weekFrom && d.date <= weekTo);
  const average = week.length ? Math.round((week.reduce((sum, d) => sum + d.rate, 0) / week.length) * 10) / 10 : 0;
  const best = week.reduce<DayStats | null>((b, d) => (!b || d.rate > b.rate ? d : b), null);
  const worst = week.reduce<DayStats | null>((w, d) => (!w || d.rate < w.rate ? d : w), null);

  return {
    team_id: team?.team_id ?? null,
    team_name: team?.team_name ?? null,
    yesterday_summary: y
      ? `${Math.round(y.rate)}% attendance rate with ${people(y.present)} present`
      : 'No working day with expected employees in the last two weeks',
    last_week_summary: best
      ? `Average attendance rate of ${Math.round(average)}% with highest attendance on ${weekdayName(best.date)}`
      : 'No working days last week',
    yesterday: y
      ? {
          date: y.date, rate: y.rate, present: y.present, late: y.late, remote: y.remote, absent: y.absent, on_leave: y.on_leave, expected: y.expected,
          worked_hours: hoursOf(y.worked_minutes), overtime_hours: hoursOf(y.overtime_minutes),
          worked_minutes: y.worked_minutes, overtime_minutes: y.overtime_minutes,
        }
      : null,
    last_week: {
      from: weekFrom,
      to: weekTo,
      average_rate: average,
      best_day: best ? weekdayName(best.date) : null,
      best_date: best?.date ?? null,
      worst_day: worst ? weekdayName(worst.date) : null,
      worst_date: worst?.date ?? null,
      by_day: week.map((d) => ({ date: d.date, weekday: weekdayName(d.date), rate: d.rate, present: d.present, expected: d.expected })),
      worked_hours: hoursOf(sum(lastWeek, 'worked_minutes')),
      overtime_hours: hoursOf(sum(lastWeek, 'overtime_minutes')),
      weekly_overtime_hours: hoursOf(sum(lastWeek, 'weekly_overtime_minutes')),
      worked_minutes: sum(lastWeek, 'worked_minutes'),
      overtime_minutes: sum(lastWeek, 'overtime_minutes'),
      weekly_overtime_minutes: sum(lastWeek, 'weekly_overtime_minutes'),
    },
    today: {
      date: todayStats.date,
      rate: todayStats.rate,
      expected: todayStats.expected,
      present: todayStats.present,
      late: todayStats.late,
      remote: todayStats.remote,
      absent: todayStats.absent,
      on_leave: todayStats.on_leave,
      not_in_yet: todayStats.not_in_yet,
      checked_out: todayStats.checked_out,
    },
  };
}

export type SummaryBody = Awaited<ReturnType<typeof computeSummary>> & { computed_at: string };
export type ChangedSummary = { scope: string; team_id: number | null; body: SummaryBody };

const scopeOf = (teamId: number | null) => (teamId === null ? 'org' : `team:${teamId}`);

/** Computes and stores the summaries of the given scopes; returns those whose content changed (or are new). */
export async function refreshSummaries(sql: Sql, config: Pick<Config, 'timezone'>, teamIds: (number | null)[]): Promise<ChangedSummary[]> {
  const changed: ChangedSummary[] = [];
  for (const teamId of teamIds) {
    const body = await computeSummary(sql, config, teamId);
    const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const computed_at = new Date();
    const full = { ...body, computed_at: computed_at.toISOString() };
    // Only a new or different body is stored, so concurrent recomputes announce a change once.
    if (await summaries.put(sql, scopeOf(teamId), full, digest, computed_at)) changed.push({ scope: scopeOf(teamId), team_id: teamId, body: full });
  }
  return changed;
}

/** Every scope worth keeping a summary for: the organisation and each team. */
export async function allScopes(sql: Sql): Promise<(number | null)[]> {
  return [null, ...(await teams.ids(sql))];
}

/** The rate of each working day of the last `days` whole days (up to yesterday), for the board's chart. */
export async function dailyReport(ctx: Ctx, teamId: number | undefined, days: number) {
  const scopeTeam = figuresTeam(ctx.user!, teamId);
  const db = sqlOf(ctx.em);
  if (scopeTeam !== null && !(await teams.exists(db, scopeTeam))) throw notFound('Team', scopeTeam);
  // Whole days only: today is not over, so the chart ends yesterday.
  const today = localDate(new Date(), ctx.config.timezone);
  const to = addDays(today, -1);
  const from = addDays(today, -days);
  const stats = await dailyStats(db, ctx.config.timezone, from, to, scopeTeam, today);
  return {
    team_id: scopeTeam,
    from,
    to,
    days: stats
      .filter((d) => d.expected > 0)
      .map((d) => ({ date: d.date, weekday: weekdayName(d.date), rate: d.rate, present: d.present, expected: d.expected, late: d.late, absent: d.absent })),
  };
}

/**
 * The stored summary for the caller: admins the organisation (or `team_id`), managers their team.
 * Computed once when none is stored, or when the stored one is from an earlier day.
 */
export async function getSummary(ctx: Ctx, teamId: number | undefined): Promise<SummaryBody> {
  const scopeTeam = figuresTeam(ctx.user!, teamId);
  const db = sqlOf(ctx.em);
  const body = await summaries.get<SummaryBody>(db, scopeOf(scopeTeam));
  if (body && body.today?.date === localDate(new Date(), ctx.config.timezone)) return body;
  const [fresh] = await refreshSummaries(db, ctx.config, [scopeTeam]);
  if (fresh) return fresh.body;
  return (await summaries.get<SummaryBody>(db, scopeOf(scopeTeam)))!;
}
