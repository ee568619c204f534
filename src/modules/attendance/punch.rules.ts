/**
 * The punch rules, as pure functions: what a punch does to a day's record, when a shift crosses midnight, whether a
 * punch's time is plausible, and when an arrival is late. No database, no clock: tested from tables of cases.
 */
import { AppError } from '../../infra/errors.ts';
import { localParts, minutesOf } from '../../infra/time.ts';
import type { Source } from './attendance.entity.ts';
import { withoutMissingNote, type RecordRow } from './attendance.records.ts';

export type PunchIntent = 'auto' | 'check_in' | 'check_out';
import type { PunchAction } from './punch.entity.ts';

export type { PunchAction };

/** The employee behind a punch, with their team's schedule. */
export type Who = { employee_id: number; name: string; active: boolean; team_id: number | null; badge_id: string | null; workday_start: string | null; grace_minutes: number | null };

/** The schedule a lateness is measured against; employees without a team use the defaults. */
export type Schedule = { workday_start: string; grace_minutes: number };
export const DEFAULT_SCHEDULE: Schedule = { workday_start: '09:00', grace_minutes: 5 };

/** The schedule of a person's team, or the default one. */
export const scheduleOf = (who: Pick<Who, 'workday_start' | 'grace_minutes'>): Schedule =>
  who.workday_start ? { workday_start: who.workday_start, grace_minutes: who.grace_minutes ?? 0 } : DEFAULT_SCHEDULE;

/** Present, or Late when the first punch comes after start + grace (local time). */
export function arrivalStatus(firstPunch: Date, schedule: Schedule, tz: string): 'Present' | 'Late' {
  const local = localParts(firstPunch, tz).minutes;
  return local > minutesOf(schedule.workday_start) + schedule.grace_minutes ? 'Late' : 'Present';
}

/** A checked punch, ready to be decided. */
export type Decidable = {
  who: Who;
  at: Date;
  now: Date;
  day: string;
  tz: string;
  schedule: Schedule;
  intent: PunchIntent;
  source: Source;
  /** A punch this soon after an open check-in of the day before closes it (a shift across midnight). */
  maxShiftMs: number;
};

const notCheckedIn = () => new AppError(409, 'not_checked_in', 'There is no check-in to close today');

/**
 * The punch rule, on one record: the first punch of the day checks in (Present, or Late after start + grace);
 * later ones set the check-out (the latest wins); one that happened before the known check-in (an offline kiosk
 * catching up) becomes the check-in. A check-out clears the missing-check-out flag and its note.
 */
export function decide(current: RecordRow | null, p: Decidable): { action: PunchAction; next: RecordRow } {
  if (!current) {
    if (p.intent === 'check_out') throw notCheckedIn();
    return {
      action: 'check_in',
      next: {
        record_id: 0,
        employee_id: p.who.employee_id,
        team_id: p.who.team_id,
        attendance_date: p.day,
        status: arrivalStatus(p.at, p.schedule, p.tz),
        check_in_time: p.at,
        check_out_time: null,
        notes: null,
        source: p.source,
        missing_check_out: false,
        created_at: p.now,
        updated_at: p.now,
      },
    };
  }
  const checkIn = current.check_in_time ? new Date(current.check_in_time) : null;
  const checkOut = current.check_out_time ? new Date(current.check_out_time) : null;
  let action: PunchAction;
  let status = current.status;
  let cin: Date | null;
  let cout: Date | null;
  if (!checkIn) {
    if (p.intent === 'check_out') throw notCheckedIn();
    // A record made by hand or by the end-of-day rule (Absent) gets its arrival now.
    if (current.status === 'Absent') status = arrivalStatus(p.at, p.schedule, p.tz);
    action = 'check_in';
    cin = p.at;
    cout = checkOut;
  } else if (p.intent === 'check_in') {
    throw new AppError(409, 'already_checked_in', `Already checked in today at ${checkIn.toISOString()}; use check-out`);
  } else if (p.at < checkIn) {
    if (current.status === 'Present' || current.status === 'Late') status = arrivalStatus(p.at, p.schedule, p.tz);
    action = 'check_in';
    cin = p.at;
    cout = checkOut ?? checkIn;
  } else {
    action = 'check_out';
    cin = checkIn;
    cout = checkOut && checkOut > p.at ? checkOut : p.at;
  }
  const closing = cout !== null && Boolean(current.missing_check_out);
  return {
    action,
    next: {
      ...current,
      status,
      check_in_time: cin,
      check_out_time: cout,
      missing_check_out: Boolean(current.missing_check_out) && cout === null,
      notes: closing ? withoutMissingNote(current.notes) : current.notes,
      updated_at: p.now,
    },
  };
}

/** Yesterday's record is still open (checked in, not out) and this punch comes within a shift's length of it. */
export function closesNightShift(yesterday: RecordRow | null, p: Pick<Decidable, 'at' | 'intent' | 'maxShiftMs'>): boolean {
  if (!yesterday?.check_in_time || yesterday.check_out_time || p.intent === 'check_in') return false;
  const since = p.at.getTime() - new Date(yesterday.check_in_time).getTime();
  return since > 0 && since <= p.maxShiftMs;
}

/** Refuses a punch too far in the future (device clocks drift) or too old (beyond an offline queue's reach). */
export function assertPlausibleTime(p: { at: Date; now: Date }, limits: { maxSkewMs: number; maxAgeMs: number }) {
  if (p.at.getTime() > p.now.getTime() + limits.maxSkewMs) {
    throw new AppError(422, 'occurred_in_future', 'occurred_at is in the future; check the device clock');
  }
  if (p.at.getTime() < p.now.getTime() - limits.maxAgeMs) {
    throw new AppError(422, 'occurred_too_old', `occurred_at is older than ${Math.round(limits.maxAgeMs / 3600_000)} hours; ask an admin to enter it`);
  }
}
