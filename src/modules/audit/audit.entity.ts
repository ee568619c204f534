import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Changes (create, update, delete), and the steps of a request (a correction's request, approval, rejection, cancellation). */
export const AUDIT_ACTIONS = ['create', 'update', 'delete', 'request', 'approve', 'reject', 'cancel'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who changed what and when. No foreign keys: the trail outlives what it describes. */
export const AuditLog = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_log',
  properties: {
    audit_id: p.bigint('number').primary().autoincrement(),
    entity_type: p.string().length(30),
    entity_id: p.integer(),
    action: p.enum(AUDIT_ACTIONS),
    actor_id: p.integer().nullable(),
    actor_kind: p.string().length(20),
    before: p.json<Record<string, unknown>>().nullable(),
    after: p.json<Record<string, unknown>>().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ name: 'audit_entity_index', properties: ['entity_type', 'entity_id'] }],
});

export type IAuditLog = InferEntity<typeof AuditLog>;
