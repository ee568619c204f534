/**
 * The working-time rules, as pure functions: which shift a person is expected to work on a local day (their
 * assignment or their team's schedule, the version in force that day, the week of a rotation), holidays, and the
 * instants a shift starts and ends in a time zone (a shift whose end is not after its start ends the next day).
 * No database, no clock: tested from tables of cases.
 */
import { addDays, isoWeekday, minutesOf, zonedTimeToInstant } from '../../infra/time.ts';

/** One shift of a schedule: on `weekday` (1 = Monday … 7 = Sunday) of week `week` of the cycle. */
export type Shift = { week: number; weekday: number; start: string; end: string; break_minutes: number };

/** A schedule as it stood from `valid_from` on (each change is a new version; the highest version in force wins). */
export type ScheduleVersion = {
  schedule_id: number | null;
  version: number;
  valid_from: string;
  cycle_weeks: number;
  /** The first day of week 1 of the cycle is the Monday of this date's week. */
  starts_on: string;
  grace_minutes: number;
  shifts: Shift[];
};

/** A person's assignment to a schedule for a period (valid_to included; null: open-ended). */
export type Assignment = { schedule_id: number; valid_from: string; valid_to: string | null };

export type Holiday = { date: string; name: string; team_id: number | null };

/** Who is planned, and where: what a day's plan needs to know about a person. */
export type PlanSubject = {
  employee_id: number;
  team_id: number | null;
  /** The team's default schedule (null: the organisation's standard week). */
  team_schedule_id: number | null;
  assignments: Assignment[];
};

/**
 * The organisation's standard week: Monday to Friday, 09:00–17:00, 5 minutes' grace. It applies to teams without a
 * schedule of their own and to people without a team; the latter are never expected (nobody is marked absent).
 */
export const STANDARD_WEEK: ScheduleVersion = {
  schedule_id: null,
  version: 0,
  valid_from: '1900-01-01',
  cycle_weeks: 1,
  starts_on: '2024-01-01',
  grace_minutes: 5,
  shifts: [1, 2, 3, 4, 5].map((weekday) => ({ week: 1, weekday, start: '09:00', end: '17:00', break_minutes: 0 })),
};

/** A day's plan for one person: what their schedule expects of them that day. */
export type DayPlan = {
  date: string;
  tz: string;
  /** Expected at work: a shift that day, no holiday, and on a team. */
  expected: boolean;
  holiday: string | null;
  schedule_id: number | null;
  schedule_version: number;
  /** The first shift's start and the last shift's end (null when no shift that day). */
  start: Date | null;
  end: Date | null;
  /** Shift lengths minus their breaks, in minutes (0 when no shift). */
  planned_minutes: number;
  grace_minutes: number;
};

const DAY_MS = 86_400_000;

/** The Monday (ISO week start) of a date. */
export const mondayOf = (date: string) => addDays(date, 1 - isoWeekday(date));

/** Week of the cycle (1 … cycle_weeks) that `date` falls in, counted from the Monday of `starts_on`. */
export function weekOfCycle(date: string, version: Pick<ScheduleVersion, 'cycle_weeks' | 'starts_on'>): number {
  const cycle = Math.max(1, version.cycle_weeks);
  if (cycle === 1) return 1;
  const weeks = Math.round((Date.parse(`${mondayOf(date)}T00:00:00Z`) - Date.parse(`${mondayOf(version.starts_on)}T00:00:00Z`)) / (7 * DAY_MS));
  return (((weeks % cycle) + cycle) % cycle) + 1;
}

/** The version of a schedule in force on `date`: the highest version whose `valid_from` has come. */
export function versionOn(versions: readonly ScheduleVersion[], date: string): ScheduleVersion | null {
  let best: ScheduleVersion | null = null;
  for (const v of versions) if (v.valid_from <= date && (!best || v.version > best.version)) best = v;
  return best;
}

/** The schedule a person follows on `date`: an assignment covering it (the latest started), else their team's. */
export function scheduleIdOn(subject: PlanSubject, date: string): number | null {
  let chosen: Assignment | null = null;
  for (const a of subject.assignments) {
    if (a.valid_from <= date && (a.valid_to === null || a.valid_to >= date) && (!chosen || a.valid_from >= chosen.valid_from)) chosen = a;
  }
  return chosen ? chosen.schedule_id : subject.team_schedule_id;
}

/** The holiday of `date` that applies to a team (an organisation-wide one, or the team's own), if any. */
export function holidayOn(holidays: readonly Holiday[], date: string, teamId: number | null): Holiday | null {
  return holidays.find((h) => h.date === date && (h.team_id === null || h.team_id === teamId)) ?? null;
}

/** The shifts of a version on `date` (its weekday, in its week of the cycle), earliest first. */
export function shiftsOn(version: ScheduleVersion, date: string): Shift[] {
  const week = weekOfCycle(date, version);
  const weekday = isoWeekday(date);
  return version.shifts.filter((s) => s.week === week && s.weekday === weekday).sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
}

/** Minutes a shift lasts on the clock (an end not after the start is the next day), before its break. */
export const shiftSpanMinutes = (s: Pick<Shift, 'start' | 'end'>) => {
  const span = minutesOf(s.end) - minutesOf(s.start);
  return span > 0 ? span : span + 24 * 60;
};

/** The instants a shift of `date` starts and ends in `tz` (a DST change inside it changes its real length). */
export function shiftInstants(date: string, s: Pick<Shift, 'start' | 'end'>, tz: string): { start: Date; end: Date } {
  const start = zonedTimeToInstant(date, s.start, tz);
  const endDate = minutesOf(s.end) > minutesOf(s.start) ? date : addDays(date, 1);
  return { start, end: zonedTimeToInstant(endDate, s.end, tz) };
}

/**
 * What a person's schedule expects of them on a local day: the shift(s), the planned minutes, the grace, whether
 * they are expected at all (a holiday, or no shift that day, or no team: not expected).
 * @example planDay({ date: '2026-12-07', tz: 'Europe/Paris', subject, versions: new Map([[3, [nights]]]), holidays: [] })
 */
export function planDay(q: {
  date: string;
  tz: string;
  subject: PlanSubject;
  /** Every version of the schedules the subject may follow, by schedule id. */
  versions: ReadonlyMap<number, readonly ScheduleVersion[]>;
  holidays: readonly Holiday[];
}): DayPlan {
  const scheduleId = scheduleIdOn(q.subject, q.date);
  const version = (scheduleId !== null ? versionOn(q.versions.get(scheduleId) ?? [], q.date) : null) ?? STANDARD_WEEK;
  const holiday = holidayOn(q.holidays, q.date, q.subject.team_id);
  const shifts = shiftsOn(version, q.date);
  let start: Date | null = null;
  let end: Date | null = null;
  let planned = 0;
  for (const s of shifts) {
    const at = shiftInstants(q.date, s, q.tz);
    if (!start || at.start < start) start = at.start;
    if (!end || at.end > end) end = at.end;
    planned += Math.max(0, Math.round((at.end.getTime() - at.start.getTime()) / 60_000) - s.break_minutes);
  }
  return {
    date: q.date,
    tz: q.tz,
    expected: shifts.length > 0 && holiday === null && q.subject.team_id !== null,
    holiday: holiday?.name ?? null,
    schedule_id: version.schedule_id,
    schedule_version: version.version,
    start,
    end,
    planned_minutes: shifts.length ? planned : 0,
    grace_minutes: version.grace_minutes,
  };
}

/** The moment after which someone not yet in is late (shift start + grace), or null when not expected. */
export const lateAfter = (plan: Pick<DayPlan, 'expected' | 'start' | 'grace_minutes'>) =>
  plan.expected && plan.start ? new Date(plan.start.getTime() + plan.grace_minutes * 60_000) : null;
