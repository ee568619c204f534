import * as v from 'valibot';
import { Id, IdString, NonEmpty, Pagination } from '../../infra/schemas.ts';
import { isTimeZone } from '../../infra/time.ts';
import { MISSING_CHECK_OUT_POLICIES } from './team.entity.ts';

const Weekdays = v.pipe(
  v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(7)), 'working_weekdays must be a list of ISO weekdays (1 = Monday … 7 = Sunday)'),
  v.maxLength(7),
  v.check((days) => new Set(days).size === days.length, 'working_weekdays must not repeat a day'),
);

const teamFields = {
  team_name: NonEmpty('team_name', 100),
  // The hours of a simple week: a schedule the team owns is made (or given a new version) from them.
  workday_start: v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'workday_start must be HH:MM (24-hour)')),
  grace_minutes: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(240, 'grace_minutes must be at most 240')),
  working_weekdays: Weekdays,
  schedule_id: v.nullable(Id('schedule_id')),
  timezone: v.nullable(v.pipe(v.string('timezone must be a string'), v.trim(), v.check(isTimeZone, 'timezone must be an IANA time zone such as Europe/Paris'))),
  weekly_hours: v.pipe(v.number('weekly_hours must be a number'), v.minValue(0, 'weekly_hours must not be negative'), v.maxValue(168, 'weekly_hours must be at most 168')),
  missing_check_out: v.picklist(MISSING_CHECK_OUT_POLICIES, `missing_check_out must be one of: ${MISSING_CHECK_OUT_POLICIES.join(', ')}`),
  web_punch: v.pipe(
    v.boolean('web_punch must be true or false'),
    v.description('Members may check in and out from their own page (/me), at the server’s clock. Default false.'),
  ),
};

/** Either a schedule, or the hours of a simple week: not both. */
const oneWayOfHours = <T extends { schedule_id?: number | null; workday_start?: string; grace_minutes?: number; working_weekdays?: number[] }>(t: T) =>
  t.schedule_id === undefined || (t.workday_start === undefined && t.grace_minutes === undefined && t.working_weekdays === undefined);
const ONE_WAY = 'give either schedule_id or workday_start / grace_minutes / working_weekdays';

export const TeamCreate = v.pipe(
  v.object({
    team_name: teamFields.team_name,
    workday_start: v.optional(teamFields.workday_start),
    grace_minutes: v.optional(teamFields.grace_minutes),
    working_weekdays: v.optional(teamFields.working_weekdays),
    schedule_id: v.optional(teamFields.schedule_id),
    timezone: v.optional(teamFields.timezone),
    weekly_hours: v.optional(teamFields.weekly_hours),
    missing_check_out: v.optional(teamFields.missing_check_out),
    web_punch: v.optional(teamFields.web_punch, false),
  }),
  v.forward(v.check(oneWayOfHours, ONE_WAY), ['schedule_id']),
);

export const TeamUpdate = v.pipe(v.partial(v.object(teamFields)), v.forward(v.check(oneWayOfHours, ONE_WAY), ['schedule_id']));

export const TeamOut = v.object({
  team_id: v.number(),
  team_name: v.string(),
  workday_start: v.pipe(v.string(), v.description("The start of the team schedule's first shift of the week.")),
  grace_minutes: v.number(),
  working_weekdays: v.pipe(v.array(v.number()), v.description('Weekdays with a shift in the first week of the schedule.')),
  schedule_id: v.pipe(v.nullable(v.number()), v.description("The members' default schedule (null: Monday to Friday, 09:00–17:00).")),
  timezone: v.pipe(v.string(), v.description('The zone of the members’ dates and times (the organisation’s TIMEZONE unless set).')),
  weekly_hours: v.number(),
  missing_check_out: v.picklist(MISSING_CHECK_OUT_POLICIES),
  web_punch: v.pipe(v.boolean(), v.description('Members may check in and out from their own page (/me), at the server’s clock.')),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
});

export const TeamParams = v.object({ team_id: IdString('team_id') });
export const TeamListQuery = v.object({ ...Pagination });

export type TeamCreateInput = v.InferOutput<typeof TeamCreate>;
export type TeamUpdateInput = v.InferOutput<typeof TeamUpdate>;
