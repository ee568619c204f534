import type { Sql } from '../../infra/db.ts';
import { filterConditions, whereClause, type ColumnMap } from '../../infra/sql-where.ts';
import type { AuditAction } from './audit.entity.ts';

/** Every statement on `audit_log`. */

export type AuditEntry = {
  entity_type: string;
  entity_id: number;
  action: AuditAction;
  actor_id: number | null;
  actor_kind: string;
  before: object | null;
  after: object | null;
};

export type AuditRow = AuditEntry & { audit_id: number | string; at: string | Date };
export type AuditFilter = { entity_type?: string; entity_id?: number; actor_id?: number; from?: Date; before?: Date };

const FILTERS: ColumnMap<keyof AuditFilter> = {
  entity_type: ['entity_type', '='],
  entity_id: ['entity_id', '='],
  actor_id: ['actor_id', '='],
  from: ['at', '>='],
  before: ['at', '<'],
};

export const auditLog = {
  /** A page of the trail, newest first, with the total. */
  async list(sql: Sql, filter: AuditFilter, page: { skip: number; limit: number }) {
    const where = whereClause(filterConditions(FILTERS, { ...filter, from: filter.from?.toISOString(), before: filter.before?.toISOString() }));
    const n = where.params.length;
    const [rows, [{ total }]] = await Promise.all([
      sql.query<AuditRow>(
        `select audit_id, entity_type, entity_id, action, actor_id, actor_kind, before, after, at from audit_log ${where.text}
          order by at desc, audit_id desc limit $${n + 1} offset $${n + 2}`,
        [...where.params, page.limit, page.skip],
      ),
      sql.query<{ total: string }>(`select count(*) as total from audit_log ${where.text}`, where.params),
    ]);
    return { rows, total: Number(total) };
  },

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
