import type { Ctx } from '../../infra/context.ts';
import type { Em } from '../../infra/db.ts';
import { AuditLog } from './audit.entity.ts';

/** Records a change in the same unit of work as the change itself. */
export function recordAudit(
  em: Em,
  ctx: Pick<Ctx, 'user' | 'device'>,
  entry: { entity_type: string; entity_id: number; action: 'create' | 'update' | 'delete'; before?: object | null; after?: object | null },
) {
  em.create(AuditLog, {
    entity_type: entry.entity_type,
    entity_id: entry.entity_id,
    action: entry.action,
    actor_id: ctx.user?.employee_id ?? null,
    actor_kind: ctx.user ? ctx.user.access : ctx.device ? 'kiosk' : 'system',
    before: (entry.before ?? null) as Record<string, unknown> | null,
    after: (entry.after ?? null) as Record<string, unknown> | null,
  });
}
