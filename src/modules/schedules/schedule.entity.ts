import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Shift } from './schedule.rules.ts';

/**
 * A named working pattern: one or more shifts per weekday, optionally over a cycle of N weeks. The row holds the
 * current version; every version (with the day it applies from) is kept in `schedule_versions`.
 */
export const Schedule = defineEntity({
  name: 'Schedule',
  tableName: 'schedules',
  properties: {
    schedule_id: p.integer().primary().autoincrement(),
    name: p.string().length(100).unique(),
    cycle_weeks: p.integer().default(1),
    /** Week 1 of the cycle starts on the Monday of this date's week. */
    starts_on: p.date(),
    grace_minutes: p.integer().default(5),
    shifts: p.json<Shift[]>(),
    version: p.integer().default(1),
    /** The day the current version applies from. */
    valid_from: p.date(),
    /** The team whose own settings this schedule holds (made from a team's start time, grace and weekdays). */
    owner_team_id: p.integer().nullable(),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

/** Every version of a schedule, each from the day it applies: a record names the version that decided it. */
export const ScheduleVersionEntity = defineEntity({
  name: 'ScheduleVersion',
  tableName: 'schedule_versions',
  properties: {
    schedule_id: p.integer().primary(),
    version: p.integer().primary(),
    valid_from: p.date(),
    cycle_weeks: p.integer(),
    starts_on: p.date(),
    grace_minutes: p.integer(),
    shifts: p.json<Shift[]>(),
    created_at: p.datetime().onCreate(() => new Date()),
  },
});

/** A person on a schedule other than their team's, for a period. */
export const EmployeeSchedule = defineEntity({
  name: 'EmployeeSchedule',
  tableName: 'employee_schedules',
  properties: {
    assignment_id: p.integer().primary().autoincrement(),
    employee_id: p.integer(),
    schedule_id: p.integer(),
    valid_from: p.date(),
    valid_to: p.date().nullable(),
    created_at: p.datetime().onCreate(() => new Date()),
  },
});

/** A day nobody (or nobody of one team) is expected at work. */
export const HolidayEntity = defineEntity({
  name: 'Holiday',
  tableName: 'holidays',
  properties: {
    holiday_id: p.integer().primary().autoincrement(),
    date: p.date(),
    name: p.string().length(100),
    team_id: p.integer().nullable(),
    created_at: p.datetime().onCreate(() => new Date()),
  },
});

export type ISchedule = InferEntity<typeof Schedule>;
