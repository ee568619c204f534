import { randomBytes } from 'node:crypto';
import type { AuthUser, Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { notFound } from '../../infra/errors.ts';
import { isoOrNull, isoTimestamp } from '../../infra/time.ts';
import type { ApiScope } from '../../infra/context.ts';
import { recordAudit } from '../audit/index.ts';
import { hashSecretToken } from '../auth/index.ts';
import { apiKeys, scopesOf, type ApiKeyRow } from './api-keys.repository.ts';

/** API keys start with this, so a bearer token can be told from a JWT at a glance. */
export const API_KEY_PREFIX = 'ck_';
const KEY_SHAPE = /^ck_[A-Za-z0-9_-]{43}$/;

const keyDto = (k: ApiKeyRow) => ({
  api_key_id: Number(k.api_key_id),
  name: k.name,
  scopes: scopesOf(k),
  key_prefix: k.key_prefix,
  created_by: k.created_by == null ? null : Number(k.created_by),
  created_at: isoTimestamp(k.created_at),
  last_used_at: isoOrNull(k.last_used_at),
  last_used_ip: k.last_used_ip,
  revoked_at: isoOrNull(k.revoked_at),
});

/** Makes a key and returns it once (`key`); only its SHA-256 is kept. */
export async function createApiKey(ctx: Ctx, input: { name: string; scopes: ApiScope[] }) {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return sqlOf(ctx.em).transaction(async (tx) => {
    const scopes = [...new Set(input.scopes)].sort();
    const row = await apiKeys.insert(tx, { name: input.name, scopes, key_hash: hashSecretToken(key), key_prefix: key.slice(0, 10), created_by: ctx.user?.employee_id || null });
    const dto = keyDto(row);
    await recordAudit(tx, ctx, { entity_type: 'api_key', entity_id: dto.api_key_id, action: 'create', after: dto });
    return { ...dto, key };
  });
}

export async function listApiKeys(ctx: Ctx, opts: { skip: number; limit: number; include_revoked: boolean }) {
  const { rows, total } = await apiKeys.list(sqlOf(ctx.em), opts);
  return { items: rows.map(keyDto), total };
}

/** Revokes a key: from the next request on it is refused, on every instance (keys are looked up on every request). */
export async function revokeApiKey(ctx: Ctx, id: number) {
  await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await apiKeys.revoke(tx, id);
    if (!row) throw notFound('API key', id);
    await recordAudit(tx, ctx, { entity_type: 'api_key', entity_id: id, action: 'delete', before: keyDto(row) });
  });
}

export const isApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);

/**
 * The caller a live key stands for: the organisation (admin's reach) within the key's scopes, `employee_id` 0 (no
 * person), named after the key. Null for a malformed, unknown or revoked key. Its use (time, address) is noted.
 */
export async function authenticateApiKey(sql: Sql, key: string, ip: string | null): Promise<AuthUser | null> {
  if (!KEY_SHAPE.test(key)) return null;
  const row = await apiKeys.live(sql, hashSecretToken(key));
  if (!row) return null;
  const id = Number(row.api_key_id);
  const recent = row.last_used_at && Date.now() - new Date(row.last_used_at).getTime() < 60_000;
  if (!recent) await apiKeys.touch(sql, id, ip);
  return { employee_id: 0, access: 'admin', team_id: null, name: `API key ${row.name}`, api_key_id: id, scopes: scopesOf(row) };
}
