import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';
import { Attendance } from './attendance.entity.ts';

/** Where a correction request stands: pending until an approver decides, or the requester withdraws it. */
export const CORRECTION_STATUSES = ['pending', 'approved', 'rejected', 'cancelled'] as const;
export type CorrectionStatus = (typeof CORRECTION_STATUSES)[number];

/**
 * A request to correct a person's day (a forgotten check-out, a wrong time, a status), with its reason, waiting for a
 * manager of the person's team or an admin. At most one pending request per person and day.
 */
export const AttendanceCorrection = defineEntity({
  name: 'AttendanceCorrection',
  tableName: 'attendance_corrections',
  properties: {
    correction_id: p.integer().primary().autoincrement(),
    employee: () => p.manyToOne(Employee).fieldName('employee_id').deleteRule('cascade'),
    /** The day to correct (the record's local date). */
    attendance_date: p.date(),
    /** The day's record when the request was made (or, once approved, the record it changed or created). */
    record: () => p.manyToOne(Attendance).nullable().fieldName('record_id').deleteRule('set null'),
    requested_by: () => p.manyToOne(Employee).nullable().fieldName('requested_by').deleteRule('set null'),
    /** What is asked, as given: check_in_time / check_out_time / intervals (times as ISO instants or local HH:MM:SS), status. */
    changes: p.json<Record<string, unknown>>(),
    reason: p.text(),
    status: p.enum(CORRECTION_STATUSES).default('pending'),
    /** The approver's (or rejecter's) comment. */
    comment: p.text().nullable(),
    resolved_by: () => p.manyToOne(Employee).nullable().fieldName('resolved_by').deleteRule('set null'),
    resolved_at: p.datetime().nullable(),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  uniques: [{ name: 'attendance_corrections_pending_unique', properties: ['employee', 'attendance_date'], where: "status = 'pending'" }],
  indexes: [
    { name: 'attendance_corrections_status_employee_index', properties: ['status', 'employee'] },
    { name: 'attendance_corrections_employee_date_index', properties: ['employee', 'attendance_date'] },
    { name: 'attendance_corrections_record_index', properties: ['record'] },
  ],
});

export type IAttendanceCorrection = InferEntity<typeof AttendanceCorrection>;
