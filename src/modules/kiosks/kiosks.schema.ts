import * as v from 'valibot';
import { Id, IdString, NonEmpty, RevocableListQuery } from '../../infra/schemas.ts';

export const KioskCreate = v.object({
  name: NonEmpty('name', 100),
  team_id: v.optional(v.nullable(Id('team_id')), null),
});

export const KioskOut = v.object({
  kiosk_id: v.number(),
  name: v.string(),
  team_id: v.nullable(v.number()),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  last_seen_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  revoked_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  online: v.boolean(),
});

export const KioskCreated = v.object({
  ...KioskOut.entries,
  token: v.pipe(v.string(), v.description('The device token: shown once, store it on the kiosk.')),
});

export const KioskParams = v.object({ kiosk_id: IdString('kiosk_id') });
export const KioskListQuery = RevocableListQuery;
