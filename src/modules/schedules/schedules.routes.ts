import * as v from 'valibot';
import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import {
  HolidayCreate,
  HolidayListQuery,
  HolidayOut,
  HolidayParams,
  ScheduleCreate,
  ScheduleListQuery,
  ScheduleOut,
  ScheduleParams,
  ScheduleUpdate,
  ScheduleVersionOut,
} from './schedules.schema.ts';
import {
  createHoliday,
  createSchedule,
  deleteHoliday,
  deleteSchedule,
  getSchedule,
  listHolidays,
  listSchedules,
  scheduleVersions,
  updateSchedule,
} from './schedules.service.ts';

const everyone = ['admin', 'manager', 'employee'] as const;

const SHIFTS_HELP =
  '`shifts`: `[{ "week": 1, "weekday": 1, "start": "22:00", "end": "06:00", "break_minutes": 30 }, …]`; `weekday` 1 = Monday … 7 = Sunday, ' +
  '`week` 1 … `cycle_weeks` (a rotation), counted from the Monday of `starts_on` (default: the Monday of this week). ' +
  'An `end` not after `start` is the next day: the shift belongs to the day it starts.';

export const scheduleEndpoints = [
  endpoint(
    { method: 'get', path: '/schedules/', apiScope: 'employees:read', tag: 'Schedules', summary: 'List schedules', access: everyone, query: ScheduleListQuery, response: ScheduleOut, list: true },
    async (c, { query }) => listResponse(c, await listSchedules(ctxOf(c), query)),
  ),
  endpoint(
    { method: 'post', path: '/schedules/', tag: 'Schedules', summary: 'Create a schedule', access: ['admin'], body: ScheduleCreate, response: ScheduleOut, status: 201, description: SHIFTS_HELP },
    async (c, { body }) => c.json(await createSchedule(ctxOf(c), body), 201),
  ),
  endpoint(
    { method: 'get', path: '/schedules/{schedule_id}', apiScope: 'employees:read', tag: 'Schedules', summary: 'Get a schedule', access: everyone, params: ScheduleParams, response: ScheduleOut },
    async (c, { params }) => c.json(await getSchedule(ctxOf(c), params.schedule_id)),
  ),
  endpoint(
    {
      method: 'get', path: '/schedules/{schedule_id}/versions', apiScope: 'employees:read', tag: 'Schedules', summary: 'Every version of a schedule', access: everyone, params: ScheduleParams,
      response: v.array(ScheduleVersionOut), description: 'Each record names the version (`schedule_version`) that decided it.',
    },
    async (c, { params }) => c.json(await scheduleVersions(ctxOf(c), params.schedule_id)),
  ),
  endpoint(
    {
      method: 'put', path: '/schedules/{schedule_id}', tag: 'Schedules', summary: 'Change a schedule', access: ['admin'], params: ScheduleParams, body: ScheduleUpdate, response: ScheduleOut,
      description:
        'A change of `shifts`, `cycle_weeks`, `starts_on` or `grace_minutes` is a new version applying from `valid_from` (default today). ' +
        'Records from that day to today are recomputed in the background; earlier days keep the version that decided them. ' + SHIFTS_HELP,
    },
    async (c, { params, body }) => c.json(await updateSchedule(ctxOf(c), params.schedule_id, body)),
  ),
  endpoint(
    {
      method: 'delete', path: '/schedules/{schedule_id}', tag: 'Schedules', summary: 'Delete a schedule', access: ['admin'], params: ScheduleParams, status: 204,
      description: 'Refused (409 `schedule_in_use`) while a team or an assignment uses it.',
    },
    async (c, { params }) => {
      await deleteSchedule(ctxOf(c), params.schedule_id);
      return c.body(null, 204);
    },
  ),
  endpoint(
    {
      method: 'get', path: '/holidays/', apiScope: 'employees:read', tag: 'Holidays', summary: 'List holidays', access: everyone, query: HolidayListQuery, response: HolidayOut, list: true,
      description: 'With `team_id`: the organisation’s holidays and that team’s.',
    },
    async (c, { query }) => listResponse(c, await listHolidays(ctxOf(c), query)),
  ),
  endpoint(
    {
      method: 'post', path: '/holidays/', tag: 'Holidays', summary: 'Add a holiday', access: ['admin'], body: HolidayCreate, response: HolidayOut, status: 201,
      description: 'Nobody (without `team_id`: in the organisation; with it: in that team) is expected that day: no absence is marked and time worked is overtime. A past day is recomputed.',
    },
    async (c, { body }) => c.json(await createHoliday(ctxOf(c), body), 201),
  ),
  endpoint(
    { method: 'delete', path: '/holidays/{holiday_id}', tag: 'Holidays', summary: 'Remove a holiday', access: ['admin'], params: HolidayParams, status: 204 },
    async (c, { params }) => {
      await deleteHoliday(ctxOf(c), params.holiday_id);
      return c.body(null, 204);
    },
  ),
];
