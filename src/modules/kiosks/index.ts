export { Kiosk } from './kiosk.entity.ts';
export { kioskEndpoints } from './kiosks.routes.ts';
export { authenticateKiosk, touchKiosk, KIOSK_TOKEN_PREFIX, type KioskIdentity } from './kiosks.service.ts';
