import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Team } from '../teams/index.ts';

/** A door device. Its token is shown once; only its SHA-256 is kept. */
export const Kiosk = defineEntity({
  name: 'Kiosk',
  tableName: 'kiosks',
  properties: {
    kiosk_id: p.integer().primary().autoincrement(),
    name: p.string().length(100),
    /** When set, the kiosk accepts badges of this team only. */
    team: () => p.manyToOne(Team).nullable().fieldName('team_id').deleteRule('set null'),
    token_hash: p.string().length(64).unique(),
    created_at: p.datetime().onCreate(() => new Date()),
    last_seen_at: p.datetime().nullable(),
    revoked_at: p.datetime().nullable(),
  },
});

export type IKiosk = InferEntity<typeof Kiosk>;
