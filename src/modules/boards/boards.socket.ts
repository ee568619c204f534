import * as v from 'valibot';
import { rooms } from '../../infra/broadcast.ts';
import { AppError } from '../../infra/errors.ts';
import { Id } from '../../infra/schemas.ts';
import type { SocketHandlers } from '../realtime/index.ts';
import { assertCanWatch, assertTeamExists, teamSnapshot } from './board.service.ts';

const BoardPayload = v.strictObject({ team_id: Id('team_id') }, 'payload must be { team_id }');

/** `board:join` (a snapshot, then the team's changes as they happen) and `board:leave`. */
export const boardsSocket: SocketHandlers = ({ on, who, socket, deps }) => {
  on('board:join', BoardPayload, async (ctx, { team_id }) => {
    if (who.kind !== 'user') throw new AppError(403, 'forbidden', 'Kiosks do not watch boards');
    assertCanWatch(ctx, team_id);
    // The team must exist before the socket joins its room (an admin may watch any team, but not one that is not).
    await assertTeamExists(ctx, team_id);
    // Join first, then read the counter: any change after the snapshot carries a higher number.
    await socket.join(rooms.team(team_id));
    try {
      return await teamSnapshot(ctx, team_id, await deps.broadcast.current(team_id));
    } catch (error) {
      await socket.leave(rooms.team(team_id));
      throw error;
    }
  });

  on('board:leave', BoardPayload, async (_ctx, { team_id }) => {
    await socket.leave(rooms.team(team_id));
    return { team_id };
  });
};
