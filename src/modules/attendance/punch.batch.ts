import type { Em } from '../../infra/db.ts';
import { addDays, dateOnly } from '../../infra/time.ts';
import { AppError } from '../../infra/errors.ts';
import type { Source } from './attendance.entity.ts';
import { arrivalStatus, RECORD_COLUMNS, withoutMissingNote, type RecordRow, type Schedule } from './attendance.records.ts';
import type { PunchAction } from './punch.entity.ts';
import type { PunchIntent, Who } from './punch.service.ts';

/** A checked punch, ready to be applied. */
export type Decidable = {
  who: Who;
  at: Date;
  now: Date;
  day: string;
  tz: string;
  schedule: Schedule;
  intent: PunchIntent;
  source: Source;
  device: string | null;
  client_event_id: string | null;
  /** A punch this soon after an open check-in of the day before closes it (a shift across midnight). */
  maxShiftMs: number;
};

/** What became of each punch of a batch, in order. */
export type Decided = { action: PunchAction; record: RecordRow } | { error: unknown } | { duplicateOf: number };

type State = { row: RecordRow | null; existed: boolean; lastIndex: number };

const notCheckedIn = () => new AppError(409, 'not_checked_in', 'There is no check-in to close today');

/**
 * The punch rule, on one record: the first punch of the day checks in (Present, or Late after start + grace);
 * later ones set the check-out (the latest wins); one that happened before the known check-in (an offline kiosk
 * catching up) becomes the check-in. A check-out clears the missing-check-out flag and its note.
 */
export function decide(current: RecordRow | null, p: Decidable): { action: PunchAction; next: RecordRow } {
  if (!current) {
    if (p.intent === 'check_out') throw notCheckedIn();
    return {
      action: 'check_in',
      next: {
        record_id: 0,
        employee_id: p.who.employee_id,
        team_id: p.who.team_id,
        attendance_date: p.day,
        status: arrivalStatus(p.at, p.schedule, p.tz),
        check_in_time: p.at,
        check_out_time: null,
        notes: null,
        source: p.source,
        missing_check_out: false,
        created_at: p.now,
        updated_at: p.now,
      },
    };
  }
  const checkIn = current.check_in_time ? new Date(current.check_in_time) : null;
  const checkOut = current.check_out_time ? new Date(current.check_out_time) : null;
  let action: PunchAction;
  let status = current.status;
  let cin: Date | null;
  let cout: Date | null;
  if (!checkIn) {
    if (p.intent === 'check_out') throw notCheckedIn();
    // A record made by hand or by the end-of-day rule (Absent) gets its arrival now.
    if (current.status === 'Absent') status = arrivalStatus(p.at, p.schedule, p.tz);
    action = 'check_in';
    cin = p.at;
    cout = checkOut;
  } else if (p.intent === 'check_in') {
    throw new AppError(409, 'already_checked_in', `Already checked in today at ${checkIn.toISOString()}; use check-out`);
  } else if (p.at < checkIn) {
    if (current.status === 'Present' || current.status === 'Late') status = arrivalStatus(p.at, p.schedule, p.tz);
    action = 'check_in';
    cin = p.at;
    cout = checkOut ?? checkIn;
  } else {
    action = 'check_out';
    cin = checkIn;
    cout = checkOut && checkOut > p.at ? checkOut : p.at;
  }
  const closing = cout !== null && Boolean(current.missing_check_out);
  return {
    action,
    next: {
      ...current,
      status,
      check_in_time: cin,
      check_out_time: cout,
      missing_check_out: Boolean(current.missing_check_out) && cout === null,
      notes: closing ? withoutMissingNote(current.notes) : current.notes,
      updated_at: p.now,
    },
  };
}

class Retry extends Error {
  readonly takenKeys: string[];
  constructor(takenKeys: string[]) {
    super('retry');
    this.takenKeys = takenKeys;
  }
}

const isConflictRetryable = (error: unknown) => ['40P01', '40001'].includes((error as { code?: string })?.code ?? (error as { cause?: { code?: string } })?.cause?.code ?? '');

const keyOf = (employeeId: number, day: string) => `${employeeId}|${day}`;

/** Yesterday's record is still open (checked in, not out) and this punch comes within a shift's length of it. */
function closesNightShift(yesterday: RecordRow | null, p: Decidable): boolean {
  if (!yesterday?.check_in_time || yesterday.check_out_time || p.intent === 'check_in') return false;
  const since = p.at.getTime() - new Date(yesterday.check_in_time).getTime();
  return since > 0 && since <= p.maxShiftMs;
}

/**
 * Applies a batch of punches in one transaction with a fixed number of statements: lock the day records, decide
 * every punch in memory, insert new records, update the others, insert the punches. If another transaction took
 * a client_event_id or created one of the records first, nothing is kept and the caller retries.
 */
export async function applyBatch(em: Em, items: Decidable[]): Promise<{ kind: 'ok'; decided: Decided[] } | { kind: 'retry'; takenKeys: string[] }> {
  try {
    const decided = await em.transactional(async (tx) => {
      // Each punch's day, and the day before (an open shift from last night may be what it closes).
      const keys = [
        ...new Map(
          items.flatMap((i) => [
            [keyOf(i.who.employee_id, i.day), [i.who.employee_id, i.day] as const] as const,
            [keyOf(i.who.employee_id, addDays(i.day, -1)), [i.who.employee_id, addDays(i.day, -1)] as const] as const,
          ]),
        ).values(),
      ].sort(
        (a, b) => a[0] - b[0] || a[1].localeCompare(b[1]),
      );
      const locked = await tx.execute<RecordRow[]>(
        `select ${RECORD_COLUMNS} from attendance
          where (employee_id, attendance_date) in (${keys.map(() => '(?::int, ?::date)').join(', ')})
          order by employee_id, attendance_date for update`,
        keys.flat(),
      );
      const states = new Map<string, State>();
      for (const [employeeId, day] of keys) states.set(keyOf(employeeId, day), { row: null, existed: false, lastIndex: -1 });
      for (const row of locked) {
        const day = dateOnly(row.attendance_date);
        states.set(keyOf(Number(row.employee_id), day), { row, existed: true, lastIndex: -1 });
      }

      const decided: Decided[] = [];
      const firstOfKey = new Map<string, number>();
      items.forEach((item, i) => {
        if (item.client_event_id) {
          const first = firstOfKey.get(item.client_event_id);
          if (first !== undefined) return void (decided[i] = { duplicateOf: first });
          firstOfKey.set(item.client_event_id, i);
        }
        let state = states.get(keyOf(item.who.employee_id, item.day))!;
        const yesterday = states.get(keyOf(item.who.employee_id, addDays(item.day, -1)))!;
        if (!state.row && closesNightShift(yesterday.row, item)) state = yesterday;
        try {
          const { action, next } = decide(state.row, item);
          state.row = next;
          state.lastIndex = i;
          decided[i] = { action, record: { ...next } };
        } catch (error) {
          decided[i] = { error };
        }
      });

      // New records, in their final state.
      const created = [...states.entries()].filter(([, s]) => !s.existed && s.row);
      const recordIds = new Map<string, RecordRow>();
      if (created.length) {
        const rows = await tx.execute<RecordRow[]>(
          `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out, created_at, updated_at)
           values ${created.map(() => '(?::int, ?::int, ?::date, ?, ?::timestamptz, ?::timestamptz, ?, ?, ?::boolean, now(), clock_timestamp())').join(', ')}
           on conflict (employee_id, attendance_date) do nothing returning ${RECORD_COLUMNS}`,
          created.flatMap(([, s]) => {
            const r = s.row!;
            return [r.employee_id, r.team_id, r.attendance_date, r.status, r.check_in_time, r.check_out_time, r.notes, r.source, Boolean(r.missing_check_out)];
          }),
        );
        if (rows.length < created.length) throw new Retry([]); // a record was created meanwhile: start again with it
        for (const row of rows) {
          const day = dateOnly(row.attendance_date);
          recordIds.set(keyOf(Number(row.employee_id), day), row);
        }
      }
      // Existing records that changed.
      const changed = [...states.entries()].filter(([, s]) => s.existed && s.lastIndex >= 0);
      if (changed.length) {
        const rows = await tx.execute<RecordRow[]>(
          `update attendance a
              set status = v.status, check_in_time = v.cin, check_out_time = v.cout, missing_check_out = v.missing, notes = v.notes, updated_at = clock_timestamp()
             from (values ${changed.map(() => '(?::int, ?::text, ?::timestamptz, ?::timestamptz, ?::boolean, ?::text)').join(', ')})
                  as v(record_id, status, cin, cout, missing, notes)
            where a.record_id = v.record_id
           returning ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}`,
          changed.flatMap(([, s]) => {
            const r = s.row!;
            return [r.record_id, r.status, r.check_in_time, r.check_out_time, Boolean(r.missing_check_out), r.notes];
          }),
        );
        for (const row of rows) {
          const day = dateOnly(row.attendance_date);
          recordIds.set(keyOf(Number(row.employee_id), day), row);
        }
      }
      // Every answer carries the record as that punch left it; the last punch of a record, the stored row.
      items.forEach((item, i) => {
        const d = decided[i];
        if (!d || !('record' in d)) return;
        const key = keyOf(item.who.employee_id, dateOnly(d.record.attendance_date));
        const stored = recordIds.get(key)!;
        d.record = states.get(key)!.lastIndex === i ? stored : { ...d.record, record_id: stored.record_id, created_at: stored.created_at };
      });

      const applied = items.map((item, i) => ({ item, d: decided[i] })).filter(({ d }) => 'record' in d);
      if (applied.length) {
        const keyed = applied.filter(({ item }) => item.client_event_id).map(({ item }) => item.client_event_id!);
        const inserted = await tx.execute<{ client_event_id: string | null }[]>(
          `insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, action, record_id)
           values ${applied.map(() => '(?::int, ?::timestamptz, ?::timestamptz, ?, ?, ?, ?, ?::int)').join(', ')}
           on conflict (client_event_id) do nothing returning client_event_id`,
          applied.flatMap(({ item, d }) => {
            const r = (d as { action: PunchAction; record: RecordRow });
            return [item.who.employee_id, item.at, item.now, item.source, item.device, item.client_event_id, r.action, r.record.record_id];
          }),
        );
        const got = new Set(inserted.map((r) => r.client_event_id));
        const taken = keyed.filter((k) => !got.has(k));
        if (taken.length) throw new Retry(taken); // answered elsewhere first: undo and answer from there
      }
      return decided;
    });
    return { kind: 'ok', decided };
  } catch (error) {
    if (error instanceof Retry) return { kind: 'retry', takenKeys: error.takenKeys };
    if (isConflictRetryable(error)) return { kind: 'retry', takenKeys: [] };
    throw error;
  }
}
