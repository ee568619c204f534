import type { ApiScope } from '../../infra/context.ts';
import { jsonValue, type Sql } from '../../infra/db.ts';

/** Every statement on `api_keys`. */

export type ApiKeyRow = {
  api_key_id: number;
  name: string;
  scopes: ApiScope[] | string;
  key_prefix: string;
  created_by: number | null;
  created_at: string | Date;
  last_used_at: string | Date | null;
  last_used_ip: string | null;
  revoked_at: string | Date | null;
};

const COLUMNS = 'api_key_id, name, scopes, key_prefix, created_by, created_at, last_used_at, last_used_ip, revoked_at';
export const scopesOf = (row: Pick<ApiKeyRow, 'scopes'>) => jsonValue<ApiScope[]>(row.scopes) ?? [];

export const apiKeys = {
  async insert(sql: Sql, fields: { name: string; scopes: readonly ApiScope[]; key_hash: string; key_prefix: string; created_by: number | null }): Promise<ApiKeyRow> {
    const [row] = await sql.query<ApiKeyRow>(
      `insert into api_keys (name, scopes, key_hash, key_prefix, created_by, created_at) values ($1, $2::jsonb, $3, $4, $5, now()) returning ${COLUMNS}`,
      [fields.name, JSON.stringify(fields.scopes), fields.key_hash, fields.key_prefix, fields.created_by],
    );
    return row;
  },

  async list(sql: Sql, opts: { skip: number; limit: number; include_revoked: boolean }) {
    const where = opts.include_revoked ? '' : 'where revoked_at is null';
    const rows = await sql.query<ApiKeyRow>(`select ${COLUMNS} from api_keys ${where} order by api_key_id limit $1 offset $2`, [opts.limit, opts.skip]);
    const [{ total }] = await sql.query<{ total: string }>(`select count(*) as total from api_keys ${where}`);
    return { rows, total: Number(total) };
  },

  /** Revokes a live key; null when there is none by that id. */
  async revoke(sql: Sql, id: number): Promise<ApiKeyRow | null> {
    const [row] = await sql.query<ApiKeyRow>(`update api_keys set revoked_at = now() where api_key_id = $1 and revoked_at is null returning ${COLUMNS}`, [id]);
    return row ?? null;
  },

  /** The live key with this hash; null when none (unknown or revoked). Read on every request: a revocation holds at once. */
  async live(sql: Sql, keyHash: string): Promise<Pick<ApiKeyRow, 'api_key_id' | 'name' | 'scopes' | 'last_used_at'> | null> {
    const [row] = await sql.query<Pick<ApiKeyRow, 'api_key_id' | 'name' | 'scopes' | 'last_used_at'>>(
      'select api_key_id, name, scopes, last_used_at from api_keys where key_hash = $1 and revoked_at is null',
      [keyHash],
      'api_key_live',
    );
    return row ?? null;
  },

  /** Notes a use (time and address), at most once a minute per key: a busy integration does not write on every request. */
  async touch(sql: Sql, id: number, ip: string | null) {
    await sql.query(
      `update api_keys set last_used_at = now(), last_used_ip = $2
        where api_key_id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute' or last_used_ip is distinct from $2)`,
      [id, ip],
    );
  },
};
