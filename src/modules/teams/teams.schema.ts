import * as v from 'valibot';
import { IdString, NonEmpty, Pagination } from '../../infra/schemas.ts';

const Weekdays = v.pipe(
  v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(7)), 'working_weekdays must be a list of ISO weekdays (1 = Monday … 7 = Sunday)'),
  v.maxLength(7),
  v.check((days) => new Set(days).size === days.length, 'working_weekdays must not repeat a day'),
);

const teamFields = {
  team_name: NonEmpty('team_name', 100),
  workday_start: v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'workday_start must be HH:MM (24-hour)')),
  grace_minutes: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(240, 'grace_minutes must be at most 240')),
  working_weekdays: Weekdays,
};

export const TeamCreate = v.object({
  team_name: teamFields.team_name,
  workday_start: v.optional(teamFields.workday_start),
  grace_minutes: v.optional(teamFields.grace_minutes),
  working_weekdays: v.optional(teamFields.working_weekdays),
});

export const TeamUpdate = v.partial(v.object(teamFields));

export const TeamOut = v.object({
  team_id: v.number(),
  team_name: v.string(),
  workday_start: v.string(),
  grace_minutes: v.number(),
  working_weekdays: v.array(v.number()),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
});

export const TeamParams = v.object({ team_id: IdString('team_id') });
export const TeamListQuery = v.object({ ...Pagination });

export type TeamCreateInput = v.InferOutput<typeof TeamCreate>;
export type TeamUpdateInput = v.InferOutput<typeof TeamUpdate>;
