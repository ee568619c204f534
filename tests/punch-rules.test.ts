// The punch rules as pure functions, from tables of cases: no database, no clock.
import { describe, expect, it } from 'vitest';
import type { RecordRow } from '../src/modules/attendance/attendance.records.ts';
import { arrivalStatus, assertPlausibleTime, closesNightShift, decide, DEFAULT_SCHEDULE, type Decidable, type Who } from '../src/modules/attendance/punch.rules.ts';

const who: Who = { employee_id: 7, name: 'Ada', active: true, team_id: 3, badge_id: 'B7', workday_start: '09:00', grace_minutes: 5 };
const at = (hhmm: string, day = '2026-03-02') => new Date(`${day}T${hhmm}:00Z`);
const punch = (hhmm: string, intent: Decidable['intent'] = 'auto', day = '2026-03-02'): Decidable => ({
  who, at: at(hhmm, day), now: at('23:00', day), day, tz: 'UTC', schedule: { workday_start: '09:00', grace_minutes: 5 }, intent, source: 'kiosk', maxShiftMs: 16 * 3600_000,
});
const record = (fields: Partial<RecordRow>): RecordRow => ({
  record_id: 1, employee_id: 7, team_id: 3, attendance_date: '2026-03-02', status: 'Present', check_in_time: null, check_out_time: null,
  notes: null, source: 'kiosk', missing_check_out: false, created_at: at('08:00'), updated_at: at('08:00'), ...fields,
});
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString().slice(11, 16));

describe('arrivalStatus', () => {
  it.each([
    ['08:59', 'Present'],
    ['09:05', 'Present'],
    ['09:06', 'Late'],
    ['23:59', 'Late'],
    ['00:00', 'Present'],
  ])('when the first punch is at %s against 09:00 + 5 min, then it is %s', (hhmm, status) => {
    expect(arrivalStatus(at(hhmm), DEFAULT_SCHEDULE, 'UTC')).toBe(status);
  });

  it('when the zone is Europe/Paris, then the start is read in local time (08:30 UTC is 09:30 there in winter)', () => {
    expect(arrivalStatus(at('08:04'), DEFAULT_SCHEDULE, 'Europe/Paris')).toBe('Present');
    expect(arrivalStatus(at('08:06'), DEFAULT_SCHEDULE, 'Europe/Paris')).toBe('Late');
  });
});

describe('decide', () => {
  type Case = [string, RecordRow | null, Decidable, { action: string; status: string; in: string | null; out: string | null } | string];
  const cases: Case[] = [
    ['the first punch of the day checks in, on time', null, punch('08:55'), { action: 'check_in', status: 'Present', in: '08:55', out: null }],
    ['the first punch after start + grace is Late', null, punch('09:30'), { action: 'check_in', status: 'Late', in: '09:30', out: null }],
    ['a check-out with no record is refused', null, punch('17:00', 'check_out'), 'not_checked_in'],
    ['a later punch checks out', record({ check_in_time: at('09:00') }), punch('17:00'), { action: 'check_out', status: 'Present', in: '09:00', out: '17:00' }],
    ['a later check-out moves the check-out later', record({ check_in_time: at('09:00'), check_out_time: at('17:00') }), punch('18:30'), { action: 'check_out', status: 'Present', in: '09:00', out: '18:30' }],
    ['an earlier check-out does not move it back', record({ check_in_time: at('09:00'), check_out_time: at('17:00') }), punch('12:00'), { action: 'check_out', status: 'Present', in: '09:00', out: '17:00' }],
    ['an offline punch before the known check-in becomes the check-in, and the status follows', record({ status: 'Late', check_in_time: at('09:30') }), punch('08:50'), { action: 'check_in', status: 'Present', in: '08:50', out: '09:30' }],
    ['an explicit check-in while checked in is refused', record({ check_in_time: at('09:00') }), punch('10:00', 'check_in'), 'already_checked_in'],
    ['an Absent record gets its arrival', record({ status: 'Absent', source: 'system' }), punch('10:00'), { action: 'check_in', status: 'Late', in: '10:00', out: null }],
    ['a Remote record keeps its status on check-in', record({ status: 'Remote' }), punch('10:00'), { action: 'check_in', status: 'Remote', in: '10:00', out: null }],
  ];
  it.each(cases)('when %s', (_name, current, p, want) => {
    if (typeof want === 'string') {
      expect(() => decide(current, p)).toThrow(expect.objectContaining({ code: want }));
      return;
    }
    const { action, next } = decide(current, p);
    expect({ action, status: next.status, in: iso(next.check_in_time), out: iso(next.check_out_time) }).toEqual(want);
  });

  it('when a check-out closes a record flagged missing_check_out, then the flag and its note go', () => {
    const { next } = decide(record({ check_in_time: at('09:00'), missing_check_out: true, notes: 'Sick later · Missing check-out' }), punch('17:00'));
    expect([next.missing_check_out, next.notes]).toEqual([false, 'Sick later']);
  });
});

describe('closesNightShift', () => {
  const open = record({ attendance_date: '2026-03-01', check_in_time: at('22:00', '2026-03-01') });
  it.each([
    ['a punch 8 h after an open check-in of yesterday closes it', open, punch('06:00'), true],
    ['a punch more than MAX_SHIFT_HOURS after does not', open, punch('14:01'), false],
    ['an explicit check-in never closes yesterday', open, punch('06:00', 'check_in'), false],
    ['a closed yesterday is left alone', record({ ...open, check_out_time: at('23:00', '2026-03-01') }), punch('06:00'), false],
    ['no record yesterday: nothing to close', null, punch('06:00'), false],
  ])('when %s', (_name, yesterday, p, want) => {
    expect(closesNightShift(yesterday, p)).toBe(want);
  });
});

describe('assertPlausibleTime', () => {
  const limits = { maxSkewMs: 120_000, maxAgeMs: 168 * 3600_000 };
  const now = at('12:00');
  it.each([
    ['two minutes ahead is accepted', new Date(now.getTime() + 120_000), null],
    ['more than two minutes ahead is refused', new Date(now.getTime() + 121_000), 'occurred_in_future'],
    ['a week old is accepted', new Date(now.getTime() - 168 * 3600_000), null],
    ['older than a week is refused', new Date(now.getTime() - 168 * 3600_000 - 1), 'occurred_too_old'],
  ])('when %s', (_name, when, code) => {
    const check = () => assertPlausibleTime({ at: when, now }, limits);
    if (code) expect(check).toThrow(expect.objectContaining({ code }));
    else expect(check).not.toThrow();
  });
});
