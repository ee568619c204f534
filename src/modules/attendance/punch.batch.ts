import type { Sql, SqlDb } from '../../infra/db.ts';
import { dateOnly, dayBefore } from '../../infra/time.ts';
import { AppError, isTransientConflict } from '../../infra/errors.ts';
import type { Source } from './attendance.entity.ts';
import { arrivalStatus, DEFAULT_SCHEDULE, RECORD_COLUMNS, recordDto, withoutMissingNote, type RecordRow, type Schedule } from './attendance.records.ts';
import type { PunchAction } from './punch.entity.ts';

export type PunchIntent = 'auto' | 'check_in' | 'check_out';

/** The employee behind a punch, with their team's schedule. */
export type Who = { employee_id: number; name: string; active: boolean; team_id: number | null; badge_id: string | null; workday_start: string | null; grace_minutes: number | null };

/** A punch as it enters a batch. */
export type Incoming = {
  employee_id?: number;
  badge_id?: string;
  client_event_id: string | null;
  at: Date;
  now: Date;
  /** The local day of `at`. */
  day: string;
  intent: PunchIntent;
  source: Source;
  device: string | null;
  /** The person, when this punch may be made for them; throws otherwise (and for nobody found: `undefined`). */
  check(who: Who | undefined): Who;
  /** Set when the punch is a correction (a user chose its time): the audit trail records it with this actor. */
  auditAs: { actor_id: number; actor_kind: string } | null;
};

/** What the whole batch shares. */
export type BatchRules = {
  tz: string;
  /** A punch this soon after an open check-in of the day before closes it (a shift across midnight). */
  maxShiftMs: number;
  maxSkewMs: number;
  maxAgeMs: number;
};

/** What became of each punch of a batch, in order. */
export type Outcome =
  | { kind: 'applied' | 'duplicate'; who: Who; action: PunchAction; record: RecordRow }
  | { kind: 'refused'; error: unknown };

/** A checked punch, ready to be decided. */
export type Decidable = {
  who: Who;
  at: Date;
  now: Date;
  day: string;
  tz: string;
  schedule: Schedule;
  intent: PunchIntent;
  source: Source;
  maxShiftMs: number;
};

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

/** Another transaction wrote first (the same client_event_id, or the same new record): roll back and start again. */
class Retry extends Error {}


const keyOf = (employeeId: number, day: string) => `${employeeId}|${day}`;
/** Timestamps go to the driver as ISO text: its own Date formatting costs more than the rest of the parameter. */
const isoParam = (v: string | Date | null) => (v instanceof Date ? v.toISOString() : v);
const prefixed = (alias: string) => RECORD_COLUMNS.split(', ').map((c) => `${alias}.${c}`).join(', ');

/** Yesterday's record is still open (checked in, not out) and this punch comes within a shift's length of it. */
function closesNightShift(yesterday: RecordRow | null, p: Decidable): boolean {
  if (!yesterday?.check_in_time || yesterday.check_out_time || p.intent === 'check_in') return false;
  const since = p.at.getTime() - new Date(yesterday.check_in_time).getTime();
  return since > 0 && since <= p.maxShiftMs;
}

// Every statement below has a fixed text whatever the batch size: values travel as arrays (unnest), so
// PostgreSQL parses the same few statements over and over and the driver sends no SQL built per punch.

/** Earlier punches with the client_event_ids of parameter `$n`, with their records. */
const earlierPunchesOf = (n: number) => `
  p.client_event_id, p.action, p.employee_id as punch_employee_id, ${prefixed('a')}
    from punches p left join attendance a on a.record_id = p.record_id
   where p.client_event_id = any($${n}::text[])`;
const EARLIER = `select ${earlierPunchesOf(1)}`;

/** Employees with their team's schedule (the WHERE follows). */
const WHO_SELECT = `select e.employee_id, e.name, e.active, e.team_id, e.badge_id, t.workday_start, t.grace_minutes
        from employees e left join teams t on t.team_id = e.team_id`;

const WHO_COLUMNS = ['employee_id', 'name', 'active', 'team_id', 'badge_id', 'workday_start', 'grace_minutes'];

/**
 * One round trip before deciding: the employees by badge or id with their team's schedule, each with their records
 * of the batch's days (locked), and the earlier punches with the batch's client_event_ids ('who' and 'earlier'
 * rows). Employees are locked in id order (the materialised CTE is read in order), so two batches never wait on
 * each other in a circle. Badges and ids are looked up separately so that each uses its index.
 */
const WHO_AND_RECORDS = `
  with who as materialized (
    select * from (
      ${WHO_SELECT} where e.badge_id = any($1::text[])
      union
      ${WHO_SELECT} where e.employee_id = any($2::int[])
    ) found order by employee_id
  )
  select 'who' as kind, ${WHO_COLUMNS.map((c) => `w.${c} as w_${c}`).join(', ')},
         null::text as client_event_id, null::text as action, null::int as punch_employee_id, r.*
    from who w
    left join lateral (
      select ${RECORD_COLUMNS} from attendance a
       where a.employee_id = w.employee_id and a.attendance_date = any($3::date[])
       order by a.attendance_date for update
    ) r on true
  union all
  select 'earlier', ${WHO_COLUMNS.map(() => 'null').join(', ')}, ${earlierPunchesOf(4)}`;

/** New records, changed records and the punches, in one statement; punches of new records get their ids from it. */
const WRITE = `
  with ins as (
    insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out, created_at, updated_at)
    select v.*, now(), clock_timestamp()
      from unnest($1::int[], $2::int[], $3::date[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::boolean[]) as v
    on conflict (employee_id, attendance_date) do nothing
    returning ${RECORD_COLUMNS}
  ), upd as (
    update attendance a
       set status = v.status, check_in_time = v.cin, check_out_time = v.cout, missing_check_out = v.missing, notes = v.notes, updated_at = clock_timestamp()
      from unnest($10::int[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::boolean[], $15::text[]) as v(record_id, status, cin, cout, missing, notes)
     where a.record_id = v.record_id
    returning ${prefixed('a')}
  ), pun as (
    insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, action, record_id)
    select p.employee_id, p.occurred_at, p.received_at, p.source, p.device, p.client_event_id, p.action, coalesce(p.record_id, ins.record_id)
      from unnest($16::int[], $17::timestamptz[], $18::timestamptz[], $19::text[], $20::text[], $21::text[], $22::text[], $23::int[], $24::date[])
           as p(employee_id, occurred_at, received_at, source, device, client_event_id, action, record_id, record_date)
      left join ins on p.record_id is null and ins.employee_id = p.employee_id and ins.attendance_date = p.record_date
    on conflict (client_event_id) do nothing
    returning client_event_id
  )
  select 'record' as kind, ${RECORD_COLUMNS}, null as client_event_id from ins
  union all select 'record', ${RECORD_COLUMNS}, null from upd
  union all select 'punch', ${RECORD_COLUMNS.split(', ').map(() => 'null').join(', ')}, client_event_id from pun`;

type Earlier = RecordRow & { action: PunchAction; punch_employee_id: number; client_event_id: string };
type WhoRow = Partial<RecordRow> & { kind: 'who' | 'earlier'; client_event_id: string | null; w_employee_id: number; w_name: string; w_active: boolean; w_team_id: number | null; w_badge_id: string | null; w_workday_start: string | null; w_grace_minutes: number | null };

async function earlierPunches(tx: Sql, keys: string[]): Promise<Map<string, Earlier>> {
  if (!keys.length) return new Map();
  const rows = await tx.query<Earlier>(EARLIER, [keys], 'punch_earlier');
  return new Map(rows.map((r) => [r.client_event_id, r]));
}

/** A retried punch is answered from its first result, provided it is the same employee's. */
function duplicateOutcome(row: Earlier, who: Who): Outcome {
  if (Number(row.punch_employee_id) !== who.employee_id) {
    return { kind: 'refused', error: new AppError(409, 'client_event_id_conflict', 'This client_event_id was already used for another punch; generate a new one') };
  }
  if (row.record_id == null) return { kind: 'refused', error: new AppError(410, 'record_deleted', 'This punch was already recorded, but its attendance record has since been deleted') };
  return { kind: 'duplicate', who, action: row.action, record: row };
}

function assertPlausibleTime(p: Incoming, rules: BatchRules) {
  if (p.at.getTime() > p.now.getTime() + rules.maxSkewMs) {
    throw new AppError(422, 'occurred_in_future', 'occurred_at is in the future; check the device clock');
  }
  if (p.at.getTime() < p.now.getTime() - rules.maxAgeMs) {
    throw new AppError(422, 'occurred_too_old', `occurred_at is older than ${Math.round(rules.maxAgeMs / 3600_000)} hours; ask an admin to enter it`);
  }
}

/**
 * Applies a batch of punches in one transaction of two statements whatever its size: the employees with their day
 * records (locked) and the earlier answers for the client_event_ids, then one write of the new records, the changed
 * records and the punches; every punch is decided in memory in between. If another transaction took one of the
 * client_event_ids or created one of the records first, nothing is kept and the caller starts again.
 */
export async function applyBatch(sql: SqlDb, items: Incoming[], rules: BatchRules): Promise<Outcome[] | 'retry'> {
  try {
    return await sql.transaction((tx) => applyIn(tx, items, rules), { genericPlans: true, keyLookupsOnly: true });
  } catch (error) {
    if (error instanceof Retry || isTransientConflict(error)) return 'retry';
    throw error;
  }
}

async function applyIn(tx: Sql, items: Incoming[], rules: BatchRules): Promise<Outcome[]> {
  const keys = [...new Set(items.flatMap((i) => (i.client_event_id ? [i.client_event_id] : [])))];
  // Each punch's day, and the day before (an open shift from last night may be what it closes).
  const days = [...new Set(items.flatMap((i) => [i.day, dayBefore(i.day)]))];
  const badges = [...new Set(items.flatMap((i) => (i.badge_id !== undefined ? [i.badge_id] : [])))];
  const ids = [...new Set(items.flatMap((i) => (i.employee_id !== undefined ? [i.employee_id] : [])))];
  const rows = await tx.query<WhoRow>(WHO_AND_RECORDS, [badges, ids, days, keys], 'punch_who_and_records');

  const byId = new Map<number, Who>();
  const byBadge = new Map<string, Who>();
  const states = new Map<string, State>();
  const earlier = new Map<string, Earlier>();
  for (const r of rows) {
    if (r.kind === 'earlier') {
      earlier.set(r.client_event_id!, r as unknown as Earlier);
      continue;
    }
    const id = Number(r.w_employee_id);
    if (!byId.has(id)) {
      const who: Who = {
        employee_id: id,
        name: r.w_name,
        active: r.w_active,
        team_id: r.w_team_id == null ? null : Number(r.w_team_id),
        badge_id: r.w_badge_id,
        workday_start: r.w_workday_start,
        grace_minutes: r.w_grace_minutes,
      };
      byId.set(id, who);
      if (who.badge_id !== null) byBadge.set(who.badge_id, who);
    }
    if (r.record_id != null) states.set(keyOf(id, dateOnly(r.attendance_date!)), { row: r as RecordRow, existed: true, lastIndex: -1 });
  }
  const stateOf = (employeeId: number, day: string) => {
    const key = keyOf(employeeId, day);
    let state = states.get(key);
    if (!state) states.set(key, (state = { row: null, existed: false, lastIndex: -1 }));
    return state;
  };

  const outcomes: Outcome[] = [];
  const firstOfKey = new Map<string, number>();
  const duplicateOf = new Map<number, number>();
  const decideRefused = new Map<number, Who>();
  /** The record as it was before each audited punch (null: the punch created it). */
  const auditBefore = new Map<number, RecordRow | null>();
  items.forEach((item, i) => {
    const found = item.badge_id !== undefined ? byBadge.get(item.badge_id) : byId.get(item.employee_id!);
    let who: Who;
    try {
      who = item.check(found);
      const previous = item.client_event_id ? earlier.get(item.client_event_id) : undefined;
      // A retry is answered from the first result even when its time has since left the accepted window.
      if (previous) return void (outcomes[i] = duplicateOutcome(previous, who));
      assertPlausibleTime(item, rules);
    } catch (error) {
      return void (outcomes[i] = { kind: 'refused', error });
    }
    if (item.client_event_id) {
      const first = firstOfKey.get(item.client_event_id);
      if (first !== undefined) return void duplicateOf.set(i, first);
      firstOfKey.set(item.client_event_id, i);
    }
    const p: Decidable = {
      who,
      at: item.at,
      now: item.now,
      day: item.day,
      tz: rules.tz,
      schedule: who.workday_start ? { workday_start: who.workday_start, grace_minutes: who.grace_minutes ?? 0 } : DEFAULT_SCHEDULE,
      intent: item.intent,
      source: item.source,
      maxShiftMs: rules.maxShiftMs,
    };
    let state = stateOf(who.employee_id, item.day);
    const yesterday = stateOf(who.employee_id, dayBefore(item.day));
    if (!state.row && closesNightShift(yesterday.row, p)) state = yesterday;
    try {
      const before = state.row;
      const { action, next } = decide(state.row, p);
      if (item.auditAs) auditBefore.set(i, before);
      state.row = next;
      state.lastIndex = i;
      outcomes[i] = { kind: 'applied', who, action, record: { ...next } };
    } catch (error) {
      outcomes[i] = { kind: 'refused', error };
      if (item.client_event_id) decideRefused.set(i, who);
    }
  });

  const applied = items.flatMap((item, i) => {
    const o = outcomes[i];
    return o?.kind === 'applied' ? [{ item, o }] : [];
  });
  const stored = new Map<string, RecordRow>();
  if (applied.length) {
    const created = [...states.values()].filter((s) => !s.existed && s.row).map((s) => s.row!);
    const changed = [...states.values()].filter((s) => s.existed && s.lastIndex >= 0).map((s) => s.row!);
    const existingId = (r: RecordRow) => states.get(keyOf(Number(r.employee_id), dateOnly(r.attendance_date)))?.existed ? Number(r.record_id) : null;
    const col = <T,>(list: T[], f: (x: T) => unknown) => list.map(f);
    const written = await tx.query<RecordRow & { kind: 'record' | 'punch'; client_event_id: string | null }>(WRITE, [
      col(created, (r) => r.employee_id),
      col(created, (r) => r.team_id),
      col(created, (r) => r.attendance_date),
      col(created, (r) => r.status),
      col(created, (r) => isoParam(r.check_in_time)),
      col(created, (r) => isoParam(r.check_out_time)),
      col(created, (r) => r.notes),
      col(created, (r) => r.source),
      col(created, (r) => Boolean(r.missing_check_out)),
      col(changed, (r) => r.record_id),
      col(changed, (r) => r.status),
      col(changed, (r) => isoParam(r.check_in_time)),
      col(changed, (r) => isoParam(r.check_out_time)),
      col(changed, (r) => Boolean(r.missing_check_out)),
      col(changed, (r) => r.notes),
      col(applied, ({ o }) => o.who.employee_id),
      col(applied, ({ item }) => item.at.toISOString()),
      col(applied, ({ item }) => item.now.toISOString()),
      col(applied, ({ item }) => item.source),
      col(applied, ({ item }) => item.device),
      col(applied, ({ item }) => item.client_event_id),
      col(applied, ({ o }) => (o as { action: PunchAction }).action),
      col(applied, ({ o }) => existingId((o as { record: RecordRow }).record)),
      col(applied, ({ o }) => dateOnly((o as { record: RecordRow }).record.attendance_date)),
    ], 'punch_write');
    const records = written.filter((w) => w.kind === 'record');
    if (records.length < created.length + changed.length) throw new Retry(); // a record was created meanwhile: start again with it
    const got = new Set(written.filter((w) => w.kind === 'punch').map((w) => w.client_event_id));
    if (applied.some(({ item }) => item.client_event_id && !got.has(item.client_event_id))) throw new Retry(); // answered elsewhere first
    for (const row of records) stored.set(keyOf(Number(row.employee_id), dateOnly(row.attendance_date)), row);
  }
  // A punch refused by the rule ("already checked in") may be the retry of one a concurrent batch just committed.
  if (decideRefused.size) {
    const late = await earlierPunches(tx, [...decideRefused.keys()].map((i) => items[i].client_event_id!));
    for (const [i, who] of decideRefused) {
      const previous = late.get(items[i].client_event_id!);
      if (previous) outcomes[i] = duplicateOutcome(previous, who);
    }
  }
  // Every answer carries the record as that punch left it; the last punch of a record, the stored row.
  items.forEach((_, i) => {
    const o = outcomes[i];
    if (o?.kind !== 'applied') return;
    const key = keyOf(o.who.employee_id, dateOnly(o.record.attendance_date));
    const row = stored.get(key)!;
    o.record = states.get(key)!.lastIndex === i ? row : { ...o.record, record_id: row.record_id, created_at: row.created_at };
  });
  if (auditBefore.size) await auditCorrections(tx, items, outcomes, auditBefore);
  for (const [i, first] of duplicateOf) {
    const leader = outcomes[first];
    outcomes[i] =
      leader.kind === 'refused'
        ? { kind: 'refused', error: leader.error }
        : { kind: 'duplicate', who: leader.who, action: leader.action, record: leader.record };
  }
  return outcomes;
}

const AUDIT = `
  insert into audit_log (entity_type, entity_id, action, actor_id, actor_kind, before, after, at)
  select 'attendance', v.entity_id, v.action, v.actor_id, v.actor_kind, v.before::jsonb, v.after::jsonb, now()
    from unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[]) as v(entity_id, action, actor_id, actor_kind, before, after)`;

/** Punches at a time a user chose are corrections: each goes into the audit trail, in the batch's transaction. */
async function auditCorrections(tx: Sql, items: Incoming[], outcomes: Outcome[], before: Map<number, RecordRow | null>) {
  const rows = [...before].flatMap(([i, prior]) => {
    const o = outcomes[i];
    if (o.kind !== 'applied' || !items[i].auditAs) return [];
    const item = items[i];
    const punch = { occurred_at: item.at.toISOString(), received_at: item.now.toISOString(), action: o.action, source: item.source, client_event_id: item.client_event_id };
    return [{ record: o.record, prior, actor: item.auditAs!, punch }];
  });
  if (!rows.length) return;
  await tx.query(AUDIT, [
    rows.map((r) => Number(r.record.record_id)),
    rows.map((r) => (r.prior ? 'update' : 'create')),
    rows.map((r) => r.actor.actor_id),
    rows.map((r) => r.actor.actor_kind),
    rows.map((r) => (r.prior ? JSON.stringify(recordDto({ ...r.prior, record_id: r.record.record_id, created_at: r.record.created_at })) : null)),
    rows.map((r) => JSON.stringify({ ...recordDto(r.record), punch: r.punch })),
  ], 'punch_audit');
}
