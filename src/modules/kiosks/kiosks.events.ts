/** The kiosks module's domain events, and its socket request. */
import type { Ack } from '../../infra/socket-contract.ts';

export type KioskRevoked = { kiosk_id: number };

/**
 * The names a kiosk shows for badges while it is offline: the badges it may punch (its team's active members when
 * it serves one team, else every active person with a badge), normalised as punches look them up (trimmed, upper
 * case), with a short name (first name and the initial of the last: "Ana P.").
 */
export type KioskRoster = { items: { badge: string; name: string }[]; generated_at: string };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** A kiosk's token no longer works: its open sockets close on every instance. */
    'kiosk.revoked': KioskRevoked;
  }
}

declare module '../../infra/socket-contract.ts' {
  interface ClientToServer {
    /** Kiosks only: the badge → name list to keep for offline confirmations (refresh it whenever the socket (re)connects). */
    'kiosk:roster': (payload: Record<string, never> | null | undefined, ack: (result: Ack<KioskRoster>) => void) => void;
  }
}
