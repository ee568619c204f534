import * as v from 'valibot';
import { Email, Id, IdString, NonEmpty, Pagination } from '../../infra/schemas.ts';
import { PasswordSchema } from '../auth/index.ts';
import { ACCESS_LEVELS } from '../../infra/context.ts';

const BadgeId = v.nullable(
  // Badges compare case-insensitively: stored trimmed and upper-cased, as punches look them up.
  v.pipe(v.string('badge_id must be a string'), v.trim(), v.minLength(1, 'badge_id must not be empty'), v.maxLength(64, 'badge_id must be at most 64 characters'), v.regex(/^[\x21-\x7e]+$/, 'badge_id must be printable ASCII without spaces'), v.toUpperCase()),
);

const fields = {
  name: NonEmpty('name', 200),
  email: Email,
  team_id: v.nullable(Id('team_id')),
  role: v.nullable(v.pipe(v.string('role must be a string'), v.trim(), v.maxLength(100, 'role must be at most 100 characters'))),
  password: PasswordSchema,
  access: v.picklist(ACCESS_LEVELS, `access must be one of: ${ACCESS_LEVELS.join(', ')}`),
  badge_id: BadgeId,
  active: v.boolean('active must be true or false'),
};

export const EmployeeCreate = v.object({
  name: fields.name,
  email: fields.email,
  password: fields.password,
  team_id: v.optional(fields.team_id, null),
  role: v.optional(fields.role, null),
  access: v.optional(fields.access, 'employee'),
  badge_id: v.optional(fields.badge_id, null),
  active: v.optional(fields.active, true),
});

export const EmployeeUpdate = v.partial(v.object(fields));

export const EmployeeOut = v.object({
  employee_id: v.number(),
  name: v.string(),
  email: v.string(),
  team_id: v.nullable(v.number()),
  role: v.nullable(v.string()),
  access: v.picklist(ACCESS_LEVELS),
  badge_id: v.nullable(v.string()),
  active: v.boolean(),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
});

export const EmployeeParams = v.object({ employee_id: IdString('employee_id') });
export const EmployeeListQuery = v.object({
  ...Pagination,
  team_id: v.optional(IdString('team_id')),
  access: v.optional(fields.access),
  active: v.optional(v.pipe(v.picklist(['true', 'false'], 'active must be true or false'), v.transform((s) => s === 'true'))),
  q: v.optional(v.pipe(v.string(), v.maxLength(100)), undefined),
});

export type EmployeeCreateInput = v.InferOutput<typeof EmployeeCreate>;
export type EmployeeUpdateInput = v.InferOutput<typeof EmployeeUpdate>;
export type EmployeeListInput = v.InferOutput<typeof EmployeeListQuery>;
