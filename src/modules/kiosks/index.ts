export { Kiosk } from './kiosk.entity.ts';
export { kioskEndpoints } from './kiosks.routes.ts';
export { authenticateKiosk, KIOSK_TOKEN_PREFIX, type KioskIdentity } from './kiosks.service.ts';
export { kiosks } from './kiosks.repository.ts';
export type { KioskRevoked, KioskRoster } from './kiosks.events.ts';
export { kiosksSocket } from './kiosks.socket.ts';
