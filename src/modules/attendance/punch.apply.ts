import type { Sql, SqlDb } from '../../infra/db.ts';
import { AppError, isTransientConflict } from '../../infra/errors.ts';
import { dateOnly, dayBefore } from '../../infra/time.ts';
import { auditLog } from '../audit/index.ts';
import type { Source } from './attendance.entity.ts';
import { recordDto, type RecordRow } from './attendance.records.ts';
import type { PunchAction } from './punch.entity.ts';
import { punches, type Earlier, type NewPunch } from './punch.repository.ts';
import { assertPlausibleTime, closesNightShift, decide, scheduleOf, type Decidable, type PunchIntent, type Who } from './punch.rules.ts';

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
export type BatchRules = { tz: string; maxShiftMs: number; maxSkewMs: number; maxAgeMs: number };

/** What became of each punch of a batch, in order. */
export type Outcome =
  | { kind: 'applied' | 'duplicate'; who: Who; action: PunchAction; record: RecordRow }
  | { kind: 'refused'; error: unknown };

type State = { row: RecordRow | null; existed: boolean; lastIndex: number };

/** Another transaction wrote first (the same client_event_id, or the same new record): roll back and start again. */
class Retry extends Error {}

const keyOf = (employeeId: number, day: string) => `${employeeId}|${day}`;

/** A retried punch is answered from its first result, provided it is the same employee's. */
function duplicateOutcome(row: Earlier, who: Who): Outcome {
  if (Number(row.punch_employee_id) !== who.employee_id) {
    return { kind: 'refused', error: new AppError(409, 'client_event_id_conflict', 'This client_event_id was already used for another punch; generate a new one') };
  }
  if (row.record_id == null) return { kind: 'refused', error: new AppError(410, 'record_deleted', 'This punch was already recorded, but its attendance record has since been deleted') };
  return { kind: 'duplicate', who, action: row.action, record: row };
}

/**
 * Applies a batch of punches in one transaction of two statements whatever its size: the people with their day
 * records (locked) and the earlier answers for the client_event_ids, then one write of the new records, the changed
 * records and the punches; every punch is decided in memory in between (punch.rules.ts). If another transaction took
 * one of the client_event_ids or created one of the records first, nothing is kept and the caller starts again.
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
  const found = await punches.lookUp(tx, {
    keys: [...new Set(items.flatMap((i) => (i.client_event_id ? [i.client_event_id] : [])))],
    // Each punch's day, and the day before (an open shift from last night may be what it closes).
    days: [...new Set(items.flatMap((i) => [i.day, dayBefore(i.day)]))],
    badges: [...new Set(items.flatMap((i) => (i.badge_id !== undefined ? [i.badge_id] : [])))],
    ids: [...new Set(items.flatMap((i) => (i.employee_id !== undefined ? [i.employee_id] : [])))],
  });
  const byId = new Map(found.people.map((w) => [w.employee_id, w]));
  const byBadge = new Map(found.people.flatMap((w) => (w.badge_id !== null ? [[w.badge_id, w] as const] : [])));
  const states = new Map<string, State>(found.records.map(({ who, row }) => [keyOf(who, dateOnly(row.attendance_date)), { row, existed: true, lastIndex: -1 }]));
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
    let who: Who;
    try {
      who = item.check(item.badge_id !== undefined ? byBadge.get(item.badge_id) : byId.get(item.employee_id!));
      const previous = item.client_event_id ? found.earlier.get(item.client_event_id) : undefined;
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
      who, at: item.at, now: item.now, day: item.day, tz: rules.tz, schedule: scheduleOf(who), intent: item.intent, source: item.source, maxShiftMs: rules.maxShiftMs,
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
    const existingId = (r: RecordRow) => (states.get(keyOf(Number(r.employee_id), dateOnly(r.attendance_date)))?.existed ? Number(r.record_id) : null);
    const batch = {
      created: [...states.values()].filter((s) => !s.existed && s.row).map((s) => s.row!),
      changed: [...states.values()].filter((s) => s.existed && s.lastIndex >= 0).map((s) => s.row!),
      punches: applied.map(({ item, o }): NewPunch => ({
        employee_id: o.who.employee_id,
        occurred_at: item.at.toISOString(),
        received_at: item.now.toISOString(),
        source: item.source,
        device: item.device,
        client_event_id: item.client_event_id,
        action: o.kind === 'applied' ? o.action : null,
        record_id: o.kind === 'applied' ? existingId(o.record) : null,
        record_date: o.kind === 'applied' ? dateOnly(o.record.attendance_date) : null,
      })),
    };
    const written = await punches.write(tx, batch);
    if (written.records.length < batch.created.length + batch.changed.length) throw new Retry(); // a record was created meanwhile: start again with it
    if (applied.some(({ item }) => item.client_event_id && !written.punched.has(item.client_event_id))) throw new Retry(); // answered elsewhere first
    for (const row of written.records) stored.set(keyOf(Number(row.employee_id), dateOnly(row.attendance_date)), row);
  }
  // A punch refused by the rule ("already checked in") may be the retry of one a concurrent batch just committed.
  if (decideRefused.size) {
    const late = await punches.earlier(tx, [...decideRefused.keys()].map((i) => items[i].client_event_id!));
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
    outcomes[i] = leader.kind === 'refused' ? { kind: 'refused', error: leader.error } : { kind: 'duplicate', who: leader.who, action: leader.action, record: leader.record };
  }
  return outcomes;
}

/** Punches at a time a user chose are corrections: each goes into the audit trail, in the batch's transaction. */
async function auditCorrections(tx: Sql, items: Incoming[], outcomes: Outcome[], before: Map<number, RecordRow | null>) {
  await auditLog.insert(
    tx,
    [...before].flatMap(([i, prior]) => {
      const o = outcomes[i];
      const actor = items[i].auditAs;
      if (o.kind !== 'applied' || !actor) return [];
      const item = items[i];
      const punch = { occurred_at: item.at.toISOString(), received_at: item.now.toISOString(), action: o.action, source: item.source, client_event_id: item.client_event_id };
      return [{
        entity_type: 'attendance',
        entity_id: Number(o.record.record_id),
        action: prior ? ('update' as const) : ('create' as const),
        ...actor,
        before: prior ? recordDto({ ...prior, record_id: o.record.record_id, created_at: o.record.created_at }) : null,
        after: { ...recordDto(o.record), punch },
      }];
    }),
  );
}
