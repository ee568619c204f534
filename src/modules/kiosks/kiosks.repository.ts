import type { Sql } from '../../infra/db.ts';

/** Every statement on `kiosks`. */

export type KioskRow = {
  kiosk_id: number;
  name: string;
  team_id: number | null;
  created_at: string | Date;
  last_seen_at: string | Date | null;
  revoked_at: string | Date | null;
};

const COLUMNS = 'kiosk_id, name, team_id, created_at, last_seen_at, revoked_at';

export const kiosks = {
  async insert(sql: Sql, fields: { name: string; team_id: number | null; token_hash: string }): Promise<KioskRow> {
    const [row] = await sql.query<KioskRow>(
      `insert into kiosks (name, team_id, token_hash, created_at) values ($1, $2, $3, now()) returning ${COLUMNS}`,
      [fields.name, fields.team_id, fields.token_hash],
    );
    return row;
  },

  async list(sql: Sql, opts: { skip: number; limit: number; include_revoked: boolean }) {
    const where = opts.include_revoked ? '' : 'where revoked_at is null';
    const [rows, [{ total }]] = await Promise.all([
      sql.query<KioskRow>(`select ${COLUMNS} from kiosks ${where} order by kiosk_id limit $1 offset $2`, [opts.limit, opts.skip]),
      sql.query<{ total: string }>(`select count(*) as total from kiosks ${where}`),
    ]);
    return { rows, total: Number(total) };
  },

  /** Revokes a live kiosk; null when there is none by that id. */
  async revoke(sql: Sql, kioskId: number): Promise<KioskRow | null> {
    const [row] = await sql.query<KioskRow>(`update kiosks set revoked_at = now() where kiosk_id = $1 and revoked_at is null returning ${COLUMNS}`, [kioskId]);
    return row ?? null;
  },

  /** The live kiosk holding this token hash, noted as seen now; null when none. */
  async seenByToken(sql: Sql, tokenHash: string): Promise<KioskRow | null> {
    const [row] = await sql.query<KioskRow>(
      `update kiosks set last_seen_at = now() where token_hash = $1 and revoked_at is null returning ${COLUMNS}`,
      [tokenHash],
    );
    return row ?? null;
  },

  async touch(sql: Sql, kioskId: number): Promise<void> {
    await sql.query('update kiosks set last_seen_at = now() where kiosk_id = $1', [kioskId]);
  },

  /** Which of these kiosks are not revoked. */
  async live(sql: Sql, kioskIds: number[]): Promise<Set<number>> {
    if (!kioskIds.length) return new Set();
    const rows = await sql.query<{ kiosk_id: number }>('select kiosk_id from kiosks where revoked_at is null and kiosk_id = any($1::int[])', [kioskIds]);
    return new Set(rows.map((r) => Number(r.kiosk_id)));
  },
};
