import * as v from 'valibot';
import { Id, IdString, Instant, IsoDate, Pagination } from '../../infra/schemas.ts';
import { SOURCES, STATUSES } from './attendance.entity.ts';

const Status = v.picklist(STATUSES, `status must be one of: ${STATUSES.join(', ')}`);
const Notes = v.nullable(v.pipe(v.string('notes must be a string'), v.maxLength(2000, 'notes must be at most 2000 characters')));

const checkOrder = (r: { check_in_time?: Date | null; check_out_time?: Date | null }) =>
  !r.check_in_time || !r.check_out_time || r.check_out_time >= r.check_in_time;

export const AttendanceCreate = v.pipe(
  v.object({
    employee_id: Id('employee_id'),
    attendance_date: IsoDate('attendance_date'),
    status: Status,
    check_in_time: v.optional(v.nullable(Instant('check_in_time')), null),
    check_out_time: v.optional(v.nullable(Instant('check_out_time')), null),
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
      check_in_time: v.nullable(Instant('check_in_time')),
      check_out_time: v.nullable(Instant('check_out_time')),
      notes: Notes,
    }),
  ),
  v.forward(v.check((r) => checkOrder(r), 'check_out_time must not be before check_in_time'), ['check_out_time']),
);

export const AttendanceOut = v.object({
  record_id: v.number(),
  employee_id: v.number(),
  team_id: v.nullable(v.number()),
  attendance_date: v.pipe(v.string(), v.isoDate()),
  status: Status,
  check_in_time: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  check_out_time: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
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
  badge_id: v.optional(v.pipe(v.string('badge_id must be a string'), v.trim(), v.minLength(1, 'badge_id must not be empty'), v.maxLength(64, 'badge_id is too long'))),
  occurred_at: v.optional(Instant('occurred_at')),
  client_event_id: v.optional(ClientEventId),
};

const oneOf = (p: { employee_id?: number; badge_id?: string }) => (p.employee_id === undefined) !== (p.badge_id === undefined);
export const PunchBody = v.pipe(
  v.object(PunchEntries),
  v.check(oneOf, 'give exactly one of employee_id or badge_id'),
);

export const PunchOut = v.object({
  action: v.picklist(['check_in', 'check_out']),
  duplicate: v.boolean(),
  record: AttendanceOut,
  employee: v.object({ employee_id: v.number(), name: v.string() }),
});

export type AttendanceCreateInput = v.InferOutput<typeof AttendanceCreate>;
export type AttendanceUpdateInput = v.InferOutput<typeof AttendanceUpdate>;
export type AttendanceListInput = v.InferOutput<typeof AttendanceListQuery>;
export type PunchInput = v.InferOutput<typeof PunchBody>;
