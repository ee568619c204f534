import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';
import { Team } from '../teams/index.ts';
import { CHANGE_TRIGGERS } from './change.entity.ts';

export const STATUSES = ['Present', 'Late', 'Absent', 'Remote', 'On Leave', 'Half Day'] as const;
export type Status = (typeof STATUSES)[number];
export const SOURCES = ['kiosk', 'web', 'api', 'system'] as const;
export type Source = (typeof SOURCES)[number];

export const Attendance = defineEntity({
  name: 'Attendance',
  tableName: 'attendance',
  properties: {
    record_id: p.integer().primary().autoincrement(),
    employee: () => p.manyToOne(Employee).fieldName('employee_id').deleteRule('cascade'),
    /** The employee's team on that day: a record stays with the team it was made in. */
    team: () => p.manyToOne(Team).nullable().fieldName('team_id').deleteRule('set null'),
    /** Local date in the zone of `timezone` ('YYYY-MM-DD'): for a night shift, the day it started. */
    attendance_date: p.date(),
    status: p.enum(STATUSES),
    check_in_time: p.datetime().nullable(),
    check_out_time: p.datetime().nullable(),
    notes: p.text().nullable(),
    source: p.enum(SOURCES).default('api'),
    /** Set by the end-of-day rule when a check-in has no check-out; cleared when a check-out is recorded. */
    missing_check_out: p.boolean().default(false),
    /** The day's stays: [{ check_in_time, check_out_time (null while in), auto_closed? }], in time order. */
    intervals: p.json<unknown[]>(),
    worked_minutes: p.integer().default(0),
    /** The gaps between intervals. */
    break_minutes: p.integer().default(0),
    /** Worked beyond the day's planned minutes (all of it on a day off or a holiday). */
    overtime_minutes: p.integer().default(0),
    /** This day's part of the minutes past the team's weekly limit in its ISO week. */
    weekly_overtime_minutes: p.integer().default(0),
    /** The shift's planned minutes (null: no shift that day). */
    planned_minutes: p.integer().nullable(),
    left_early: p.boolean().default(false),
    shift_start: p.datetime().nullable(),
    shift_end: p.datetime().nullable(),
    /** The schedule version that decided the record (null id: the standard week). */
    schedule_id: p.integer().nullable(),
    schedule_version: p.integer().nullable(),
    /** The zone of the date (null: TIMEZONE at the time). */
    timezone: p.string().length(64).nullable(),
    /** The latest punch of the day, counted or not: a punch before it is slotted in and the day rebuilt. */
    last_punch_at: p.datetime().nullable(),
    /** The intervals were set by hand: late punches are added to them rather than rebuilding from the punches. */
    intervals_edited: p.boolean().default(false),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ name: 'attendance_employee_date_unique', properties: ['employee', 'attendance_date'] }],
  indexes: [
    { name: 'attendance_date_index', properties: ['attendance_date'] },
    { name: 'attendance_team_date_index', properties: ['team', 'attendance_date'] },
  ],
  // Every write is appended to the change feed (attendance_changes) by these.
  triggers: CHANGE_TRIGGERS.map((t) => ({ ...t, events: [...t.events] })),
});

export type IAttendance = InferEntity<typeof Attendance>;
