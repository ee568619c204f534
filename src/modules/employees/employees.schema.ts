import * as v from 'valibot';
import { Email, Id, IdString, NonEmpty, Pagination } from '../../infra/schemas.ts';
import { PasswordSchema } from '../auth/index.ts';
import { ACCESS_LEVELS } from '../../infra/context.ts';

const BadgeId = v.nullable(
  // Badges compare case-insensitively: stored trimmed and upper-cased, as punches look them up.
  v.pipe(v.string('badge_id must be a string'), v.trim(), v.minLength(1, 'badge_id must not be empty'), v.maxLength(64, 'badge_id must be at most 64 characters'), v.regex(/^[\x21-\x7e]+$/, 'badge_id must be printable ASCII without spaces'), v.toUpperCase()),
);

/** A kiosk PIN: 4 to 8 digits, as a string (leading zeros count). */
export const PinSchema = v.pipe(v.string('pin must be a string of 4 to 8 digits'), v.regex(/^\d{4,8}$/, 'pin must be 4 to 8 digits'));

/** What a person types at a kiosk with their PIN: stored trimmed and upper-cased, as kiosks look it up. */
export const EmployeeNumberSchema = v.pipe(
  v.string('employee_number must be a string'),
  v.trim(),
  v.minLength(1, 'employee_number must not be empty'),
  v.maxLength(32, 'employee_number must be at most 32 characters'),
  v.regex(/^[A-Za-z0-9._-]+$/, 'employee_number may contain only letters, digits, dots, dashes and underscores'),
  v.toUpperCase(),
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
  employee_number: v.nullable(EmployeeNumberSchema),
  /** Sets the kiosk PIN (only its hash is kept); null clears it. */
  pin: v.pipe(v.nullable(PinSchema), v.description('The kiosk PIN, 4 to 8 digits (stored as a bcrypt hash, never shown); null removes it.')),
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
  employee_number: v.optional(fields.employee_number, null),
  pin: v.optional(fields.pin, null),
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
  employee_number: v.pipe(v.nullable(v.string()), v.description('Typed at a kiosk with the PIN.')),
  has_pin: v.pipe(v.boolean(), v.description('Whether a kiosk PIN is set (the PIN itself is never shown).')),
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

/** PUT /me/pin: the caller's own PIN, confirmed with their password. */
export const OwnPin = v.object({
  pin: fields.pin,
  current_password: v.pipe(v.string('current_password must be a string'), v.minLength(1, 'current_password is required'), v.maxLength(200, 'current_password is too long')),
});

/** GET /me/profile: the signed-in person as their own page needs them. */
export const ProfileOut = v.object({
  employee_id: v.number(),
  name: v.string(),
  email: v.string(),
  access: v.picklist(ACCESS_LEVELS),
  role: v.nullable(v.string()),
  team_id: v.nullable(v.number()),
  team_name: v.nullable(v.string()),
  timezone: v.pipe(v.string(), v.description('The zone of their dates and times: their team’s, else the organisation’s TIMEZONE.')),
  web_punch: v.pipe(v.boolean(), v.description('Their team lets members check in and out from their own page (false without a team).')),
  employee_number: v.nullable(v.string()),
  has_pin: v.boolean(),
  has_badge: v.boolean(),
});

export type EmployeeCreateInput = v.InferOutput<typeof EmployeeCreate>;
export type EmployeeUpdateInput = v.InferOutput<typeof EmployeeUpdate>;
export type EmployeeListInput = v.InferOutput<typeof EmployeeListQuery>;
