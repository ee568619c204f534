/**
 * Correction requests' events: on the bus (after a commit) and on the sockets (the approvers' boards hear of a new
 * request; the requester, the person and the boards hear of its outcome).
 */
import type { CorrectionDto } from './corrections.service.ts';

export type { CorrectionDto };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** A request was made (pending). */
    'correction.requested': CorrectionDto;
    /** A request was approved, rejected or withdrawn (`status` says which). */
    'correction.resolved': CorrectionDto;
  }
}

declare module '../../infra/socket-contract.ts' {
  interface ServerToClient {
    /** A new pending request, for the boards of the person's team (admins: of a person without a team) and the person. */
    'correction:requested': (correction: CorrectionDto) => void;
    /** A request decided or withdrawn: to the requester, the person, and the team's boards (to drop it from their inbox). */
    'correction:resolved': (correction: CorrectionDto) => void;
  }
}
