import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ApiScope } from '../../infra/context.ts';
import { Employee } from '../employees/index.ts';

/** An integration's key: its scopes, and only the SHA-256 of the key itself (`ck_…`, shown once). */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    api_key_id: p.integer().primary().autoincrement(),
    name: p.string().length(100),
    scopes: p.json<ApiScope[]>(),
    key_hash: p.string().length(64).unique(),
    /** The key's first characters, to tell keys apart in a list (never enough to use it). */
    key_prefix: p.string().length(12),
    created_by: () => p.manyToOne(Employee).fieldName('created_by').nullable().deleteRule('set null'),
    created_at: p.datetime().onCreate(() => new Date()),
    last_used_at: p.datetime().nullable(),
    last_used_ip: p.string().length(64).nullable(),
    revoked_at: p.datetime().nullable(),
  },
});

export type IApiKey = InferEntity<typeof ApiKey>;
