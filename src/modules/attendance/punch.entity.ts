import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';
import { Attendance, SOURCES } from './attendance.entity.ts';

export const PUNCH_ACTIONS = ['check_in', 'check_out', 'ignored'] as const;
export type PunchAction = (typeof PUNCH_ACTIONS)[number];
export const PUNCH_INTENTS = ['auto', 'check_in', 'check_out'] as const;

/**
 * A raw check-in event exactly as received. Attendance records are derived from these. The table is partitioned by
 * month of `occurred_at` (migration 20261206090000, src/modules/attendance/punch.partitions.ts), which is therefore
 * part of the primary key.
 */
export const Punch = defineEntity({
  name: 'Punch',
  tableName: 'punches',
  properties: {
    punch_id: p.bigint('number').primary().autoincrement(),
    employee: () => p.manyToOne(Employee).fieldName('employee_id').deleteRule('cascade'),
    /** When the badge was read, as the device saw it (with its offset); the partition key. */
    occurred_at: p.datetime().primary(),
    received_at: p.datetime(),
    source: p.enum(SOURCES),
    device: p.string().length(100).nullable(),
    /** Set by the sender; a retry with the same id is answered from the first result. Unique through `punch_keys`. */
    client_event_id: p.string().length(100).nullable(),
    /** What the sender asked: toggle (auto), or an explicit check-in or check-out (null: before intents were kept). */
    intent: p.enum(PUNCH_INTENTS).nullable(),
    /** What it did to the day (`ignored`: a double scan, or contradicted by an earlier punch slotted in later). */
    action: p.enum(PUNCH_ACTIONS),
    record: () => p.manyToOne(Attendance).nullable().fieldName('record_id').deleteRule('set null'),
  },
  indexes: [{ name: 'punches_employee_occurred_index', properties: ['employee', 'occurred_at'] }],
});

export type IPunch = InferEntity<typeof Punch>;

/**
 * The idempotency key of a punch: each client_event_id once, whatever the partitions of `punches`, with the punch's
 * whole primary key. Written by the statement that writes the punch; dropped with the punch's month.
 */
export const PunchKey = defineEntity({
  name: 'PunchKey',
  tableName: 'punch_keys',
  properties: {
    client_event_id: p.string().length(100).primary(),
    punch_id: p.bigint('number'),
    occurred_at: p.datetime().index('punch_keys_occurred_at_index'),
    /** A deleted employee's keys go with their punches. */
    employee: () => p.manyToOne(Employee).fieldName('employee_id').deleteRule('cascade'),
  },
});

export type IPunchKey = InferEntity<typeof PunchKey>;
