/** The kiosks module's domain events. */
export type KioskRevoked = { kiosk_id: number };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** A kiosk's token no longer works: its open sockets close on every instance. */
    'kiosk.revoked': KioskRevoked;
  }
}
