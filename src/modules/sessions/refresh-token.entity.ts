import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Employee } from '../employees/index.ts';

/** A refresh token (only its SHA-256 is kept): single use, rotated on every use, in the family of one sign-in. */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    token_id: p.integer().primary().autoincrement(),
    employee: () => p.manyToOne(Employee).fieldName('employee_id').deleteRule('cascade'),
    token_hash: p.string().length(64).unique(),
    family: p.string().length(32).index(),
    /** The employee's token_version when issued: a revocation since refuses it. */
    token_version: p.integer(),
    expires_at: p.datetime(),
    used_at: p.datetime().nullable(),
    revoked_at: p.datetime().nullable(),
    created_at: p.datetime().onCreate(() => new Date()),
  },
});

export type IRefreshToken = InferEntity<typeof RefreshToken>;
