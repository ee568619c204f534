import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { KioskCreate, KioskCreated, KioskListQuery, KioskOut, KioskParams } from './kiosks.schema.ts';
import { createKiosk, listKiosks, revokeKiosk } from './kiosks.service.ts';

const tag = 'Kiosks';

export const kioskEndpoints = [
  endpoint(
    {
      method: 'post', path: '/kiosks/', tag, summary: 'Register a kiosk', access: ['admin'], body: KioskCreate, response: KioskCreated, status: 201,
      description:
        'Returns the device `token` once (only its hash is stored). The kiosk connects to the socket with ' +
        '`io(url, { auth: { token } })`. With `team_id`, it accepts only that team’s badges.',
    },
    async (c, { body }) => c.json(await createKiosk(ctxOf(c), body), 201),
  ),
  endpoint(
    {
      method: 'get', path: '/kiosks/', tag, summary: 'List kiosks', access: ['admin'], query: KioskListQuery, response: KioskOut, list: true,
      description: 'With `last_seen_at` and whether a socket of the kiosk is connected to any instance (`online`). Revoked kiosks with `include_revoked=true`.',
    },
    async (c, { query }) => {
      const online = (await c.get('deps').presence?.onlineKiosks()) ?? new Set<number>();
      return listResponse(c, await listKiosks(ctxOf(c), query, (id) => online.has(id)));
    },
  ),
  endpoint(
    {
      method: 'delete', path: '/kiosks/{kiosk_id}', tag, summary: 'Revoke a kiosk', access: ['admin'], params: KioskParams, status: 204,
      description: 'The token stops working at once and the kiosk’s live sockets are disconnected on every instance.',
    },
    async (c, { params }) => {
      await revokeKiosk(ctxOf(c), params.kiosk_id);
      return c.body(null, 204);
    },
  ),
];
