import { rooms, type Broadcaster, type Numbered } from '../../infra/broadcast.ts';
import type { Bus } from '../../infra/bus.ts';
import { delivery } from '../../infra/socket-contract.ts';
import type { AttendanceChange } from './attendance.events.ts';

/**
 * Who hears of a change: the boards of the record's team and every socket of the person, once per socket, with the
 * team's next number.
 */
export const changeToSockets = (change: AttendanceChange): Numbered => ({
  team: change.team_id,
  deliver: (seq) =>
    delivery(change.team_id === null ? [rooms.user(change.employee.employee_id)] : [rooms.user(change.employee.employee_id), rooms.team(change.team_id)], 'attendance:changed', {
      ...change,
      seq,
    }),
});

/** Every committed change of this process goes to the sockets (of every instance) as it is published. */
export function broadcastAttendanceChanges(bus: Bus, broadcast: Broadcaster) {
  return bus.subscribe('attendance.changed', (change) => void broadcast.numbered([changeToSockets(change)]));
}
