import * as v from 'valibot';
import { Id, IdString, IsoDate, NonEmpty, Pagination } from '../../infra/schemas.ts';
import { AttendanceOut, checkOrder, Intervals, Status, TimeInput, type TimeValue } from './attendance.schema.ts';
import { CORRECTION_STATUSES } from './correction.entity.ts';

/** What a correction asks to change; the times as PUT /attendance/{record_id} takes them. */
const changeEntries = {
  check_in_time: v.optional(v.pipe(TimeInput('check_in_time'), v.description('The first arrival: an ISO 8601 instant, or a local time HH:MM[:SS] on attendance_date in the team’s zone.'))),
  check_out_time: v.optional(v.pipe(TimeInput('check_out_time'), v.description('The last departure (a local time at or before the check-in is the next day: a night shift).'))),
  intervals: v.optional(v.pipe(Intervals, v.description('The whole day’s stays instead of check_in_time / check_out_time (breaks).'))),
  status: v.optional(v.pipe(Status, v.description('The record status asked for (Present, Late, Absent, Remote, On Leave, Half Day).'))),
};

const askedSomething = (r: { check_in_time?: unknown; check_out_time?: unknown; intervals?: unknown; status?: unknown }) =>
  r.check_in_time !== undefined || r.check_out_time !== undefined || r.intervals !== undefined || r.status !== undefined;

export const CorrectionCreate = v.pipe(
  v.object({
    attendance_date: v.pipe(IsoDate('attendance_date'), v.description('The day to correct (the record’s local date); not in the future.')),
    employee_id: v.optional(v.pipe(Id('employee_id'), v.description('Whose day (default: the caller). Employees: only themselves.'))),
    ...changeEntries,
    reason: v.pipe(NonEmpty('reason', 500), v.description('Why the day is wrong (shown to the approver).')),
  }),
  v.forward(v.check((r) => checkOrder(r), 'check_out_time must not be before check_in_time'), ['check_out_time']),
  v.check((r) => askedSomething(r), 'give at least one of check_in_time, check_out_time, intervals or status'),
);

/** A request's changes as stored (times as given: ISO instants or local HH:MM:SS), read back for the approval. */
export const StoredChanges = v.object(changeEntries);

export type CorrectionCreateInput = v.InferOutput<typeof CorrectionCreate>;
export type CorrectionChanges = v.InferOutput<typeof StoredChanges>;

/** The stored form of a change: instants in UTC ISO 8601, local times as HH:MM:SS. */
export type StoredTime = string;
export type StoredChangesJson = {
  check_in_time?: StoredTime;
  check_out_time?: StoredTime;
  intervals?: { check_in_time: StoredTime; check_out_time: StoredTime | null }[];
  status?: string;
};

const stored = (t: TimeValue): StoredTime => (t instanceof Date ? t.toISOString() : t.local);

/** The changes of a request, as kept in `changes` (and read back with StoredChanges). */
export function storedChanges(input: CorrectionChanges): StoredChangesJson {
  const out: StoredChangesJson = {};
  if (input.check_in_time !== undefined) out.check_in_time = stored(input.check_in_time);
  if (input.check_out_time !== undefined) out.check_out_time = stored(input.check_out_time);
  if (input.intervals !== undefined) {
    out.intervals = input.intervals.map((i) => ({ check_in_time: stored(i.check_in_time), check_out_time: i.check_out_time === null ? null : stored(i.check_out_time) }));
  }
  if (input.status !== undefined) out.status = input.status;
  return out;
}

const Comment = v.pipe(
  v.string('comment must be a string'),
  v.trim(),
  v.maxLength(1000, 'comment must be at most 1000 characters'),
  v.transform((s) => (s === '' ? null : s)),
);
export const ResolveBody = v.object({
  comment: v.optional(v.pipe(v.nullable(Comment), v.description('For the requester: why, or what was changed (at most 1000 characters).')), null),
});

export const CorrectionParams = v.object({ correction_id: IdString('correction_id') });

export const CorrectionListQuery = v.object({
  ...Pagination,
  status: v.optional(v.picklist(CORRECTION_STATUSES, `status must be one of: ${CORRECTION_STATUSES.join(', ')}`)),
  team_id: v.optional(IdString('team_id')),
  employee_id: v.optional(IdString('employee_id')),
  date_from: v.optional(IsoDate('date_from')),
  date_to: v.optional(IsoDate('date_to')),
});
export type CorrectionListInput = v.InferOutput<typeof CorrectionListQuery>;

const Iso = v.pipe(v.string(), v.isoTimestamp());
const AskedTime = (what: string) =>
  v.pipe(v.nullable(v.string()), v.description(`${what} as asked (an ISO 8601 instant, or a local time HH:MM:SS on attendance_date in the team’s zone); null: not asked.`));

export const CorrectionOut = v.object({
  correction_id: v.number(),
  employee_id: v.number(),
  employee_name: v.string(),
  team_id: v.pipe(v.nullable(v.number()), v.description('The person’s team now (its managers decide).')),
  attendance_date: v.pipe(v.string(), v.isoDate()),
  record_id: v.pipe(v.nullable(v.number()), v.description('The day’s record when asked (once approved: the record changed or created); null: none.')),
  check_in_time: AskedTime('The first arrival'),
  check_out_time: AskedTime('The last departure'),
  intervals: v.pipe(v.nullable(v.array(v.object({ check_in_time: v.string(), check_out_time: v.nullable(v.string()) }))), v.description('The day’s stays as asked; null: not asked.')),
  status: v.pipe(v.picklist(CORRECTION_STATUSES), v.description('The request’s state: pending, then approved, rejected or cancelled.')),
  requested_status: v.pipe(v.nullable(Status), v.description('The record status asked for; null: not asked.')),
  reason: v.string(),
  requested_by: v.nullable(v.number()),
  requested_by_name: v.nullable(v.string()),
  comment: v.pipe(v.nullable(v.string()), v.description('The approver’s comment.')),
  resolved_by: v.nullable(v.number()),
  resolved_by_name: v.nullable(v.string()),
  resolved_at: v.nullable(Iso),
  created_at: Iso,
  updated_at: Iso,
  current: v.pipe(v.nullable(AttendanceOut), v.description('The day’s record as it is now (null: none).')),
});
