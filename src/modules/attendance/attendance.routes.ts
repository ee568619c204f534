import * as v from 'valibot';
import { endpoint, listResponse, takeHeavySlot } from '../../infra/http.ts';
import { IsoDate } from '../../infra/schemas.ts';
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
  PunchBody,
  PunchOut,
  RecordParams,
  TeamParams,
  type PunchInput,
} from './attendance.schema.ts';
import { createRecord, deleteRecord, getRecord, listEmployeeRecords, listRecords, listTeamRecords, updateRecord } from './attendance.service.ts';
import { punch, type PunchIntent } from './punch.service.ts';

const tag = 'Attendance';
const everyone = ['admin', 'manager', 'employee'] as const;
const filters = 'Filters: `date_from`, `date_to` (inclusive, YYYY-MM-DD), `status`. Newest first.';

const punchEndpoint = (path: string, intent: PunchIntent, summary: string, description: string) =>
  endpoint(
    {
      method: 'post', path, tag: 'Check-in', summary, access: everyone, body: PunchBody, response: PunchOut,
      scope: 'Employees punch for themselves; managers also for their team; admins for anyone.', description,
    },
    async (c, { body }) => {
      const input = body as PunchInput;
      const ctx = ctxOf(c);
      const result = await punch(ctx, { ...input, source: seesOnlyThemselves(ctx.user!) ? 'web' : 'api', intent });
      return c.json(result);
    },
  );

const EndOfDayBody = v.object({ date: IsoDate('date') });
const EndOfDayOut = v.object({
  days: v.array(v.object({ date: v.string(), absent: v.number(), missing_check_out: v.number() })),
});

/** Closing a day on demand, for example after an outage; runs as the same job as the schedule. */
const endOfDayEndpoint = endpoint(
  {
    method: 'post', path: '/attendance/end-of-day', tag, summary: 'Close a past day (absences, missing check-outs)', access: ['admin'],
    body: EndOfDayBody, response: EndOfDayOut,
    description:
      'Marks every expected team member without a record Absent (source `system`) and flags check-ins without a check-out ' +
      '(`missing_check_out`). Idempotent: running a day again changes nothing. A day can be closed only after its cut-off ' +
      '(END_OF_DAY_TIME in TIMEZONE): 409 `day_not_over` before.',
  },
  async (c, { body }) => {
    const deps = c.get('deps');
    assertClosable(deps.config, body.date);
    const result = await deps.jobs.run('attendance:end-of-day', { date: body.date });
    return c.json({ days: result.days });
  },
);

export const attendanceEndpoints = [
  endpoint(
    {
      method: 'get', path: '/attendance/', tag, summary: 'List attendance records', access: everyone, query: AttendanceListQuery, response: AttendanceOut,
      list: true, scope: 'Employees see their own records; managers their team’s and their own.',
      description: `${filters} Also \`employee_id\` and \`team_id\`.`,
    },
    async (c, { query }) => listResponse(c, await listRecords(ctxOf(c), query)),
  ),
  endpoint(
    {
      method: 'post', path: '/attendance/', tag, summary: 'Create an attendance record', access: ['admin', 'manager'], body: AttendanceCreate,
      response: AttendanceOut, status: 201, scope: 'Managers: employees of their own team.',
      description: 'One record per employee and day: a second one is 409 `duplicate_record`.',
    },
    async (c, { body }) => c.json(await createRecord(ctxOf(c), body), 201),
  ),
  punchEndpoint(
    '/attendance/check-in', 'check_in', 'Check in (a punch)',
    'Opens today’s record (local date in TIMEZONE): Present, or Late after the team’s start + grace. ' +
      'A repeated `client_event_id` returns the first result with `duplicate: true` (200) and writes nothing. ' +
      'Already checked in today: 409 `already_checked_in`.',
  ),
  punchEndpoint(
    '/attendance/check-out', 'check_out', 'Check out (a punch)',
    'Sets the check-out of the day’s record (the latest punch wins). No check-in that day: 409 `not_checked_in`.',
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/export.csv', tag, summary: 'Export attendance records as CSV', access: everyone,
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
      method: 'get', path: '/attendance/employee/{employee_id}', tag, summary: 'One employee’s attendance', access: everyone, params: EmployeeParams,
      query: DateRangeQuery, response: AttendanceOut, list: true, scope: 'Employees: themselves. Managers: their team and themselves.', description: filters,
    },
    async (c, { params, query }) => listResponse(c, await listEmployeeRecords(ctxOf(c), params.employee_id, query)),
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/team/{team_id}', tag, summary: 'One team’s attendance', access: ['admin', 'manager'], params: TeamParams,
      query: DateRangeQuery, response: AttendanceOut, list: true, scope: 'Managers: their own team.', description: filters,
    },
    async (c, { params, query }) => listResponse(c, await listTeamRecords(ctxOf(c), params.team_id, query)),
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/{record_id}', tag, summary: 'Get an attendance record', access: everyone, params: RecordParams,
      response: AttendanceOut, scope: 'Employees: their own. Managers: their team’s and their own.',
    },
    async (c, { params }) => c.json(await getRecord(ctxOf(c), params.record_id)),
  ),
  endpoint(
    {
      method: 'put', path: '/attendance/{record_id}', tag, summary: 'Correct an attendance record (fields given are changed)', access: ['admin', 'manager'],
      params: RecordParams, body: AttendanceUpdate, response: AttendanceOut, scope: 'Managers: records of their own team.',
    },
    async (c, { params, body }) => c.json(await updateRecord(ctxOf(c), params.record_id, body)),
  ),
  endpoint(
    { method: 'delete', path: '/attendance/{record_id}', tag, summary: 'Delete an attendance record', access: ['admin'], params: RecordParams, status: 204 },
    async (c, { params }) => {
      await deleteRecord(ctxOf(c), params.record_id);
      return c.body(null, 204);
    },
  ),
  endOfDayEndpoint,
];

