import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const MISSING_CHECK_OUT_POLICIES = ['flag', 'close_at_shift_end'] as const;
export type MissingCheckOutPolicy = (typeof MISSING_CHECK_OUT_POLICIES)[number];

export const Team = defineEntity({
  name: 'Team',
  tableName: 'teams',
  properties: {
    team_id: p.integer().primary().autoincrement(),
    team_name: p.string().length(100).unique(),
    /** The members' default schedule (null: the organisation's standard week); assignments override it. */
    schedule_id: p.integer().nullable(),
    /** The IANA zone the members' dates and times are local to (null: TIMEZONE). */
    timezone: p.string().length(64).nullable(),
    /** Minutes worked beyond this many hours in an ISO week are weekly overtime. */
    weekly_hours: p.decimal('number').precision(5).scale(2).default(40),
    /** A check-in still open at the end of the day: flagged, or closed at the shift's end (marked auto_closed). */
    missing_check_out: p.enum(MISSING_CHECK_OUT_POLICIES).default('flag'),
    /** Members may check in and out from their own page (/me), at the server's clock. */
    web_punch: p.boolean().default(false),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type ITeam = InferEntity<typeof Team>;
