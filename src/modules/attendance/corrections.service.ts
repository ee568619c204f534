import * as v from 'valibot';
import type { Ctx } from '../../infra/context.ts';
import { jsonValue, sqlOf, type Sql } from '../../infra/db.ts';
import { conflict, forbidden, notFound, uniqueViolation, validationError } from '../../infra/errors.ts';
import { dateOnly, isoOrNull, isoTimestamp, localDate } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import {
  canCancelCorrection, canRequestCorrection, personIdOf, canResolveCorrection, canSeePerson, readScope, seesOnlyThemselves, selfApproval, type Person,
} from '../auth/index.ts';
import { employees } from '../employees/index.ts';
import { recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';
import { attendance } from './attendance.repository.ts';
import { checkedTimes, createIn, publishChange, updateIn, type RecordChange } from './attendance.service.ts';
import type { Status } from './attendance.entity.ts';
import type { CorrectionStatus } from './correction.entity.ts';
import { corrections, type CorrectionRow } from './corrections.repository.ts';
import { StoredChanges, storedChanges, type CorrectionChanges, type CorrectionCreateInput, type CorrectionListInput, type StoredChangesJson } from './corrections.schema.ts';

/**
 * Corrections with approval. Anyone asks for a change to their own day (a forgotten check-out, a wrong time, a
 * status) with a reason; managers also for their team's members, admins for anyone. A manager of the person's team
 * (not for their own day, nor for a request they made) or an admin approves it, which applies it to the day in the
 * same transaction as a correction (PUT /attendance/{record_id}, or a new record) would, or rejects it. The one who
 * asked may withdraw it while it is pending. Every step is in the audit trail (`attendance_correction`).
 */

/** A correction as the API shows it; `status` is the request's, `requested_status` the record status asked for. */
export type CorrectionDto = {
  correction_id: number;
  employee_id: number;
  employee_name: string;
  team_id: number | null;
  attendance_date: string;
  record_id: number | null;
  check_in_time: string | null;
  check_out_time: string | null;
  intervals: { check_in_time: string; check_out_time: string | null }[] | null;
  status: CorrectionStatus;
  requested_status: Status | null;
  reason: string;
  requested_by: number | null;
  requested_by_name: string | null;
  comment: string | null;
  resolved_by: number | null;
  resolved_by_name: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
  current: RecordDto | null;
};

const num = (n: number | string | null) => (n == null ? null : Number(n));

function correctionDto(r: CorrectionRow, current: RecordRow | null, tz: string): CorrectionDto {
  const changes = jsonValue<StoredChangesJson>(r.changes) ?? {};
  return {
    correction_id: Number(r.correction_id),
    employee_id: Number(r.employee_id),
    employee_name: r.employee_name,
    team_id: num(r.team_id),
    attendance_date: dateOnly(r.attendance_date),
    record_id: num(r.record_id),
    check_in_time: changes.check_in_time ?? null,
    check_out_time: changes.check_out_time ?? null,
    intervals: changes.intervals ?? null,
    status: r.status,
    requested_status: (changes.status as Status | undefined) ?? null,
    reason: r.reason,
    requested_by: num(r.requested_by),
    requested_by_name: r.requested_by_name,
    comment: r.comment,
    resolved_by: num(r.resolved_by),
    resolved_by_name: r.resolved_by_name,
    resolved_at: isoOrNull(r.resolved_at),
    created_at: isoTimestamp(r.created_at),
    updated_at: isoTimestamp(r.updated_at),
    current: current ? recordDto(current, tz) : null,
  };
}

/** The audit trail's copy of a request (without the day's record beside it). */
const audited = ({ current: _current, ...rest }: CorrectionDto) => rest;

/** Corrections with the day's record of each, as it is now. */
async function withDays(sql: Sql, ctx: Ctx, rows: CorrectionRow[]): Promise<CorrectionDto[]> {
  const records = await corrections.days(sql, rows.map((r) => ({ employee_id: Number(r.employee_id), attendance_date: dateOnly(r.attendance_date) })));
  const byDay = new Map(records.map((r) => [`${Number(r.employee_id)}|${dateOnly(r.attendance_date)}`, r]));
  return rows.map((r) => correctionDto(r, byDay.get(`${Number(r.employee_id)}|${dateOnly(r.attendance_date)}`) ?? null, ctx.config.timezone));
}

async function loaded(sql: Sql, ctx: Ctx, correctionId: number): Promise<CorrectionDto> {
  const row = await corrections.get(sql, correctionId);
  if (!row) throw notFound('Correction', correctionId);
  return (await withDays(sql, ctx, [row]))[0];
}

const personOf = (r: CorrectionRow): Person => ({ employee_id: Number(r.employee_id), team_id: num(r.team_id) });

const pendingDay = (employeeId: number, date: string) =>
  conflict('correction_pending', `Employee ${employeeId} already has a pending correction for ${date}: wait for its decision, or withdraw it first`);

/** The day of a person (their record, if any), locked when asked. */
async function dayOf(sql: Sql, employeeId: number, date: string, opts: { lock?: boolean } = {}): Promise<RecordRow | null> {
  const [row] = await attendance.ofPeople(sql, [employeeId], date, date, opts);
  return row ?? null;
}

/**
 * Asks for a correction of a day. The times are checked at once against the day as it is (422 with the same field
 * errors as PUT /attendance/{record_id}); nothing changes on the record until an approver decides.
 */
export async function requestCorrection(ctx: Ctx, input: CorrectionCreateInput): Promise<CorrectionDto> {
  const user = ctx.user!;
  const employeeId = input.employee_id ?? personIdOf(user);
  if (employeeId === null) throw validationError([{ loc: ['body', 'employee_id'], msg: 'employee_id is required with an API key', type: 'value_error.missing' }]);
  // An employee learns nothing about ids that are not theirs: unknown or someone else's, the same 403.
  if (seesOnlyThemselves(user) && employeeId !== user.employee_id) throw forbidden('You may only ask for corrections of your own attendance');
  const db = sqlOf(ctx.em);
  const owner = await employees.owner(db, employeeId);
  if (!owner) {
    throw validationError([{ loc: ['body', 'employee_id'], msg: `employee ${employeeId} does not exist`, type: 'value_error.foreign_key' }]);
  }
  if (!canRequestCorrection(user, owner)) throw forbidden('Managers may ask for corrections of their own team’s members and themselves only');
  const date = input.attendance_date;
  try {
    const dto = await db.transaction(async (tx) => {
      const row = await dayOf(tx, owner.employee_id, date);
      const { tz } = await checkedTimes(tx, ctx, owner, date, input, row);
      if (date > localDate(new Date(), tz)) {
        throw validationError([{ loc: ['body', 'attendance_date'], msg: `attendance_date must not be in the future (${tz})`, type: 'value_error.future' }]);
      }
      const id = await corrections.insert(tx, {
        employee_id: owner.employee_id, attendance_date: date, record_id: row ? Number(row.record_id) : null, requested_by: personIdOf(user),
        changes: storedChanges(input), reason: input.reason,
      });
      const made = await loaded(tx, ctx, id);
      await recordAudit(tx, ctx, { entity_type: 'attendance_correction', entity_id: id, action: 'request', after: audited(made) });
      return made;
    });
    ctx.bus.publish('correction.requested', dto);
    return dto;
  } catch (error) {
    if (uniqueViolation(error)) throw pendingDay(owner.employee_id, date);
    throw error;
  }
}

/** Corrections the caller may read: their own; managers also their team's; admins all. Newest first. */
export async function listCorrections(ctx: Ctx, query: CorrectionListInput) {
  const db = sqlOf(ctx.em);
  const { status, employee_id, team_id, date_from, date_to, skip, limit } = query;
  const { rows, total } = await corrections.list(db, { status, employee_id, team_id, date_from, date_to }, readScope(ctx.user!), { skip, limit });
  return { items: await withDays(db, ctx, rows), total };
}

export async function getCorrection(ctx: Ctx, correctionId: number): Promise<CorrectionDto> {
  const user = ctx.user!;
  const db = sqlOf(ctx.em);
  const row = await corrections.get(db, correctionId);
  if (seesOnlyThemselves(user) && (!row || (Number(row.employee_id) !== user.employee_id && num(row.requested_by) !== user.employee_id))) {
    throw forbidden('You may not read this correction');
  }
  if (!row) throw notFound('Correction', correctionId);
  if (!canSeePerson(user, personOf(row)) && num(row.requested_by) !== user.employee_id) throw forbidden('You may not read this correction');
  return (await withDays(db, ctx, [row]))[0];
}

/**
 * The request, locked, once the caller may decide it: an admin, or a manager of the person's current team who is
 * neither the person nor the one who asked. Refused (409 `correction_resolved`) once it is no longer pending.
 */
async function pendingForDecision(tx: Sql, ctx: Ctx, correctionId: number): Promise<CorrectionRow> {
  const user = ctx.user!;
  const row = await corrections.get(tx, correctionId, { lock: true });
  if (!row) throw notFound('Correction', correctionId);
  const person = personOf(row);
  if (!canResolveCorrection(user, person, num(row.requested_by))) {
    if (canSeePerson(user, person) || num(row.requested_by) === user.employee_id) throw selfApproval();
    throw forbidden('Only an admin or a manager of the person’s team may decide this correction');
  }
  if (row.status !== 'pending') throw conflict('correction_resolved', `Correction ${correctionId} is already ${row.status}`);
  return row;
}

/** The changes of a stored request, read back as a request would give them. */
function changesOf(row: CorrectionRow): CorrectionChanges {
  const parsed = v.safeParse(StoredChanges, jsonValue(row.changes));
  if (!parsed.success) throw conflict('correction_invalid', `Correction ${row.correction_id} can no longer be read; reject it and ask again`);
  return parsed.output;
}

/**
 * Approves a request: in one transaction, the day is corrected as PUT /attendance/{record_id} would (or its record is
 * made, as POST /attendance/ would), its figures and week recomputed, the request marked approved, both in the audit
 * trail. When the change no longer fits the day (422, 409) nothing is written and the request stays pending.
 */
export async function approveCorrection(ctx: Ctx, correctionId: number, comment: string | null): Promise<CorrectionDto> {
  const user = ctx.user!;
  const done = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await pendingForDecision(tx, ctx, correctionId);
    const before = await loaded(tx, ctx, correctionId);
    const changes = changesOf(row);
    const employeeId = Number(row.employee_id);
    const date = dateOnly(row.attendance_date);
    const day = await dayOf(tx, employeeId, date, { lock: true });
    // The right to decide was checked above (pendingForDecision): it is the right to apply.
    const change: RecordChange = day
      ? await updateIn(tx, ctx, Number(day.record_id), changes, () => undefined)
      : await createIn(tx, ctx, { employee_id: employeeId, name: row.employee_name, team_id: num(row.team_id) }, {
          employee_id: employeeId, attendance_date: date, ...changes, notes: null, source: 'api',
        });
    await corrections.resolve(tx, correctionId, { status: 'approved', comment, resolved_by: personIdOf(user), record_id: change.record.record_id });
    const after = await loaded(tx, ctx, correctionId);
    await recordAudit(tx, ctx, { entity_type: 'attendance_correction', entity_id: correctionId, action: 'approve', before: audited(before), after: audited(after) });
    return { change, after };
  });
  publishChange(ctx, done.change);
  ctx.bus.publish('correction.resolved', done.after);
  return done.after;
}

/** Rejects a request (the day is left as it is), with an optional comment for the requester. */
export async function rejectCorrection(ctx: Ctx, correctionId: number, comment: string | null): Promise<CorrectionDto> {
  const user = ctx.user!;
  const after = await sqlOf(ctx.em).transaction(async (tx) => {
    await pendingForDecision(tx, ctx, correctionId);
    const before = await loaded(tx, ctx, correctionId);
    await corrections.resolve(tx, correctionId, { status: 'rejected', comment, resolved_by: personIdOf(user) });
    const after = await loaded(tx, ctx, correctionId);
    await recordAudit(tx, ctx, { entity_type: 'attendance_correction', entity_id: correctionId, action: 'reject', before: audited(before), after: audited(after) });
    return after;
  });
  ctx.bus.publish('correction.resolved', after);
  return after;
}

/** Withdraws a pending request: only the one who made it. */
export async function cancelCorrection(ctx: Ctx, correctionId: number): Promise<CorrectionDto> {
  const user = ctx.user!;
  const after = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await corrections.get(tx, correctionId, { lock: true });
    if (seesOnlyThemselves(user) && (!row || !canCancelCorrection(user, num(row.requested_by)))) throw forbidden('Only who asked for a correction may withdraw it');
    if (!row) throw notFound('Correction', correctionId);
    if (!canCancelCorrection(user, num(row.requested_by))) throw forbidden('Only who asked for a correction may withdraw it; approvers reject instead');
    if (row.status !== 'pending') throw conflict('correction_resolved', `Correction ${correctionId} is already ${row.status}`);
    const before = await loaded(tx, ctx, correctionId);
    await corrections.resolve(tx, correctionId, { status: 'cancelled', comment: null, resolved_by: personIdOf(user) });
    const after = await loaded(tx, ctx, correctionId);
    await recordAudit(tx, ctx, { entity_type: 'attendance_correction', entity_id: correctionId, action: 'cancel', before: audited(before), after: audited(after) });
    return after;
  });
  ctx.bus.publish('correction.resolved', after);
  return after;
}
