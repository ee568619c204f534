import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';
import { Team } from '../teams/index.ts';

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
    /** Local date in the organisation's TIMEZONE ('YYYY-MM-DD'). */
    attendance_date: p.date(),
    status: p.enum(STATUSES),
    check_in_time: p.datetime().nullable(),
    check_out_time: p.datetime().nullable(),
    notes: p.text().nullable(),
    source: p.enum(SOURCES).default('api'),
    /** Set by the end-of-day rule when a check-in has no check-out; cleared when a check-out is recorded. */
    missing_check_out: p.boolean().default(false),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ name: 'attendance_employee_date_unique', properties: ['employee', 'attendance_date'] }],
  indexes: [
    { name: 'attendance_date_index', properties: ['attendance_date'] },
    { name: 'attendance_team_date_index', properties: ['team', 'attendance_date'] },
  ],
});

export type IAttendance = InferEntity<typeof Attendance>;
