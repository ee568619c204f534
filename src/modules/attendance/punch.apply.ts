import type { Sql, SqlDb } from '../../infra/db.ts';
import { AppError, isTransientConflict } from '../../infra/errors.ts';
import { addDays, dateOnly, dayBefore, localDate, zonedTimeToInstant } from '../../infra/time.ts';
import { auditLog } from '../audit/index.ts';
import { mondayOf, planDay, type DayPlan } from '../schedules/index.ts';
import type { Source } from './attendance.entity.ts';
import { intervalsOf, recordDto, type RecordRow } from './attendance.records.ts';
import {
  belongsToDayBefore,
  figures,
  isIn,
  lastCountedOf,
  punchesOfIntervals,
  rebuild,
  reopenAutoClosed,
  step,
  weeklyOvertime,
  type DayPunch,
  type Interval,
  type PunchAction,
  type PunchIntent,
} from './day.rules.ts';
import { assertPlausibleTime } from './punch.rules.ts';
import { punches, type ActionFix, type Earlier, type LookUp, type NewPunch, type Span, type StoredPunch, type Who } from './punch.repository.ts';

/** A punch as it enters a batch. */
export type Incoming = {
  employee_id?: number;
  badge_id?: string;
  client_event_id: string | null;
  at: Date;
  now: Date;
  intent: PunchIntent;
  source: Source;
  device: string | null;
  /** The person, when this punch may be made for them; throws otherwise (and for nobody found: `undefined`). */
  check(who: Who | undefined): Who;
  /** Set when the punch is a correction (a user chose its time): the audit trail records it with this actor. */
  auditAs: { actor_id: number | null; actor_kind: string } | null;
};

/** What the whole batch shares. */
export type BatchRules = { tz: string; maxShiftMs: number; maxSkewMs: number; maxAgeMs: number; debounceMs: number };

/** What became of each punch of a batch, in order. */
export type Outcome =
  | { kind: 'applied' | 'duplicate'; who: Who; action: PunchAction; record: RecordRow }
  | { kind: 'refused'; error: unknown };

export type BatchResult = { outcomes: Outcome[] };

/** One person's day during a batch: its record as it stands, and the punches of this batch that went into it. */
type DayState = {
  row: RecordRow | null;
  existed: boolean;
  changed: boolean;
  lastIndex: number;
  batch: { index: number; punch: DayPunch }[];
  /** Its stored punches, once a late punch made them needed. */
  history: StoredPunch[] | null;
};

/** Another transaction wrote first (the same client_event_id, or the same new record): roll back and start again. */
class Retry extends Error {}

const keyOf = (employeeId: number, day: string) => `${employeeId}|${day}`;
const HOUR = 3_600_000;

/** A retried punch is answered from its first result, provided it is the same employee's. */
function duplicateOutcome(row: Earlier, who: Who): Outcome {
  if (Number(row.punch_employee_id) !== who.employee_id) {
    return { kind: 'refused', error: new AppError(409, 'client_event_id_conflict', 'This client_event_id was already used for another punch; generate a new one') };
  }
  if (row.record_id == null) return { kind: 'refused', error: new AppError(410, 'record_deleted', 'This punch was already recorded, but its attendance record has since been deleted') };
  return { kind: 'duplicate', who, action: row.action, record: row };
}

/**
 * Applies a batch of punches in one transaction of two statements whatever its size: the people with their records
 * (locked), settings, schedules and the earlier answers for the client_event_ids, then one write of the new records,
 * the changed records and the punches; every punch is decided in memory in between (day.rules.ts). A punch older
 * than the latest of its day is slotted in and the day rebuilt from its punches (one more read, rare). If another
 * transaction took one of the client_event_ids or created one of the records first, nothing is kept and the caller
 * starts again.
 */
export async function applyBatch(sql: SqlDb, items: Incoming[], rules: BatchRules): Promise<BatchResult | 'retry'> {
  try {
    return await sql.transaction((tx) => applyIn(tx, items, rules), { genericPlans: true, keyLookupsOnly: true });
  } catch (error) {
    if (error instanceof Retry || isTransientConflict(error)) return 'retry';
    throw error;
  }
}

/** The plans of the people of a batch, each computed once. */
function planner(found: LookUp) {
  const plans = new Map<string, DayPlan>();
  return (who: Who, date: string): DayPlan => {
    const key = keyOf(who.employee_id, date);
    let plan = plans.get(key);
    if (!plan) {
      plan = planDay({ date, tz: who.tz, subject: { employee_id: who.employee_id, team_id: who.team_id, team_schedule_id: who.team_schedule_id, assignments: who.assignments }, versions: found.versions, holidays: found.holidays });
      plans.set(key, plan);
    }
    return plan;
  };
}

async function applyIn(tx: Sql, items: Incoming[], rules: BatchRules): Promise<BatchResult> {
  // Each badge and id with the span of its own punches: the records read (and locked) are those days only.
  const badges = new Map<string, Span>();
  const ids = new Map<number, Span>();
  const widen = <K>(spans: Map<K, Span>, key: K, at: Date) => {
    const span = spans.get(key);
    if (!span) spans.set(key, { from: at, to: at });
    else if (at < span.from) span.from = at;
    else if (at > span.to) span.to = at;
  };
  for (const i of items) {
    if (i.badge_id !== undefined) widen(badges, i.badge_id, i.at);
    if (i.employee_id !== undefined) widen(ids, i.employee_id, i.at);
  }
  const found = await punches.lookUp(tx, {
    keys: [...new Set(items.flatMap((i) => (i.client_event_id ? [i.client_event_id] : [])))],
    badges,
    ids,
    tz: rules.tz,
  });
  const byId = new Map(found.people.map((w) => [w.employee_id, w]));
  const byBadge = new Map(found.people.flatMap((w) => (w.badge_id !== null ? [[w.badge_id, w] as const] : [])));
  const states = new Map<string, DayState>(
    found.records.map(({ who, row }) => [keyOf(who, dateOnly(row.attendance_date)), { row, existed: true, changed: false, lastIndex: -1, batch: [], history: null }]),
  );
  const stateOf = (employeeId: number, day: string) => {
    const key = keyOf(employeeId, day);
    let state = states.get(key);
    if (!state) states.set(key, (state = { row: null, existed: false, changed: false, lastIndex: -1, batch: [], history: null }));
    return state;
  };
  const plan = planner(found);

  const outcomes: Outcome[] = [];
  const firstOfKey = new Map<string, number>();
  const duplicateOf = new Map<number, number>();
  const decideRefused = new Map<number, Who>();
  /** The record as it was before each audited punch (null: the punch created it). */
  const auditBefore = new Map<number, RecordRow | null>();
  const actionFixes: ActionFix[] = [];

  for (const [i, item] of items.entries()) {
    let who: Who;
    try {
      who = item.check(item.badge_id !== undefined ? byBadge.get(item.badge_id) : byId.get(item.employee_id!));
      const previous = item.client_event_id ? found.earlier.get(item.client_event_id) : undefined;
      // A retry is answered from the first result even when its time has since left the accepted window.
      if (previous) {
        outcomes[i] = duplicateOutcome(previous, who);
        continue;
      }
      assertPlausibleTime(item, rules);
    } catch (error) {
      outcomes[i] = { kind: 'refused', error };
      continue;
    }
    if (item.client_event_id) {
      const first = firstOfKey.get(item.client_event_id);
      if (first !== undefined) {
        duplicateOf.set(i, first);
        continue;
      }
      firstOfKey.set(item.client_event_id, i);
    }
    const today = localDate(item.at, who.tz);
    const yesterday = dayBefore(today);
    const yState = stateOf(who.employee_id, yesterday);
    const toYesterday = belongsToDayBefore({
      at: item.at,
      intent: item.intent,
      yesterday: yState.row ? reopenAutoClosed(intervalsOf(yState.row)) : [],
      yesterdayPlan: plan(who, yesterday),
      todayPlan: plan(who, today),
      midnight: zonedTimeToInstant(today, '00:00', who.tz),
      maxShiftMs: rules.maxShiftMs,
    });
    const day = toYesterday ? yesterday : today;
    const state = toYesterday ? yState : stateOf(who.employee_id, day);
    const punch: DayPunch = { at: item.at, intent: item.intent };
    try {
      const before = state.row;
      const stored = before ? reopenAutoClosed(intervalsOf(before)) : [];
      const latest = before?.last_punch_at ? new Date(before.last_punch_at) : null;
      let intervals: Interval[];
      let action: PunchAction;
      if (!latest || item.at >= latest) {
        // In time order (nearly always): one more step from where the day stands.
        const r = step({ intervals: stored, lastCounted: lastCountedOf(stored) }, punch, { debounceMs: rules.debounceMs, strict: true });
        // A double scan changes nothing (an interval the end of the day closed stays closed).
        intervals = r.action === 'ignored' && before ? intervalsOf(before) : r.state.intervals;
        action = r.action;
      } else {
        // A punch from before the day's latest one (an offline kiosk catching up): slotted in, the day rebuilt.
        ({ intervals, action } = await slotIn(tx, state, who, punch, i, rules, outcomes, actionFixes));
      }
      if (item.auditAs) auditBefore.set(i, before);
      const next = dayRecord(before, { who, day, intervals, plan: plan(who, day), at: item.at, now: item.now, source: item.source });
      state.row = next;
      state.changed = true;
      state.lastIndex = i;
      state.batch.push({ index: i, punch });
      outcomes[i] = { kind: 'applied', who, action, record: { ...next } };
    } catch (error) {
      outcomes[i] = { kind: 'refused', error };
      if (item.client_event_id) decideRefused.set(i, who);
    }
  }

  updateWeeks(found, states);
  const applied = items.flatMap((item, i) => {
    const o = outcomes[i];
    return o?.kind === 'applied' ? [{ item, o }] : [];
  });
  const written = new Map<string, RecordRow>();
  if (applied.length) {
    const existingId = (r: RecordRow) => (states.get(keyOf(Number(r.employee_id), dateOnly(r.attendance_date)))?.existed ? Number(r.record_id) : null);
    const batch = {
      created: [...states.values()].filter((s) => !s.existed && s.row).map((s) => s.row!),
      changed: [...states.values()].filter((s) => s.existed && s.changed).map((s) => s.row!),
      punches: applied.map(({ item, o }): NewPunch => ({
        employee_id: o.who.employee_id,
        occurred_at: item.at.toISOString(),
        received_at: item.now.toISOString(),
        source: item.source,
        device: item.device,
        client_event_id: item.client_event_id,
        intent: item.intent,
        action: o.kind === 'applied' ? o.action : null,
        record_id: o.kind === 'applied' ? existingId(o.record) : null,
        record_date: o.kind === 'applied' ? dateOnly(o.record.attendance_date) : null,
      })),
    };
    const result = await punches.write(tx, batch);
    if (result.records.length < batch.created.length + batch.changed.length) throw new Retry(); // a record was created meanwhile: start again with it
    if (applied.some(({ item }) => item.client_event_id && !result.punched.has(item.client_event_id))) throw new Retry(); // answered elsewhere first
    for (const w of result.records) {
      const key = keyOf(Number(w.employee_id), dateOnly(w.attendance_date));
      written.set(key, { ...states.get(key)!.row!, record_id: w.record_id, created_at: w.created_at, updated_at: w.updated_at });
    }
    await punches.setActions(tx, actionFixes);
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
    const row = written.get(key)!;
    o.record = states.get(key)!.lastIndex === i ? row : { ...o.record, record_id: row.record_id, created_at: row.created_at };
  });
  if (auditBefore.size) await auditCorrections(tx, items, outcomes, auditBefore, rules.tz);
  for (const [i, first] of duplicateOf) {
    const leader = outcomes[first];
    outcomes[i] = leader.kind === 'refused' ? { kind: 'refused', error: leader.error } : { kind: 'duplicate', who: leader.who, action: leader.action, record: leader.record };
  }
  return { outcomes };
}

/**
 * A punch older than its day's latest one, slotted in: the day is rebuilt from all its punches in time order (a day
 * corrected by hand: from its intervals, which are the truth), so the result does not depend on the order the punches
 * arrived in. Stored punches whose part changed are rewritten; this batch's earlier punches get their new action.
 */
async function slotIn(tx: Sql, state: DayState, who: Who, punch: DayPunch, index: number, rules: BatchRules, outcomes: Outcome[], fixes: ActionFix[]) {
  const row = state.row!;
  let earlier: (DayPunch & { punch_id?: number; action?: PunchAction; index?: number })[];
  if (row.intervals_edited) {
    earlier = punchesOfIntervals(reopenAutoClosed(intervalsOf(row)));
  } else {
    if (state.existed && state.history === null) {
      const day = dateOnly(row.attendance_date);
      const around = { from: zonedTimeToInstant(addDays(day, -1), '00:00', who.tz), to: new Date(zonedTimeToInstant(addDays(day, 2), '00:00', who.tz).getTime() + rules.maxShiftMs + HOUR) };
      state.history = await punches.ofRecord(tx, who.employee_id, Number(row.record_id), around);
    }
    earlier = [...(state.history ?? []), ...state.batch.map((b) => ({ ...b.punch, index: b.index }))];
  }
  const all = [...earlier, punch];
  const { intervals, actions } = rebuild(all, { debounceMs: rules.debounceMs, strictIndex: all.length - 1 });
  earlier.forEach((p, k) => {
    if (p.punch_id !== undefined && p.action !== actions[k]) {
      fixes.push({ punch_id: p.punch_id, at: p.at, action: actions[k] });
      p.action = actions[k];
    }
    const o = p.index !== undefined ? outcomes[p.index] : undefined;
    if (o?.kind === 'applied') o.action = actions[k];
  });
  return { intervals, action: actions[all.length - 1] };
}

/** A day's record after a punch: its intervals, their figures against the plan, and where it stands. */
function dayRecord(
  before: RecordRow | null,
  q: { who: Who; day: string; intervals: Interval[]; plan: DayPlan; at: Date; now: Date; source: Source },
): RecordRow {
  const fig = figures(q.intervals, q.plan, before?.status ?? null);
  const latest = before?.last_punch_at && new Date(before.last_punch_at) > q.at ? new Date(before.last_punch_at) : q.at;
  const stillIn = isIn(q.intervals);
  return {
    record_id: before?.record_id ?? 0,
    employee_id: q.who.employee_id,
    team_id: before ? before.team_id : q.who.team_id,
    attendance_date: q.day,
    source: before?.source ?? q.source,
    created_at: before?.created_at ?? q.now,
    updated_at: q.now,
    ...fig,
    // The end-of-day flag and its note go once the person is out.
    missing_check_out: Boolean(before?.missing_check_out) && stillIn,
    notes: before?.missing_check_out && !stillIn ? withoutMissing(before.notes) : (before?.notes ?? null),
    intervals: q.intervals,
    weekly_overtime_minutes: before?.weekly_overtime_minutes ?? 0,
    shift_start: q.plan.holiday === null ? q.plan.start : null,
    shift_end: q.plan.holiday === null ? q.plan.end : null,
    schedule_id: q.plan.schedule_id,
    schedule_version: q.plan.schedule_version,
    timezone: q.who.tz,
    last_punch_at: latest,
    intervals_edited: before?.intervals_edited ?? false,
  };
}

const withoutMissing = (notes: string | null) => notes?.replace(/( · )?Missing check-out$/, '') || null;

/**
 * Each person's share of weekly overtime, day by day, for the days the batch holds: the minutes worked earlier that
 * week come with the look-up, and the look-up reads every record to the end of the last week a punch touches, so
 * each changed day's later days in its week are here too.
 */
function updateWeeks(found: LookUp, states: Map<string, DayState>) {
  const byPerson = new Map<number, DayState[]>();
  for (const s of states.values()) {
    if (!s.row) continue;
    const id = Number(s.row.employee_id);
    (byPerson.get(id) ?? byPerson.set(id, []).get(id)!).push(s);
  }
  for (const person of found.people) {
    const days = byPerson.get(person.employee_id);
    if (!days?.some((d) => d.changed)) continue;
    days.sort((a, b) => dateOnly(a.row!.attendance_date).localeCompare(dateOnly(b.row!.attendance_date)));
    const limit = person.weekly_hours * 60;
    let week = mondayOf(person.d0);
    let before = person.week_before;
    for (const s of days) {
      const date = dateOnly(s.row!.attendance_date);
      if (mondayOf(date) !== week) {
        week = mondayOf(date);
        before = 0;
      }
      const share = weeklyOvertime(before, Number(s.row!.worked_minutes), limit);
      if (share !== Number(s.row!.weekly_overtime_minutes)) {
        s.row = { ...s.row!, weekly_overtime_minutes: share };
        s.changed = true;
      }
      before += Number(s.row!.worked_minutes);
    }
  }
}

/** Punches at a time a user chose are corrections: each goes into the audit trail, in the batch's transaction. */
async function auditCorrections(tx: Sql, items: Incoming[], outcomes: Outcome[], before: Map<number, RecordRow | null>, tz: string) {
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
        before: prior ? recordDto({ ...prior, record_id: o.record.record_id, created_at: o.record.created_at }, tz) : null,
        after: { ...recordDto(o.record, tz), punch },
      }];
    }),
  );
}
