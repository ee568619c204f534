// The hub's board watchers: one socket that joined a team's board and reports each `attendance:changed` with the size
// of its frame; over the bare wire protocol (--hub-client raw) or socket.io-client (--hub-client socket.io).
import type { AttendanceChanged } from '../../src/modules/attendance/index.ts';
import { openSocket, openWireSocket } from '../../harness/index.ts';
import { EMIT_TIMEOUT_MS } from './options.ts';

export type Watcher = { close: () => void };
export type OnChanged = (change: AttendanceChanged, frameBytes: number) => void;

/**
 * A board watcher speaking the Engine.IO 4 / Socket.IO 5 wire protocol over a plain `ws` client (--hub-client raw, the
 * default): CONNECT with `auth: { token }`, `board:join` with an ack, `attendance:changed` events decoded with one
 * JSON.parse, pings answered. The work per message is then the same as the ws baseline's watcher (one JSON.parse), so
 * the comparison is of the servers, not of socket.io-client against a bare ws client.
 */
export async function openRawWatcher(base: string, token: string, team: number, onChanged: OnChanged): Promise<Watcher> {
  const socket = await openWireSocket(base, token, 30_000);
  try {
    const ack = await socket.emitWithAck('board:join', { team_id: team }, EMIT_TIMEOUT_MS);
    if (!ack.ok) throw new Error(`board:join ${team}: ${ack.error?.code} ${ack.error?.message}`);
  } catch (error) {
    socket.close();
    throw error;
  }
  socket.on('attendance:changed', onChanged);
  return socket;
}

/** A board watcher on socket.io-client (--hub-client socket.io): what a browser page runs. */
export async function openClientWatcher(base: string, token: string, team: number, onChanged: OnChanged): Promise<Watcher> {
  const socket = await openSocket(base, token, { timeoutMs: 30_000 });
  try {
    const ack = await socket.timeout(EMIT_TIMEOUT_MS).emitWithAck('board:join', { team_id: team });
    if (!ack.ok) throw new Error(`board:join ${team}: ${ack.error.code} ${ack.error.message}`);
  } catch (error) {
    socket.close();
    throw error;
  }
  // The frame on the wire is 42["attendance:changed",{…},"<offset>"]: its size, from the arguments (first one only).
  let sized = false;
  socket.onAny((event: string, ...rest: unknown[]) => {
    if (event !== 'attendance:changed') return;
    onChanged(rest[0] as AttendanceChanged, sized ? NaN : Buffer.byteLength(`42${JSON.stringify([event, ...rest])}`));
    sized = true;
  });
  return { close: () => socket.close() };
}
