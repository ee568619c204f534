// Live boards: an admin socket per instance that watches every team through the faults.
// (apply `attendance:changed` in seq order; on a gap, a counter that went back, `board:refresh` or a reconnect, take a
// fresh snapshot with board:join). Informational: what a board that stayed open shows at the end.
import { io } from 'socket.io-client';
import type { BoardSnapshot } from '../../src/modules/boards/index.ts';
import type { ServerToClient } from '../../src/modules/realtime/events.ts';
import type { Client } from '../../harness/index.ts';
import { hubs } from './state.ts';

export type Member = { status: string | null; check_in_time: string | null; check_out_time: string | null };
export type AttendanceChange = Parameters<ServerToClient['attendance:changed']>[0];

export class BoardWatcher {
  readonly hubIndex: number;
  readonly token: string;
  readonly teams: number[];
  socket: Client | null = null;
  readonly boards = new Map<number, { seq: number; members: Map<number, Member>; joining: AttendanceChange[] | null }>();
  rejoins = 0;
  applied = 0;
  /** Every change received, to explain a stale member: employee → [seq, team, what it says, what became of it]. */
  readonly history = new Map<number, string[]>();
  closed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(hubIndex: number, token: string, teams: number[]) {
    this.hubIndex = hubIndex;
    this.token = token;
    this.teams = teams;
  }

  connect() {
    if (this.closed) return;
    const hub = hubs[this.hubIndex];
    if (!hub?.url) return this.#later();
    const socket: Client = io(hub.url, { transports: ['websocket'], auth: { token: this.token }, reconnection: false, forceNew: true, timeout: 5_000 });
    this.socket = socket;
    socket.on('connect', () => {
      for (const team of this.teams) void this.join(team);
    });
    const lost = () => {
      socket.removeAllListeners();
      socket.close();
      if (this.socket === socket) this.socket = null;
      this.#later();
    };
    socket.on('connect_error', lost);
    socket.on('disconnect', lost);
    socket.on('attendance:changed', (change) => this.#onChange(change));
    socket.on('board:refresh', ({ team_id }) => void this.join(team_id));
  }

  #later() {
    if (this.closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.connect();
    }, 500 + Math.random() * 500);
  }

  async join(team: number) {
    const socket = this.socket;
    if (!socket?.connected || this.closed) return;
    const board = this.boards.get(team) ?? { seq: 0, members: new Map(), joining: null };
    this.boards.set(team, board);
    if (board.joining) return; // already joining: the snapshot will be fresh
    board.joining = [];
    this.rejoins++;
    try {
      const ack = await socket.timeout(10_000).emitWithAck('board:join', { team_id: team });
      if (!ack.ok) throw new Error(ack.error.code);
      const snap = ack as { ok: true } & BoardSnapshot;
      for (const m of snap.members) {
        const list = this.history.get(m.employee_id);
        if (list) list.push(`snapshot seq ${snap.seq}: ${m.check_in_time?.slice(11, 23) ?? '-'}–${m.check_out_time?.slice(11, 23) ?? '-'}`);
      }
      board.members = new Map(snap.members.map((m) => [m.employee_id, { status: m.status, check_in_time: m.check_in_time, check_out_time: m.check_out_time }]));
      board.seq = snap.seq;
      const buffered = board.joining.sort((x, y) => x.seq - y.seq);
      board.joining = null;
      for (const change of buffered) if (change.seq > board.seq) this.#onChange(change);
    } catch {
      board.joining = null;
      setTimeout(() => void this.join(team), 500);
    }
  }

  #note(change: AttendanceChange, fate: string) {
    const r = change.record;
    const list = this.history.get(change.employee.employee_id) ?? [];
    list.push(`seq ${change.seq} ${change.action} ${r.check_in_time ? new Date(r.check_in_time).toISOString().slice(11, 23) : '-'}–${r.check_out_time ? new Date(r.check_out_time).toISOString().slice(11, 23) : '-'} (${fate} at ${new Date().toISOString().slice(11, 23)})`);
    this.history.set(change.employee.employee_id, list.slice(-6));
  }

  #onChange(change: AttendanceChange) {
    if (change.team_id == null) return;
    const board = this.boards.get(change.team_id);
    if (!board) return;
    if (board.joining) {
      this.#note(change, 'held during a join');
      return void board.joining.push(change);
    }
    if (change.seq !== board.seq + 1) {
      this.#note(change, `dropped, board at seq ${board.seq}: re-join`);
      return void this.join(change.team_id); // a gap, or the counter went back
    }
    this.#note(change, 'applied');
    board.seq = change.seq;
    this.applied++;
    const r = change.record;
    board.members.set(change.employee.employee_id, change.action === 'deleted'
      ? { status: null, check_in_time: null, check_out_time: null }
      : { status: r.status, check_in_time: r.check_in_time ? new Date(r.check_in_time).toISOString() : null, check_out_time: r.check_out_time ? new Date(r.check_out_time).toISOString() : null });
  }

  close() {
    this.closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.socket?.removeAllListeners();
    this.socket?.close();
  }
}
