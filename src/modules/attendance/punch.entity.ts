import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';
import { Attendance, SOURCES } from './attendance.entity.ts';

export const PUNCH_ACTIONS = ['check_in', 'check_out', 'ignored'] as const;
export type PunchAction = (typeof PUNCH_ACTIONS)[number];
export const PUNCH_INTENTS = ['auto', 'check_in', 'check_out'] as const;

/** A raw check-in event exactly as received. Attendance records are derived from these. */
export const Punch = defineEntity({
  name: 'Punch',
  tableName: 'punches',
  properties: {
    punch_id: p.bigint('number').primary().autoincrement(),
    employee: () => p.manyToOne(Employee).fieldName('employee_id').deleteRule('cascade'),
    /** When the badge was read, as the device saw it (with its offset). */
    occurred_at: p.datetime(),
    received_at: p.datetime(),
    source: p.enum(SOURCES),
    device: p.string().length(100).nullable(),
    /** Set by the sender; a retry with the same id is answered from the first result. */
    client_event_id: p.string().length(100).nullable().unique(),
    /** What the sender asked: toggle (auto), or an explicit check-in or check-out (null: before intents were kept). */
    intent: p.enum(PUNCH_INTENTS).nullable(),
    /** What it did to the day (`ignored`: a double scan, or contradicted by an earlier punch slotted in later). */
    action: p.enum(PUNCH_ACTIONS),
    record: () => p.manyToOne(Attendance).nullable().fieldName('record_id').deleteRule('set null'),
  },
  indexes: [{ name: 'punches_employee_occurred_index', properties: ['employee', 'occurred_at'] }],
});

export type IPunch = InferEntity<typeof Punch>;
