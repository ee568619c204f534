import * as v from 'valibot';
import { sqlOf } from '../../infra/db.ts';
import { forbidden } from '../../infra/errors.ts';
import type { SocketHandlers } from '../realtime/index.ts';
import { kioskRoster } from './kiosks.service.ts';

const RosterPayload = v.nullish(v.strictObject({}, 'kiosk:roster takes no fields'));

/** `kiosk:roster`: a kiosk's badge → name list for offline confirmations. Kiosks authenticate on the socket only. */
export const kiosksSocket: SocketHandlers = ({ on, who }) => {
  on(
    'kiosk:roster',
    RosterPayload,
    async (ctx) => {
      if (who.kind !== 'kiosk') throw forbidden('Only kiosks fetch a roster');
      return kioskRoster(sqlOf(ctx.em), who.team_id);
    },
    { unitOfWork: false },
  );
};
