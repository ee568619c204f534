import * as v from 'valibot';
import { jsonValue, sqlOf } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { IdString, IsoDate, Pagination } from '../../infra/schemas.ts';
import { addDays, isoTimestamp, zonedTimeToInstant } from '../../infra/time.ts';
import { AUDIT_ACTIONS } from './audit.entity.ts';
import { auditLog } from './audit.repository.ts';

const AuditQuery = v.object({
  ...Pagination,
  entity_type: v.optional(v.pipe(v.string(), v.regex(/^[a-z_]{1,30}$/, 'entity_type is a word such as employee, team, attendance, kiosk'))),
  entity_id: v.optional(IdString('entity_id')),
  actor_id: v.optional(IdString('actor_id')),
  date_from: v.optional(IsoDate('date_from')),
  date_to: v.optional(IsoDate('date_to')),
});

const AuditOut = v.object({
  audit_id: v.number(),
  entity_type: v.string(),
  entity_id: v.number(),
  action: v.pipe(v.picklist(AUDIT_ACTIONS), v.description('A change (create, update, delete), or a step of a correction request (request, approve, reject, cancel).')),
  actor_id: v.pipe(v.nullable(v.number()), v.description('The employee who made the change (null: a kiosk or the system).')),
  actor_kind: v.pipe(v.string(), v.description('The actor’s access level (admin, manager, employee), or kiosk or system.')),
  before: v.nullable(v.record(v.string(), v.unknown())),
  after: v.nullable(v.record(v.string(), v.unknown())),
  at: v.pipe(v.string(), v.isoTimestamp()),
});

export const auditEndpoints = [
  endpoint(
    {
      method: 'get', path: '/audit/', tag: 'Audit', summary: 'The audit trail', access: ['admin'], query: AuditQuery, response: AuditOut, list: true,
      description:
        'Every create, change and delete of employees, teams, records, schedules, holidays and kiosks, and every step of a correction ' +
        'request (`entity_type` `attendance_correction`: request, approve, reject, cancel), with who did it and the values ' +
        'before and after; newest first. `date_from` / `date_to` are local dates in TIMEZONE.',
    },
    async (c, { query }) => {
      const ctx = ctxOf(c);
      if (query.date_from && query.date_to && query.date_to < query.date_from) throw new AppError(422, 'validation_error', 'date_to must not be before date_from');
      const tz = ctx.config.timezone;
      const { rows, total } = await auditLog.list(
        sqlOf(ctx.em),
        {
          entity_type: query.entity_type,
          entity_id: query.entity_id,
          actor_id: query.actor_id,
          from: query.date_from ? zonedTimeToInstant(query.date_from, '00:00', tz) : undefined,
          before: query.date_to ? zonedTimeToInstant(addDays(query.date_to, 1), '00:00', tz) : undefined,
        },
        query,
      );
      const parse = (j: unknown) => jsonValue<Record<string, unknown> | null>(j);
      const items = rows.map((r) => ({
        audit_id: Number(r.audit_id), entity_type: r.entity_type, entity_id: Number(r.entity_id), action: r.action,
        actor_id: r.actor_id == null ? null : Number(r.actor_id), actor_kind: r.actor_kind, before: parse(r.before), after: parse(r.after), at: isoTimestamp(r.at),
      }));
      return listResponse(c, { items, total });
    },
  ),
];
