import { createHash, randomBytes } from 'node:crypto';
import type { Ctx } from '../../infra/context.ts';
import type { Em } from '../../infra/db.ts';
import { notFound, validationError } from '../../infra/errors.ts';
import { recordAudit } from '../audit/index.ts';

/** Kiosk tokens start with this, so the socket handshake can tell them from user JWTs at a glance. */
export const KIOSK_TOKEN_PREFIX = 'khub_';

export const hashKioskToken = (token: string) => createHash('sha256').update(token).digest('hex');

type KioskRow = {
  kiosk_id: number;
  name: string;
  team_id: number | null;
  created_at: string | Date;
  last_seen_at: string | Date | null;
  revoked_at: string | Date | null;
};

const iso = (d: string | Date | null) => (d == null ? null : new Date(d).toISOString());

const kioskDto = (k: KioskRow, online: boolean) => ({
  kiosk_id: Number(k.kiosk_id),
  name: k.name,
  team_id: k.team_id == null ? null : Number(k.team_id),
  created_at: iso(k.created_at)!,
  last_seen_at: iso(k.last_seen_at),
  revoked_at: iso(k.revoked_at),
  online,
});

const COLUMNS = 'kiosk_id, name, team_id, created_at, last_seen_at, revoked_at';

/** Registers a kiosk and returns its device token, which is never shown again. */
export async function createKiosk(ctx: Ctx, input: { name: string; team_id: number | null }) {
  if (input.team_id != null) {
    const exists = await ctx.em.execute<unknown[]>('select 1 from teams where team_id = ?', [input.team_id]);
    if (!exists.length) throw validationError([{ loc: ['body', 'team_id'], msg: `team ${input.team_id} does not exist`, type: 'value_error.foreign_key' }]);
  }
  const token = `${KIOSK_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return ctx.em.transactional(async (em) => {
    const [row] = await em.execute<KioskRow[]>(
      `insert into kiosks (name, team_id, token_hash, created_at) values (?, ?, ?, now()) returning ${COLUMNS}`,
      [input.name, input.team_id, hashKioskToken(token)],
    );
    const dto = kioskDto(row, false);
    recordAudit(em, ctx, { entity_type: 'kiosk', entity_id: dto.kiosk_id, action: 'create', after: dto });
    return { ...dto, token };
  });
}

export async function listKiosks(ctx: Ctx, query: { skip: number; limit: number; include_revoked: boolean }, online: (kioskId: number) => boolean) {
  const where = query.include_revoked ? '' : 'where revoked_at is null';
  const [rows, [{ total }]] = await Promise.all([
    ctx.em.execute<KioskRow[]>(`select ${COLUMNS} from kiosks ${where} order by kiosk_id limit ? offset ?`, [query.limit, query.skip]),
    ctx.em.execute<{ total: string }[]>(`select count(*) as total from kiosks ${where}`),
  ]);
  return { items: rows.map((r) => kioskDto(r, online(Number(r.kiosk_id)))), total: Number(total) };
}

/** Revokes a kiosk: its token stops working and its live sockets are closed on every instance. */
export async function revokeKiosk(ctx: Ctx, kioskId: number) {
  await ctx.em.transactional(async (em) => {
    const [row] = await em.execute<KioskRow[]>(
      `update kiosks set revoked_at = now() where kiosk_id = ? and revoked_at is null returning ${COLUMNS}`,
      [kioskId],
    );
    if (!row) throw notFound('Kiosk', kioskId);
    recordAudit(em, ctx, { entity_type: 'kiosk', entity_id: kioskId, action: 'delete', after: kioskDto(row, false) });
  });
  ctx.bus.publish('kiosk.revoked', { kiosk_id: kioskId });
}

export type KioskIdentity = { kiosk_id: number; name: string; team_id: number | null };

/** Resolves a device token to a live (not revoked) kiosk, and notes that it was seen. */
export async function authenticateKiosk(em: Em, token: string): Promise<KioskIdentity | null> {
  if (!token.startsWith(KIOSK_TOKEN_PREFIX) || token.length > 100) return null;
  const [row] = await em.execute<KioskRow[]>(
    `update kiosks set last_seen_at = now() where token_hash = ? and revoked_at is null returning ${COLUMNS}`,
    [hashKioskToken(token)],
  );
  if (!row) return null;
  return { kiosk_id: Number(row.kiosk_id), name: row.name, team_id: row.team_id == null ? null : Number(row.team_id) };
}

/** Notes that a kiosk is alive (called at most every so often per kiosk). */
export async function touchKiosk(em: Em, kioskId: number) {
  await em.execute('update kiosks set last_seen_at = now() where kiosk_id = ?', [kioskId]);
}
