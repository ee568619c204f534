import { rooms, type Broadcaster } from '../../infra/broadcast.ts';
import type { Bus } from '../../infra/bus.ts';
import { delivery } from '../../infra/socket-contract.ts';
import type { CorrectionDto } from './corrections.service.ts';
import './corrections.events.ts';

/** The approvers' room of a request: the boards of the person's team, or the admins for a person without a team. */
const approvers = (c: CorrectionDto) => (c.team_id === null ? rooms.admins : rooms.team(c.team_id));

const unique = (names: string[]) => [...new Set(names)];

/** A new request: the approvers' boards, and the person (who may not be the one who asked). */
export const requestedToSockets = (c: CorrectionDto) => delivery(unique([approvers(c), rooms.user(c.employee_id)]), 'correction:requested', c);

/** The outcome: the requester, the person, and the approvers' boards (which drop it from their inbox). */
export const resolvedToSockets = (c: CorrectionDto) =>
  delivery(unique([...(c.requested_by === null ? [] : [rooms.user(c.requested_by)]), rooms.user(c.employee_id), approvers(c)]), 'correction:resolved', c);

/** Every committed request and outcome of this process goes to the sockets (of every instance) as it is published. */
export function broadcastCorrections(bus: Bus, broadcast: Broadcaster) {
  const offRequested = bus.subscribe('correction.requested', (c) => broadcast.send([requestedToSockets(c)]));
  const offResolved = bus.subscribe('correction.resolved', (c) => broadcast.send([resolvedToSockets(c)]));
  return () => {
    offRequested();
    offResolved();
  };
}
