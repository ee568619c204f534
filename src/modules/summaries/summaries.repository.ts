import type { Sql } from '../../infra/db.ts';

/** Every statement on `summaries`: the stored summary of each scope ('org' or 'team:<id>'). */
export const summaries = {
  async get<T>(sql: Sql, scope: string): Promise<T | null> {
    const [row] = await sql.query<{ body: T | string }>('select body from summaries where scope = $1', [scope]);
    if (!row) return null;
    return typeof row.body === 'string' ? (JSON.parse(row.body) as T) : row.body;
  },

  /** Stores a body; true only when it is new or differs from the stored one (its digest), so a change is announced once. */
  async put(sql: Sql, scope: string, body: object, digest: string, computedAt: Date): Promise<boolean> {
    const rows = await sql.query(
      `insert into summaries (scope, body, digest, computed_at) values ($1, $2::jsonb, $3, $4)
       on conflict (scope) do update set body = excluded.body, digest = excluded.digest, computed_at = excluded.computed_at
        where summaries.digest <> excluded.digest
       returning scope`,
      [scope, JSON.stringify(body), digest, computedAt.toISOString()],
    );
    return rows.length > 0;
  },
};
