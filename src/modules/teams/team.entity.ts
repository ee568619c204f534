import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** ISO weekdays: 1 = Monday … 7 = Sunday. */
export const DEFAULT_WORKING_WEEKDAYS = [1, 2, 3, 4, 5];

export const Team = defineEntity({
  name: 'Team',
  tableName: 'teams',
  properties: {
    team_id: p.integer().primary().autoincrement(),
    team_name: p.string().length(100).unique(),
    /** Local time ('HH:MM') at which the workday starts; a first punch after start + grace is Late. */
    workday_start: p.string().length(5).default('09:00'),
    grace_minutes: p.integer().default(5),
    // `default` is the column default for the schema; `onCreate` is the value a new entity gets (an array,
    // not the pre-stringified text, which would be stored as a JSON string).
    working_weekdays: p.json<number[]>().default(JSON.stringify(DEFAULT_WORKING_WEEKDAYS)).onCreate(() => [...DEFAULT_WORKING_WEEKDAYS]),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type ITeam = InferEntity<typeof Team>;
