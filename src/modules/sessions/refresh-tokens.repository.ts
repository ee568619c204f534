import type { Sql } from '../../infra/db.ts';

/** Every statement on `refresh_tokens`. */
export type RefreshRow = { token_id: number; employee_id: number; family: string; token_version: number; expires_at: string | Date; used_at: string | Date | null; revoked_at: string | Date | null };

const COLUMNS = 'token_id, employee_id, family, token_version, expires_at, used_at, revoked_at';

export const refreshTokens = {
  async insert(sql: Sql, t: { employee_id: number; token_hash: string; family: string; token_version: number; expires_at: Date }) {
    await sql.query(
      `insert into refresh_tokens (employee_id, token_hash, family, token_version, expires_at, created_at) values ($1, $2, $3, $4, $5, now())`,
      [t.employee_id, t.token_hash, t.family, t.token_version, t.expires_at.toISOString()],
    );
  },

  /** Marks a live token used, atomically (one use only); null when it is unknown, used, revoked or expired. */
  async take(sql: Sql, tokenHash: string): Promise<RefreshRow | null> {
    const [row] = await sql.query<RefreshRow>(
      `update refresh_tokens set used_at = now()
        where token_hash = $1 and used_at is null and revoked_at is null and expires_at > now()
        returning ${COLUMNS}`,
      [tokenHash],
    );
    return row ?? null;
  },

  async byHash(sql: Sql, tokenHash: string): Promise<RefreshRow | null> {
    const [row] = await sql.query<RefreshRow>(`select ${COLUMNS} from refresh_tokens where token_hash = $1`, [tokenHash]);
    return row ?? null;
  },

  /** Revokes every live token of a sign-in (a used one came back: it was copied). */
  async revokeFamily(sql: Sql, family: string) {
    await sql.query(`update refresh_tokens set revoked_at = now() where family = $1 and revoked_at is null`, [family]);
  },

  async revokeEmployee(sql: Sql, employeeId: number) {
    await sql.query(`update refresh_tokens set revoked_at = now() where employee_id = $1 and revoked_at is null`, [employeeId]);
  },

  /** Drops tokens long expired or used (kept a day for reuse detection). */
  async prune(sql: Sql): Promise<number> {
    const rows = await sql.query<{ token_id: number }>(
      `delete from refresh_tokens where expires_at < now() - interval '1 day' or used_at < now() - interval '1 day' or revoked_at < now() - interval '1 day' returning token_id`,
    );
    return rows.length;
  },
};
