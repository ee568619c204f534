import * as v from 'valibot';
import { Id, IdString, Instant, IsoDate, Pagination } from '../../infra/schemas.ts';
import { SOURCES, STATUSES } from './attendance.entity.ts';

export const Status = v.picklist(STATUSES, `status must be one of: ${STATUSES.join(', ')}`);
const Notes = v.nullable(v.pipe(v.string('notes must be a string'), v.maxLength(2000, 'notes must be at most 2000 characters')));

/** A time of day on the record's date, in its team's zone ('09:00' or '09:00:00'), as the seed's model writes times. */
export type LocalTime = { local: string };
const LocalTimeOfDay = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, `${name} must be an ISO 8601 date-time with an offset, or a local time HH:MM[:SS]`),
    v.transform((s): LocalTime => ({ local: s.length === 5 ? `${s}:00` : s })),
  );
/** An instant (ISO 8601 with an offset), or a local time on the record's date. */
export const TimeInput = (name: string) => v.union([Instant(name), LocalTimeOfDay(name)], `${name} must be an ISO 8601 date-time with an offset, or a local time HH:MM[:SS]`);
export type TimeValue = Date | LocalTime;

export const checkOrder = (r: { check_in_time?: TimeValue | null; check_out_time?: TimeValue | null }) =>
  !(r.check_in_time instanceof Date) || !(r.check_out_time instanceof Date) || r.check_out_time >= r.check_in_time;

const IntervalIn = v.object({
  check_in_time: TimeInput('check_in_time'),
  check_out_time: v.optional(v.nullable(TimeInput('check_out_time')), null),
});
/** The day's stays, replacing the record's (a correction of breaks): in time order, not overlapping; only the last may be open. */
export const Intervals = v.pipe(v.array(IntervalIn, 'intervals must be a list of { check_in_time, check_out_time }'), v.maxLength(50, 'at most 50 intervals'));

export const AttendanceCreate = v.pipe(
  v.object({
    employee_id: Id('employee_id'),
    attendance_date: IsoDate('attendance_date'),
    // Left out: Present or Late, as the first arrival and the plan decide (as a punch would).
    status: v.optional(Status),
    check_in_time: v.optional(v.nullable(TimeInput('check_in_time'))),
    check_out_time: v.optional(v.nullable(TimeInput('check_out_time'))),
    intervals: v.optional(Intervals),
    notes: v.optional(Notes, null),
    source: v.optional(v.picklist(SOURCES), 'api'),
  }),
  v.forward(v.check((r) => checkOrder(r), 'check_out_time must not be before check_in_time'), ['check_out_time']),
);

export const AttendanceUpdate = v.pipe(
  v.partial(
    v.object({
      attendance_date: IsoDate('attendance_date'),
      status: Status,
      check_in_time: v.nullable(TimeInput('check_in_time')),
      check_out_time: v.nullable(TimeInput('check_out_time')),
      intervals: Intervals,
      notes: Notes,
    }),
  ),
  v.forward(v.check((r) => checkOrder(r), 'check_out_time must not be before check_in_time'), ['check_out_time']),
);

const Iso = v.pipe(v.string(), v.isoTimestamp());
const Minutes = (what: string) => v.pipe(v.number(), v.description(what));

export const IntervalOut = v.object({
  check_in_time: Iso,
  check_out_time: v.nullable(Iso),
  auto_closed: v.optional(v.pipe(v.boolean(), v.description('Closed at the shift’s end by the end-of-day rule (no real check-out): to correct.'))),
});

export const AttendanceOut = v.object({
  record_id: v.number(),
  employee_id: v.number(),
  team_id: v.nullable(v.number()),
  attendance_date: v.pipe(v.string(), v.isoDate(), v.description('Local date in `timezone`; a night shift is dated the day it starts.')),
  timezone: v.pipe(v.string(), v.description('The IANA zone of the date and of the shift (the team’s, or TIMEZONE).')),
  status: Status,
  check_in_time: v.pipe(v.nullable(Iso), v.description('First in.')),
  check_out_time: v.pipe(v.nullable(Iso), v.description('Last out (null while in).')),
  intervals: v.array(IntervalOut),
  presence: v.picklist(['in', 'out']),
  worked_minutes: Minutes('The closed intervals, in minutes.'),
  break_minutes: Minutes('The gaps between intervals.'),
  overtime_minutes: Minutes('Worked beyond the day’s planned minutes (all of it on a day off or a holiday).'),
  weekly_overtime_minutes: Minutes('This day’s part of the minutes beyond the team’s weekly_hours in its ISO week.'),
  planned_minutes: v.pipe(v.nullable(v.number()), v.description('The shift’s length minus its break (null: no shift that day).')),
  left_early: v.pipe(v.boolean(), v.description('Out for the day before the shift’s end.')),
  shift_start: v.nullable(Iso),
  shift_end: v.nullable(Iso),
  schedule_id: v.pipe(v.nullable(v.number()), v.description('The schedule that decided the record (null: the standard week).')),
  schedule_version: v.nullable(v.number()),
  auto_closed: v.boolean(),
  notes: v.nullable(v.string()),
  source: v.picklist(SOURCES),
  missing_check_out: v.pipe(v.boolean(), v.description('Checked in but never checked out (flagged by the end-of-day rule).')),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
});

const dateFilters = {
  date_from: v.optional(IsoDate('date_from')),
  date_to: v.optional(IsoDate('date_to')),
  status: v.optional(Status),
};

export const AttendanceListQuery = v.object({
  ...Pagination,
  ...dateFilters,
  employee_id: v.optional(IdString('employee_id')),
  team_id: v.optional(IdString('team_id')),
});
export const DateRangeQuery = v.object({ ...Pagination, ...dateFilters });

export const RecordParams = v.object({ record_id: IdString('record_id') });
export const EmployeeParams = v.object({ employee_id: IdString('employee_id') });
export const TeamParams = v.object({ team_id: IdString('team_id') });

const ClientEventId = v.pipe(
  v.string('client_event_id must be a string'),
  v.minLength(1, 'client_event_id must not be empty'),
  v.maxLength(100, 'client_event_id must be at most 100 characters'),
  v.regex(/^[\x21-\x7e]+$/, 'client_event_id must be printable ASCII without spaces'),
);

/** A punch, from REST or a socket: who (employee_id or badge_id), when, and its idempotency key. */
export const PunchEntries = {
  employee_id: v.optional(Id('employee_id')),
  // A badge read as `b100015 ` is B100015: trimmed and upper-cased, as employees' badges are stored.
  badge_id: v.optional(v.pipe(v.string('badge_id must be a string'), v.trim(), v.minLength(1, 'badge_id must not be empty'), v.maxLength(64, 'badge_id is too long'), v.toUpperCase())),
  occurred_at: v.optional(Instant('occurred_at')),
  client_event_id: v.optional(ClientEventId),
};

const oneOf = (p: { employee_id?: number; badge_id?: string }) => (p.employee_id === undefined) !== (p.badge_id === undefined);
export const PunchBody = v.pipe(
  v.object(PunchEntries),
  v.check(oneOf, 'give exactly one of employee_id or badge_id'),
);

export const PunchOut = v.object({
  action: v.pipe(v.picklist(['check_in', 'check_out', 'ignored']), v.description('`ignored`: a double scan within PUNCH_DEBOUNCE_SECONDS (kept, changes nothing).')),
  duplicate: v.boolean(),
  record: AttendanceOut,
  employee: v.object({ employee_id: v.number(), name: v.string() }),
});

export type AttendanceCreateInput = v.InferOutput<typeof AttendanceCreate>;
export type AttendanceUpdateInput = v.InferOutput<typeof AttendanceUpdate>;
export type AttendanceListInput = v.InferOutput<typeof AttendanceListQuery>;
export type PunchInput = v.InferOutput<typeof PunchBody>;
