/**
 * The attendance module's events: on the bus (after a commit) and on the sockets (the punch request, the changes
 * boards and people receive, the end-of-day's missing check-outs).
 */
import type { Ack } from '../../infra/socket-contract.ts';
import type { RecordDto } from './attendance.records.ts';

/** A committed change of an attendance record. */
export type AttendanceChange = {
  action: 'check_in' | 'check_out' | 'created' | 'updated' | 'deleted';
  team_id: number | null;
  employee: { employee_id: number; name: string };
  record: RecordDto;
};

/** A change as boards receive it: numbered per team (a gap means one was missed: re-join for a fresh snapshot). */
export type AttendanceChanged = AttendanceChange & { seq: number };

/** `intent`: auto (default) toggles in and out; check_in / check_out ask for one (409 when it contradicts the state). */
export type CheckRequest = {
  badge_id?: string;
  employee_id?: number;
  /** Kiosks: instead of a badge, an employee number with its PIN (`invalid_pin`, `pin_locked` with retry_after). */
  employee_number?: string;
  pin?: string;
  client_event_id?: string;
  occurred_at?: string;
  intent?: 'auto' | 'check_in' | 'check_out';
};
/** `ignored`: a double scan (within PUNCH_DEBOUNCE_SECONDS of the last punch): kept, changes nothing. */
export type CheckResult = { action: 'check_in' | 'check_out' | 'ignored'; duplicate: boolean; record: RecordDto; employee: { employee_id: number; name: string } };

export type MissingCheckOut = {
  team_id: number;
  date: string;
  records: { record_id: number; employee_id: number; name: string; check_in_time: string | null }[];
};

/** A punch taken (not a replay of one already taken): what its acknowledgement said. */
export type PunchCreated = Omit<CheckResult, 'duplicate'>;

/** A day closed by the end-of-day run: who was marked absent, flagged without a check-out, or closed at the shift's end. */
export type DayClose = { date: string; absent: (RecordDto & { name: string })[]; missing_check_out: (RecordDto & { name: string })[]; auto_closed: (RecordDto & { name: string })[] };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    'attendance.changed': AttendanceChange;
    'punch.created': PunchCreated;
    /** The end-of-day rule changed a day: absences recorded, missing check-outs flagged or closed. */
    'day.closed': DayClose;
  }
}

declare module '../../infra/socket-contract.ts' {
  interface ClientToServer {
    /** A punch: kiosks, and people for themselves (or for whom they may punch). */
    'attendance:check': (payload: CheckRequest, ack: (result: Ack<CheckResult>) => void) => void;
  }
  interface ServerToClient {
    'attendance:changed': (change: AttendanceChanged) => void;
    /** The end-of-day rule found check-ins without a check-out (the team's boards). */
    'attendance:missing_check_out': (info: MissingCheckOut) => void;
  }
}
