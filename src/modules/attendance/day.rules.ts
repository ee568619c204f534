/**
 * The working day as a sequence of intervals, as pure functions: how punches in time order build the intervals (a
 * punch toggles in and out, explicit check-ins and check-outs are refused when they contradict the state, double
 * scans are ignored), and what a day's intervals give against its plan: first in, last out, minutes worked, breaks,
 * overtime, early leave, and Present or Late. No database, no clock: tested from tables of cases.
 */
import { AppError } from '../../infra/errors.ts';
import { lateAfter, type DayPlan } from '../schedules/index.ts';
import type { Status } from './attendance.entity.ts';

/** One stay at work: in, and out (null while still in). `auto_closed`: closed by the missing-check-out rule. */
export type Interval = { check_in_time: string; check_out_time: string | null; auto_closed?: boolean };

import type { PunchAction } from './punch.entity.ts';

export type { PunchAction };
export type PunchIntent = 'auto' | 'check_in' | 'check_out';

/** A punch as the day's fold sees it. */
export type DayPunch = { at: Date; intent: PunchIntent };

/** The fold's state: the intervals so far and the time of the last punch that counted (double scans are measured from it). */
export type DayState = { intervals: Interval[]; lastCounted: Date | null };

export const isIn = (intervals: readonly Interval[]) => intervals.length > 0 && intervals[intervals.length - 1].check_out_time === null;

/** The time of the last punch that counted: the last interval's end, or its start while still in. */
export function lastCountedOf(intervals: readonly Interval[]): Date | null {
  const last = intervals[intervals.length - 1];
  if (!last) return null;
  return new Date(last.check_out_time ?? last.check_in_time);
}

export const alreadyCheckedIn = (since: string) => new AppError(409, 'already_checked_in', `Already checked in since ${since}; check out first`);
export const notCheckedIn = () => new AppError(409, 'not_checked_in', 'Not checked in at that time: there is nothing to check out of');

/**
 * One punch applied to a day, in time order. A badge read (`auto`) within `debounceMs` of the last punch that
 * counted is a double scan: `ignored`, nothing changes. Otherwise `auto` toggles (in if out, out if in). Explicit
 * punches say what they mean and are never taken for double scans (a check-out right after a check-in counts);
 * `check_in` while in and `check_out` while out contradict the state: `strict` (a punch arriving now) refuses them
 * with 409, a rebuild (the punches were stored, a late one was slotted in before them) ignores them.
 */
export function step(state: DayState, p: DayPunch, opts: { debounceMs: number; strict: boolean }): { action: PunchAction; state: DayState } {
  const t = p.at.getTime();
  const inside = isIn(state.intervals);
  if (p.intent === 'auto' && state.lastCounted && t >= state.lastCounted.getTime() && t - state.lastCounted.getTime() < opts.debounceMs) return { action: 'ignored', state };
  const intent = p.intent === 'auto' ? (inside ? 'check_out' : 'check_in') : p.intent;
  if (intent === 'check_in' && inside) {
    if (opts.strict) throw alreadyCheckedIn(state.intervals[state.intervals.length - 1].check_in_time);
    return { action: 'ignored', state };
  }
  if (intent === 'check_out' && !inside) {
    if (opts.strict) throw notCheckedIn();
    return { action: 'ignored', state };
  }
  const iso = p.at.toISOString();
  const intervals =
    intent === 'check_in'
      ? [...state.intervals, { check_in_time: iso, check_out_time: null }]
      : [...state.intervals.slice(0, -1), { ...state.intervals[state.intervals.length - 1], check_out_time: iso }];
  return { action: intent, state: { intervals, lastCounted: p.at } };
}

/**
 * A day rebuilt from all its punches in time order (ties: in the order given), so the result does not depend on the
 * order they arrived in. `actions[i]` is what punch i did. `strictIndex`: that punch (the one arriving now) is
 * refused rather than ignored when it contradicts the state at its time.
 */
export function rebuild(punches: readonly DayPunch[], opts: { debounceMs: number; strictIndex?: number }): { intervals: Interval[]; actions: PunchAction[] } {
  const order = punches.map((p, i) => i).sort((a, b) => punches[a].at.getTime() - punches[b].at.getTime() || a - b);
  let state: DayState = { intervals: [], lastCounted: null };
  const actions: PunchAction[] = new Array(punches.length);
  for (const i of order) {
    const r = step(state, punches[i], { debounceMs: opts.debounceMs, strict: i === opts.strictIndex });
    actions[i] = r.action;
    state = r.state;
  }
  return { intervals: state.intervals, actions };
}

/** The punches a set of intervals stands for (a corrected day: the intervals are the truth, not the punches). */
export const punchesOfIntervals = (intervals: readonly Interval[]): DayPunch[] =>
  intervals.flatMap((i) => [
    { at: new Date(i.check_in_time), intent: 'check_in' as const },
    ...(i.check_out_time ? [{ at: new Date(i.check_out_time), intent: 'check_out' as const }] : []),
  ]);

/** The intervals as punches see them: an interval the missing-check-out rule closed is still open to a real punch. */
export function reopenAutoClosed(intervals: readonly Interval[]): Interval[] {
  const last = intervals[intervals.length - 1];
  if (!last?.auto_closed) return [...intervals];
  return [...intervals.slice(0, -1), { check_in_time: last.check_in_time, check_out_time: null }];
}

const HOUR = 3_600_000;
/** How long after a shift's planned end a punch still belongs to it (overtime, a late check-out). */
export const AFTER_SHIFT_MS = 4 * HOUR;

/**
 * Whether a punch on local day D belongs to the day before: a night shift (dated the day it starts) whose end, breaks
 * or late arrival fall after midnight. It does while yesterday's work is under way (still in, or already past
 * midnight), or when yesterday's shift ends after midnight, and the punch comes before the shift's end + 4 hours,
 * before the midpoint between that end and today's first shift, and within MAX_SHIFT_HOURS of yesterday's first
 * arrival. An explicit check-in never continues an open stay: it starts today.
 */
export function belongsToDayBefore(q: {
  at: Date;
  intent: PunchIntent;
  yesterday: readonly Interval[];
  yesterdayPlan: Pick<DayPlan, 'start' | 'end'>;
  todayPlan: Pick<DayPlan, 'start'>;
  /** Local midnight starting day D. */
  midnight: Date;
  maxShiftMs: number;
}): boolean {
  const t = q.at.getTime();
  const firstIn = q.yesterday.length ? Date.parse(q.yesterday[0].check_in_time) : null;
  const plannedEnd = q.yesterdayPlan.end?.getTime() ?? null;
  let limit: number;
  if (plannedEnd !== null) {
    limit = plannedEnd + AFTER_SHIFT_MS;
    if (q.todayPlan.start) limit = Math.min(limit, (plannedEnd + q.todayPlan.start.getTime()) / 2);
  } else if (firstIn !== null) {
    limit = firstIn + q.maxShiftMs;
  } else {
    return false;
  }
  if (firstIn !== null) limit = Math.min(limit, firstIn + q.maxShiftMs);
  if (t > limit) return false;
  const open = isIn(q.yesterday);
  if (open) return q.intent !== 'check_in';
  // Out: a return continues the night only before its planned end (a break), or without a plan shortly after a
  // last check-out past midnight; someone who went home at the end of the shift and comes back starts today.
  if (plannedEnd !== null) return plannedEnd > q.midnight.getTime() && t < plannedEnd;
  const lastOut = q.yesterday.length ? Date.parse(q.yesterday[q.yesterday.length - 1].check_out_time!) : null;
  return lastOut !== null && lastOut >= q.midnight.getTime() && t - lastOut <= RETURN_WITHOUT_PLAN_MS;
}

/** Without a plan, how soon after a check-out past midnight a punch still continues the night's stay. */
const RETURN_WITHOUT_PLAN_MS = HOUR;

/** Statuses a person set by hand (or leave): punches do not overrule them. */
const KEPT_STATUSES: ReadonlySet<Status> = new Set(['Remote', 'On Leave', 'Half Day']);

/** What a day's intervals come to. */
export type DayFigures = {
  check_in_time: string | null;
  check_out_time: string | null;
  worked_minutes: number;
  break_minutes: number;
  overtime_minutes: number;
  left_early: boolean;
  planned_minutes: number | null;
  status: Status;
};

const minutesBetween = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));

/**
 * The figures of a day: first in and last out (null while still in, as before intervals existed), minutes worked (the
 * closed intervals), breaks (the gaps between intervals), overtime (worked beyond the planned minutes; all of it on a
 * day off or a holiday), early leave (out for the day before the shift's end), and the status: Present or Late from
 * the first arrival against shift start + grace; a status set by hand (Remote, On Leave, Half Day) stays; an Absent
 * becomes Present or Late when the person turns up after all.
 */
export function figures(intervals: readonly Interval[], plan: DayPlan, current: Status | null): DayFigures {
  let worked = 0;
  let breaks = 0;
  for (let i = 0; i < intervals.length; i++) {
    const iv = intervals[i];
    if (iv.check_out_time) worked += minutesBetween(iv.check_in_time, iv.check_out_time);
    const prev = intervals[i - 1];
    if (prev?.check_out_time) breaks += minutesBetween(prev.check_out_time, iv.check_in_time);
  }
  const first = intervals[0] ?? null;
  const last = intervals[intervals.length - 1] ?? null;
  const out = last?.check_out_time ?? null;
  const working = plan.expected || (plan.start !== null && plan.holiday === null);
  const overtime = working && plan.planned_minutes > 0 ? Math.max(0, worked - plan.planned_minutes) : worked;
  const deadline = plan.holiday === null ? lateAfter({ ...plan, expected: plan.start !== null }) : null;
  let status: Status = current ?? 'Present';
  if (first && (current === null || current === 'Present' || current === 'Late' || current === 'Absent')) {
    status = deadline && Date.parse(first.check_in_time) > deadline.getTime() ? 'Late' : 'Present';
  }
  if (current && KEPT_STATUSES.has(current)) status = current;
  return {
    check_in_time: first?.check_in_time ?? null,
    check_out_time: out,
    worked_minutes: worked,
    break_minutes: breaks,
    overtime_minutes: overtime,
    left_early: Boolean(out && plan.holiday === null && plan.end && plan.start && Date.parse(out) < plan.end.getTime()),
    planned_minutes: plan.start && plan.holiday === null ? plan.planned_minutes : null,
    status,
  };
}

/**
 * A day's share of weekly overtime: the minutes of this day that take the ISO week past its limit, given the minutes
 * worked on the earlier days of that week.
 */
export function weeklyOvertime(workedBefore: number, worked: number, limitMinutes: number): number {
  return Math.max(0, workedBefore + worked - limitMinutes) - Math.max(0, workedBefore - limitMinutes);
}
