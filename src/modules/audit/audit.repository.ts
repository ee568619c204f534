import type { Sql } from '../../infra/db.ts';

/** Every statement on `audit_log`. */

export type AuditEntry = {
  entity_type: string;
  entity_id: number;
  action: 'create' | 'update' | 'delete';
  actor_id: number | null;
  actor_kind: string;
  before: object | null;
  after: object | null;
};

export const auditLog = {
  async insert(sql: Sql, entries: AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    await sql.query(
      `insert into audit_log (entity_type, entity_id, action, actor_id, actor_kind, before, after, at)
       select v.entity_type, v.entity_id, v.action, v.actor_id, v.actor_kind, v.before::jsonb, v.after::jsonb, now()
         from unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
              as v(entity_type, entity_id, action, actor_id, actor_kind, before, after)`,
      [
        entries.map((e) => e.entity_type),
        entries.map((e) => e.entity_id),
        entries.map((e) => e.action),
        entries.map((e) => e.actor_id),
        entries.map((e) => e.actor_kind),
        entries.map((e) => (e.before ? JSON.stringify(e.before) : null)),
        entries.map((e) => (e.after ? JSON.stringify(e.after) : null)),
      ],
      'audit_insert',
    );
  },
};
