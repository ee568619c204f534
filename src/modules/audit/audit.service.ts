import type { Ctx } from '../../infra/context.ts';
import type { Sql } from '../../infra/db.ts';
import { auditLog, type AuditEntry } from './audit.repository.ts';

/** Who acts, as the trail names them: an API key by its id, a person by id and access level, else a kiosk, else the system. */
export const actorOf = (ctx: Pick<Ctx, 'user' | 'device'>) =>
  ctx.user?.api_key_id !== undefined
    ? { actor_id: ctx.user.api_key_id, actor_kind: 'api_key' }
    : { actor_id: ctx.user?.employee_id ?? null, actor_kind: ctx.user ? ctx.user.access : ctx.device ? 'kiosk' : 'system' };

/** Records a change in the same transaction as the change itself. */
export function recordAudit(
  tx: Sql,
  ctx: Pick<Ctx, 'user' | 'device'>,
  entry: { entity_type: string; entity_id: number; action: AuditEntry['action']; before?: object | null; after?: object | null },
) {
  return auditLog.insert(tx, [{ ...entry, ...actorOf(ctx), before: entry.before ?? null, after: entry.after ?? null }]);
}
