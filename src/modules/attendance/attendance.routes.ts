import * as v from 'valibot';
import { endpoint, listResponse, takeHeavySlot } from '../../infra/http.ts';
import { Id, IdString, IsoDate } from '../../infra/schemas.ts';
import { onSite, timesheet } from './attendance.reports.ts';
import { timesheetCsv, timesheetXlsx } from './timesheet.export.ts';
import { assertClosable } from './end-of-day.service.ts';
import { exportCsv } from './attendance.export.ts';
import { ctxOf } from '../../infra/request.ts';
import { seesOnlyThemselves } from '../auth/index.ts';
import {
  AttendanceCreate,
  AttendanceListQuery,
  AttendanceOut,
  AttendanceUpdate,
  DateRangeQuery,
  EmployeeParams,
  IntervalOut,
  PunchBody,
  PunchOut,
  RecordParams,
  TeamParams,
  type PunchInput,
} from './attendance.schema.ts';
import { createRecord, deleteRecord, getRecord, listEmployeeRecords, listRecords, listTeamRecords, updateRecord } from './attendance.service.ts';
import { punch, type PunchIntent } from './punch.service.ts';
import { correctionEndpoints } from './corrections.routes.ts';
import { changeFeedEndpoints } from './changes.routes.ts';

const tag = 'Attendance';
const everyone = ['admin', 'manager', 'employee'] as const;
const filters = 'Filters: `date_from`, `date_to` (inclusive, YYYY-MM-DD), `status`. Newest first.';

const punchEndpoint = (path: string, intent: PunchIntent, summary: string, description: string) =>
  endpoint(
    {
      method: 'post', path, tag: 'Check-in', summary, access: everyone, apiScope: 'punch', body: PunchBody, response: PunchOut,
      scope: 'Employees punch for themselves; managers also for their team; admins for anyone.', description,
    },
    async (c, { body }) => {
      const input = body as PunchInput;
      const ctx = ctxOf(c);
      const result = await punch(ctx, { ...input, source: seesOnlyThemselves(ctx.user!) ? 'web' : 'api', intent });
      return c.json(result);
    },
  );

const OnSiteOut = v.object({
  employee_id: v.number(), name: v.string(), team_id: v.nullable(v.number()), team_name: v.nullable(v.string()), record_id: v.number(),
  attendance_date: v.string(), timezone: v.string(), check_in_time: v.string(), first_check_in_time: v.string(),
});

const EndOfDayBody = v.object({ date: IsoDate('date') });
const EndOfDayOut = v.object({
  days: v.array(v.object({ date: v.string(), absent: v.number(), missing_check_out: v.number(), auto_closed: v.number() })),
});

/** Closing a day on demand, for example after an outage; runs as the same job as the schedule. */
const endOfDayEndpoint = endpoint(
  {
    method: 'post', path: '/attendance/end-of-day', apiScope: 'attendance:write', tag, summary: 'Close a past day (absences, missing check-outs)', access: ['admin'],
    body: EndOfDayBody, response: EndOfDayOut,
    description:
      'Marks everyone the schedules expected (a shift that day, no holiday) without a record Absent (source `system`); a stay ' +
      'still open once its shift is over is flagged (`missing_check_out`) or, with the team’s `missing_check_out: "close_at_shift_end"`, ' +
      'closed at the shift’s end and marked `auto_closed`. Idempotent: running a day again changes nothing. A day can be closed only ' +
      'after its cut-off (END_OF_DAY_TIME in TIMEZONE; each team’s in its own zone): 409 `day_not_over` before.',
  },
  async (c, { body }) => {
    const deps = c.get('deps');
    assertClosable(deps.config, body.date);
    const result = await deps.jobs.run('attendance:end-of-day', { date: body.date });
    return c.json({ days: result.days });
  },
);

const TimesheetQuery = v.pipe(
  v.object({
    date_from: IsoDate('date_from'),
    date_to: IsoDate('date_to'),
    team_id: v.optional(IdString('team_id')),
    employee_id: v.optional(IdString('employee_id')),
    format: v.optional(v.picklist(['json', 'csv', 'xlsx'], 'format must be json, csv or xlsx'), 'json'),
  }),
  v.forward(v.check((q) => q.date_to >= q.date_from, 'date_to must not be before date_from'), ['date_to']),
);
const TimesheetDay = v.object({
  date: v.string(), status: v.nullable(v.string()), intervals: v.array(IntervalOut), worked_minutes: v.number(), break_minutes: v.number(),
  overtime_minutes: v.number(), weekly_overtime_minutes: v.number(), planned_minutes: v.nullable(v.number()), late: v.boolean(), left_early: v.boolean(),
  missing_check_out: v.boolean(), record_id: v.nullable(v.number()),
});
const TimesheetOut = v.object({
  date_from: v.string(), date_to: v.string(), team_id: v.nullable(v.number()), employee_id: v.nullable(v.number()),
  employees: v.array(v.object({
    employee_id: v.number(), name: v.string(), team_id: v.nullable(v.number()), team_name: v.nullable(v.string()), timezone: v.string(),
    days: v.array(TimesheetDay),
    totals: v.object({
      days_worked: v.number(), worked_minutes: v.number(), break_minutes: v.number(), overtime_minutes: v.number(), weekly_overtime_minutes: v.number(),
      planned_minutes: v.number(), late_days: v.number(), left_early_days: v.number(), absent_days: v.number(),
    }),
  })),
});

const RecomputeBody = v.pipe(
  v.object({ date_from: IsoDate('date_from'), date_to: IsoDate('date_to'), team_id: v.optional(Id('team_id')), employee_id: v.optional(Id('employee_id')) }),
  v.forward(v.check((q) => q.date_to >= q.date_from, 'date_to must not be before date_from'), ['date_to']),
);

export const attendanceEndpoints = [
  endpoint(
    {
      method: 'get', path: '/reports/timesheet', apiScope: 'reports:read', tag: 'Reports', summary: 'Timesheet: hours, breaks and overtime per employee and day', access: everyone,
      query: TimesheetQuery, response: TimesheetOut, heavy: true, scope: 'The records GET /attendance/ would show the caller.',
      description:
        'Per employee and day of `date_from`…`date_to` (at most 366 days): the stays (`intervals`), minutes worked, breaks, overtime beyond the day’s plan and ' +
        'beyond the team’s weekly_hours, late, left early and status; an expected working day with no record shows as Absent. Totals per employee. ' +
        '`format=csv` or `format=xlsx` (payroll): a line per employee and day and a `total` line per employee, minutes and hours (worked, breaks, ' +
        'overtime) side by side, absences counted, local times in each employee’s zone, named on every line; the XLSX (streamed) adds a sheet of ' +
        'each employee’s totals for the period.',
    },
    async (c, { query }) => {
      const sheet = await timesheet(ctxOf(c), query);
      const name = `timesheet-${query.date_from}-${query.date_to}`;
      if (query.format === 'csv') {
        return c.body(timesheetCsv(sheet), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}.csv"` });
      }
      if (query.format === 'xlsx') {
        return c.body(timesheetXlsx(sheet), 200, {
          'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          'Content-Disposition': `attachment; filename="${name}.xlsx"`,
        });
      }
      return c.json(sheet);
    },
  ),
  endpoint(
    {
      method: 'post', path: '/attendance/recompute', apiScope: 'attendance:write', tag, summary: 'Recompute the figures of a period', access: ['admin'], body: RecomputeBody, status: 202,
      response: v.object({ queued: v.boolean() }),
      description:
        'Recomputes the records of `date_from`…`date_to` (of a team, a person, or everyone) against their schedules, in the background: planned minutes, ' +
        'lateness, early leave, overtime and weekly overtime. Schedule, assignment and holiday changes do this by themselves for the days they affect.',
    },
    async (c, { body }) => {
      const deps = c.get('deps');
      const change = { from: body.date_from, to: body.date_to, reason: 'requested', ...(body.employee_id ? { employee_ids: [body.employee_id] } : body.team_id ? { team_id: body.team_id } : { all: true }) };
      await deps.jobs.add('attendance:recompute', change);
      return c.json({ queued: true }, 202);
    },
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/', apiScope: 'attendance:read', tag, summary: 'List attendance records', access: everyone, query: AttendanceListQuery, response: AttendanceOut,
      list: true, scope: 'Employees see their own records; managers their team’s and their own.',
      description: `${filters} Also \`employee_id\` and \`team_id\`.`,
    },
    async (c, { query }) => listResponse(c, await listRecords(ctxOf(c), query)),
  ),
  endpoint(
    {
      method: 'post', path: '/attendance/', apiScope: 'attendance:write', tag, summary: 'Create an attendance record', access: ['admin', 'manager'], body: AttendanceCreate,
      response: AttendanceOut, status: 201, scope: 'Managers: employees of their own team.',
      description: 'One record per employee and day: a second one is 409 `duplicate_record`.',
    },
    async (c, { body }) => c.json(await createRecord(ctxOf(c), body), 201),
  ),
  punchEndpoint(
    '/attendance/check-in', 'check_in', 'Check in (a punch)',
    'Opens a stay (an interval) in today’s record (the local date in the team’s zone; a night shift’s record is dated the day it ' +
      'started): the first arrival is Present, or Late after the shift’s start + grace. After a check-out it opens a new stay. ' +
      'Refused while in: 409 `already_checked_in`. A punch within PUNCH_DEBOUNCE_SECONDS of the last one is kept as `action: "ignored"`. ' +
      'A repeated `client_event_id` returns the first result with `duplicate: true` (200) and writes nothing.',
  ),
  punchEndpoint(
    '/attendance/check-out', 'check_out', 'Check out (a punch)',
    'Closes the open stay. Refused while out (and for a check-out before the open stay began): 409 `not_checked_in`.',
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/on-site', apiScope: 'attendance:read', tag, summary: 'Who is on site now (roll call)', access: ['admin', 'manager'],
      query: v.object({ team_id: v.optional(IdString('team_id')) }), response: OnSiteOut, list: true,
      scope: 'Managers: their team. Admins: everyone, or one team with `team_id`.',
      description: 'Everyone whose last stay is still open, with `check_in_time` (when this stay began) and `first_check_in_time` (the day’s first arrival).',
    },
    async (c, { query }) => {
      const items = await onSite(ctxOf(c), query.team_id);
      return listResponse(c, { items, total: items.length });
    },
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/export.csv', apiScope: 'attendance:read', tag, summary: 'Export attendance records as CSV', access: everyone,
      query: v.object({ ...AttendanceListQuery.entries, skip: v.optional(v.string()), limit: v.optional(v.string()) }),
      scope: 'The same records GET /attendance/ would show the caller.',
      heavy: true,
      description:
        `${filters} Also \`employee_id\` and \`team_id\`. Oldest first, times in UTC and in TIMEZONE; at most 100,000 rows (more: 422 ` +
        '`too_many_rows`, before anything is sent). Streamed as it is read.',
    },
    async (c, { query }) => {
      const csv = await exportCsv(ctxOf(c), query, takeHeavySlot(c));
      const name = `attendance-${query.date_from ?? 'start'}-${query.date_to ?? 'end'}.csv`;
      return c.body(csv, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"` });
    },
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/employee/{employee_id}', apiScope: 'attendance:read', tag, summary: 'One employee’s attendance', access: everyone, params: EmployeeParams,
      query: DateRangeQuery, response: AttendanceOut, list: true, scope: 'Employees: themselves. Managers: their team and themselves.', description: filters,
    },
    async (c, { params, query }) => listResponse(c, await listEmployeeRecords(ctxOf(c), params.employee_id, query)),
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/team/{team_id}', apiScope: 'attendance:read', tag, summary: 'One team’s attendance', access: ['admin', 'manager'], params: TeamParams,
      query: DateRangeQuery, response: AttendanceOut, list: true, scope: 'Managers: their own team.', description: filters,
    },
    async (c, { params, query }) => listResponse(c, await listTeamRecords(ctxOf(c), params.team_id, query)),
  ),
  // Before `/attendance/{record_id}`: `corrections` and `changes` are no record ids.
  ...correctionEndpoints,
  ...changeFeedEndpoints,
  endpoint(
    {
      method: 'get', path: '/attendance/{record_id}', apiScope: 'attendance:read', tag, summary: 'Get an attendance record', access: everyone, params: RecordParams,
      response: AttendanceOut, scope: 'Employees: their own. Managers: their team’s and their own.',
    },
    async (c, { params }) => c.json(await getRecord(ctxOf(c), params.record_id)),
  ),
  endpoint(
    {
      method: 'put', path: '/attendance/{record_id}', apiScope: 'attendance:write', tag, summary: 'Correct an attendance record (fields given are changed)', access: ['admin', 'manager'],
      params: RecordParams, body: AttendanceUpdate, response: AttendanceOut, scope: 'Managers: records of their own team.',
    },
    async (c, { params, body }) => c.json(await updateRecord(ctxOf(c), params.record_id, body)),
  ),
  endpoint(
    { method: 'delete', path: '/attendance/{record_id}', apiScope: 'attendance:write', tag, summary: 'Delete an attendance record', access: ['admin'], params: RecordParams, status: 204 },
    async (c, { params }) => {
      await deleteRecord(ctxOf(c), params.record_id);
      return c.body(null, 204);
    },
  ),
  endOfDayEndpoint,
];

