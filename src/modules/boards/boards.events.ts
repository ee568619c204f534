/** The live board's socket events. */
import type { Ack } from '../../infra/socket-contract.ts';
import type { BoardState } from './board.rules.ts';

export type { BoardState };

export type BoardMember = {
  employee_id: number;
  name: string;
  /** The day's record (null: none yet), for corrections from the board. */
  record_id: number | null;
  /** The record's status (Present, Late, …), or null when there is no record today. */
  status: string | null;
  /** The record's date: the board's, or the day before for someone still in from a night shift begun then. */
  attendance_date: string | null;
  /** Where the member counts on the board (one state each): board.rules.ts. */
  state: BoardState;
  /** In the building now (the last stay is open), or not. */
  presence: 'in' | 'out';
  check_in_time: string | null;
  check_out_time: string | null;
  intervals: { check_in_time: string; check_out_time: string | null; auto_closed?: boolean }[];
  worked_minutes: number;
  /** Expected today (a shift, no holiday), the shift, and the moment after which someone not in is overdue. */
  expected: boolean;
  shift_start: string | null;
  shift_end: string | null;
  late_after: string | null;
  /** When today's record last changed: an `attendance:changed` with an older `record.updated_at` is stale. */
  updated_at: string | null;
};

export type BoardSnapshot = {
  team_id: number;
  team_name: string;
  date: string;
  /** The team's change counter when the snapshot was taken; changes after it carry higher numbers. */
  seq: number;
  /** The zone of the date and of the shifts (the team's). */
  timezone: string;
  members: BoardMember[];
  /** Members per state (they add up to the team), `in_now` (presence in) and `late` (status Late). */
  counts: Record<BoardState | 'in_now' | 'late', number>;
};

declare module '../../infra/socket-contract.ts' {
  interface ClientToServer {
    'board:join': (payload: { team_id: number }, ack: (result: Ack<BoardSnapshot>) => void) => void;
    'board:leave': (payload: { team_id: number }, ack: (result: Ack<{ team_id: number }>) => void) => void;
  }
  interface ServerToClient {
    /** Too many changes at once to send one by one: take a fresh snapshot (board:join). */
    'board:refresh': (info: { team_id: number; seq: number; reason: string; date?: string }) => void;
  }
}
