/**
 * The socket contract, for the server and for clients (`io<ServerToClient, ClientToServer>(url, { auth: { token } })`).
 * Requests are `domain:verb` with an acknowledgement; broadcasts are `domain:changed`.
 */
import type { RecordDto } from '../attendance/index.ts';
import type { SummaryBody } from '../summaries/index.ts';

export type SessionEndReason = 'token_expired' | 'deactivated' | 'revoked' | 'access_changed' | 'too_many_connections';

export type ErrorAck = { ok: false; error: { code: string; message: string; retry_after?: number } };
export type Ack<T> = ({ ok: true } & T) | ErrorAck;

export type CheckRequest = { badge_id?: string; employee_id?: number; client_event_id?: string; occurred_at?: string };
export type CheckResult = { action: 'check_in' | 'check_out'; duplicate: boolean; record: RecordDto };

export type BoardState = 'present' | 'late' | 'remote' | 'absent' | 'on_leave' | 'not_in_yet' | 'checked_out';
export type BoardMember = {
  employee_id: number;
  name: string;
  /** The record's status, or null when there is no record today. */
  status: string | null;
  /** Where the member counts on the board (one state each). */
  state: BoardState;
  check_in_time: string | null;
  check_out_time: string | null;
  /** When today's record last changed: an `attendance:changed` with an older `record.updated_at` is stale. */
  updated_at: string | null;
};
export type BoardSnapshot = {
  team_id: number;
  team_name: string;
  date: string;
  /** The team's change counter when the snapshot was taken; changes after it carry higher numbers. */
  seq: number;
  members: BoardMember[];
  counts: Record<BoardState, number>;
};

export type AttendanceChanged = {
  action: 'check_in' | 'check_out' | 'created' | 'updated' | 'deleted';
  team_id: number | null;
  /** Per-team sequence number: a gap means a change was missed, so re-join for a fresh snapshot. */
  seq: number;
  record: RecordDto;
  employee: { employee_id: number; name: string };
};

export interface ClientToServer {
  'attendance:check': (payload: CheckRequest, ack: (result: Ack<CheckResult>) => void) => void;
  'board:join': (payload: { team_id: number }, ack: (result: Ack<BoardSnapshot>) => void) => void;
  'board:leave': (payload: { team_id: number }, ack: (result: Ack<{ team_id: number }>) => void) => void;
  /** Admins only. The answer streams back as assistant:step / assistant:delta / assistant:done | assistant:error. */
  'assistant:ask': (payload: { message: string; request_id?: string }, ack: (result: Ack<{ request_id: string }>) => void) => void;
}

export type AssistantStep = { request_id: string; tool: string; args: Record<string, unknown> };
export type AssistantDelta = { request_id: string; text: string };
export type AssistantDone = { request_id: string; response: string; tools_used: { name: string; args: Record<string, unknown> }[]; data: unknown };
export type AssistantError = { request_id: string; code: string; message: string };

export type MissingCheckOut = {
  team_id: number;
  date: string;
  records: { record_id: number; employee_id: number; name: string; check_in_time: string | null }[];
};

export interface ServerToClient {
  'attendance:changed': (change: AttendanceChanged) => void;
  /** A team's or the organisation's summary changed (team boards and admins). The body is GET /summarize_attendance/'s. */
  'summary:updated': (summary: SummaryBody) => void;
  /** The end-of-day rule found check-ins without a check-out (the team's boards). */
  'attendance:missing_check_out': (info: MissingCheckOut) => void;
  /** Too many changes at once to send one by one: take a fresh snapshot (board:join). */
  'board:refresh': (info: { team_id: number; seq: number; reason: string; date?: string }) => void;
  'assistant:step': (step: AssistantStep) => void;
  'assistant:delta': (delta: AssistantDelta) => void;
  'assistant:done': (done: AssistantDone) => void;
  'assistant:error': (error: AssistantError) => void;
  /** Sent just before the server closes the socket (token expired, user deactivated, tokens or kiosk revoked, too many sockets). */
  'session:ended': (info: { reason: SessionEndReason }) => void;
}

/** One broadcast: the rooms it goes to and the change. */
export type ChangeDelivery = { rooms: string[]; change: AttendanceChanged };

/** Between hub instances (through the Socket.IO adapter): each instance delivers to its own sockets. */
export interface InterServer {
  /** A numbered group of one team's changes, in order: ChangeDelivery[] as JSON (the adapter's own encoding, msgpack
   * in JavaScript, costs several times more for objects this size than JSON.stringify and JSON.parse). */
  'attendance:changes': (deliveriesJson: string) => void;
}

export type SocketIdentity =
  | { kind: 'user'; employee_id: number; access: 'admin' | 'manager' | 'employee'; team_id: number | null; name: string; exp: number; ver: number }
  | { kind: 'kiosk'; kiosk_id: number; name: string; team_id: number | null };

export type SocketData = { who: SocketIdentity };
