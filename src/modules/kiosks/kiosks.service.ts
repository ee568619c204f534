import { randomBytes } from 'node:crypto';
import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { notFound, validationError } from '../../infra/errors.ts';
import { isoOrNull, isoTimestamp } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { hashSecretToken } from '../auth/index.ts';
import { employees } from '../employees/index.ts';
import { teams } from '../teams/index.ts';
import type { KioskRoster } from './kiosks.events.ts';
import { kiosks, type KioskRow } from './kiosks.repository.ts';

/** Kiosk tokens start with this, so the socket handshake can tell them from user JWTs at a glance. */
export const KIOSK_TOKEN_PREFIX = 'khub_';


const kioskDto = (k: KioskRow, online: boolean) => ({
  kiosk_id: Number(k.kiosk_id),
  name: k.name,
  team_id: k.team_id == null ? null : Number(k.team_id),
  created_at: isoTimestamp(k.created_at),
  last_seen_at: isoOrNull(k.last_seen_at),
  revoked_at: isoOrNull(k.revoked_at),
  online,
});

/** Registers a kiosk and returns its device token, which is never shown again. */
export async function createKiosk(ctx: Ctx, input: { name: string; team_id: number | null }) {
  const db = sqlOf(ctx.em);
  if (input.team_id != null && !(await teams.exists(db, input.team_id))) {
    throw validationError([{ loc: ['body', 'team_id'], msg: `team ${input.team_id} does not exist`, type: 'value_error.foreign_key' }]);
  }
  const token = `${KIOSK_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return db.transaction(async (tx) => {
    const dto = kioskDto(await kiosks.insert(tx, { name: input.name, team_id: input.team_id, token_hash: hashSecretToken(token) }), false);
    await recordAudit(tx, ctx, { entity_type: 'kiosk', entity_id: dto.kiosk_id, action: 'create', after: dto });
    return { ...dto, token };
  });
}

export async function listKiosks(ctx: Ctx, query: { skip: number; limit: number; include_revoked: boolean }, online: (kioskId: number) => boolean) {
  const { rows, total } = await kiosks.list(sqlOf(ctx.em), query);
  return { items: rows.map((r) => kioskDto(r, online(Number(r.kiosk_id)))), total };
}

/** Revokes a kiosk: its token stops working and its live sockets are closed on every instance. */
export async function revokeKiosk(ctx: Ctx, kioskId: number) {
  await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await kiosks.revoke(tx, kioskId);
    if (!row) throw notFound('Kiosk', kioskId);
    await recordAudit(tx, ctx, { entity_type: 'kiosk', entity_id: kioskId, action: 'delete', after: kioskDto(row, false) });
  });
  ctx.bus.publish('kiosk.revoked', { kiosk_id: kioskId });
}

export type KioskIdentity = { kiosk_id: number; name: string; team_id: number | null };

/** Resolves a device token to a live (not revoked) kiosk, and notes that it was seen. */
export async function authenticateKiosk(sql: Sql, token: string): Promise<KioskIdentity | null> {
  if (!token.startsWith(KIOSK_TOKEN_PREFIX) || token.length > 100) return null;
  const row = await kiosks.seenByToken(sql, hashSecretToken(token));
  if (!row) return null;
  return { kiosk_id: Number(row.kiosk_id), name: row.name, team_id: row.team_id == null ? null : Number(row.team_id) };
}

/**
 * The short name a kiosk shows offline: the first name and the initial of the last ("Ana Pereira" → "Ana P."; a
 * single name as it is). Enough to confirm a punch to the person in front of the kiosk, and less of the directory
 * kept on a device at the door.
 */
export function shortName(name: string): string {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return parts[0] ?? '';
  return `${parts[0]} ${Array.from(parts[parts.length - 1])[0]}.`;
}

/** The badges a kiosk may punch (its team's active members, or every active person), with short names. */
export async function kioskRoster(sql: Sql, teamId: number | null): Promise<KioskRoster> {
  const rows = await employees.badgeHolders(sql, teamId);
  return { items: rows.map((r) => ({ badge: r.badge_id, name: shortName(r.name) })), generated_at: new Date().toISOString() };
}
