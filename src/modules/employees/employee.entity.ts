import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ACCESS_LEVELS } from '../../infra/context.ts';
import { Team } from '../teams/index.ts';

export const Employee = defineEntity({
  name: 'Employee',
  tableName: 'employees',
  properties: {
    employee_id: p.integer().primary().autoincrement(),
    name: p.string().length(200),
    /** Stored lower-cased, so the unique index makes it case-insensitive. */
    email: p.string().length(254).unique(),
    team: () => p.manyToOne(Team).nullable().fieldName('team_id').deleteRule('set null').index(),
    role: p.string().length(100).nullable(),
    access: p.enum(ACCESS_LEVELS).default('employee'),
    password_hash: p.string().length(100).hidden().lazy(),
    badge_id: p.string().length(64).nullable().unique(),
    /** What a person types at a kiosk with their PIN; stored trimmed and upper-cased, like badges. */
    employee_number: p.string().length(32).nullable().unique(),
    /** The bcrypt hash of the kiosk PIN (null: no PIN). Never leaves the server; outputs say `has_pin`. */
    pin_hash: p.text().nullable().hidden().lazy(),
    active: p.boolean().default(true),
    /** Tokens carry the version they were issued at; raising it (password or access change, deactivation,
     * POST /token/revoke) refuses every token issued before. */
    token_version: p.integer().default(0),
    created_at: p.datetime().onCreate(() => new Date()),
    updated_at: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type IEmployee = InferEntity<typeof Employee>;
