/** The live board's socket events. */
import type { Ack } from '../../infra/socket-contract.ts';

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
