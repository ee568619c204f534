import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const CHANGE_OPS = ['create', 'update', 'delete'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

const CAPTURE_FUNCTION = `create or replace function attendance_changes_capture() returns trigger language plpgsql as $$
  begin
    insert into attendance_changes (record_id, op, xid, changed_at)
    values (case when tg_op = 'DELETE' then old.record_id else new.record_id end,
            case tg_op when 'INSERT' then 'create' when 'UPDATE' then 'update' else 'delete' end,
            pg_current_xact_id(), now());
    return null;
  end $$`;

/**
 * The triggers on `attendance` that fill `attendance_changes` (as migration 20261204160000 creates them), for the
 * Attendance entity: declared as raw DDL so that schema diffs keep them instead of proposing to drop them.
 */
export const CHANGE_TRIGGERS = [
  {
    name: 'attendance_changes_on_write', timing: 'after', events: ['insert', 'delete'],
    expression: `${CAPTURE_FUNCTION}; create trigger attendance_changes_on_write after insert or delete on "attendance" for each row execute function attendance_changes_capture()`,
  },
  {
    name: 'attendance_changes_on_update', timing: 'after', events: ['update'],
    expression: `${CAPTURE_FUNCTION}; create trigger attendance_changes_on_update after update on "attendance" for each row when (old.* is distinct from new.*) execute function attendance_changes_capture()`,
  },
] as const satisfies { name: string; timing: 'after'; events: ('insert' | 'update' | 'delete')[]; expression: string }[];

/**
 * One write to an attendance record, appended by a database trigger on `attendance` (migration 20261204160000), never
 * by the application: read by GET /attendance/changes. Declared so schema diffs know the table; the trigger is not
 * an entity concern.
 */
export const AttendanceChange = defineEntity({
  name: 'AttendanceChange',
  tableName: 'attendance_changes',
  properties: {
    change_id: p.bigint('number').primary().autoincrement(),
    /** No foreign key: the change of a deleted record stays. */
    record_id: p.integer(),
    op: p.enum(CHANGE_OPS),
    /** The writing transaction (`pg_current_xact_id()`): the feed's order, with change_id. */
    xid: p.string().columnType('xid8'),
    changed_at: p.datetime(),
  },
  indexes: [
    { name: 'attendance_changes_xid_change_id_index', properties: ['xid', 'change_id'] },
    { name: 'attendance_changes_changed_at_index', properties: ['changed_at'] },
  ],
});

export type IAttendanceChange = InferEntity<typeof AttendanceChange>;

/** The newest change the retention pruned (at most one row, id 1): a cursor before it may have missed a change. */
export const AttendanceChangesPruned = defineEntity({
  name: 'AttendanceChangesPruned',
  tableName: 'attendance_changes_pruned',
  properties: {
    id: p.smallint().primary().autoincrement(false),
    xid: p.string().columnType('xid8'),
    change_id: p.bigint('number'),
    pruned_at: p.datetime(),
  },
  checks: [{ name: 'attendance_changes_pruned_id_check', expression: 'id = 1' }],
});
