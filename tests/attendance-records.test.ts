// recordDto: the public shape of a record, whatever form the driver returned its timestamps in.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDto, type RecordRow } from '../src/modules/attendance/attendance.records.ts';
import { createTestHub, type TestHub } from './utils.ts';

const row = (at: string | Date | null): RecordRow => ({
  record_id: 1,
  employee_id: 2,
  team_id: 3,
  attendance_date: '2026-11-30',
  status: 'Present',
  check_in_time: at,
  check_out_time: null,
  notes: null,
  source: 'kiosk',
  missing_check_out: false,
  created_at: at ?? '2026-11-30 08:00:00+00',
  updated_at: at ?? '2026-11-30 08:00:00+00',
  intervals: [],
  worked_minutes: 0,
  break_minutes: 0,
  overtime_minutes: 0,
  weekly_overtime_minutes: 0,
  planned_minutes: null,
  left_early: false,
  shift_start: at,
  shift_end: null,
  schedule_id: null,
  schedule_version: null,
  timezone: null,
  last_punch_at: at,
  intervals_edited: false,
});

/** How the driver's text is read the slow way: through Date. */
const viaDate = (text: string) => new Date(text).toISOString();

/** PostgreSQL's text form of an instant in a UTC session, with `digits` fraction digits (it drops trailing zeros). */
const pgText = (at: Date, micros: number, digits: number) => {
  const fraction = digits ? `.${String(micros).padStart(6, '0').slice(0, digits)}` : '';
  return `${at.toISOString().slice(0, 19).replace('T', ' ')}${fraction}+00`;
};

describe('recordDto timestamps', () => {
  it('when PostgreSQL returns UTC text with 0 to 6 fraction digits, then each timestamp is exactly what Date parsing gives', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 6 }),
        (at, micros, digits) => {
          const text = pgText(at, micros, digits);
          const dto = recordDto(row(text));
          expect(dto.check_in_time).toBe(viaDate(text));
          expect(dto.created_at).toBe(viaDate(text));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('when a timestamp comes as a Date or with another offset, then it is still its ISO form in UTC', () => {
    expect(recordDto(row(new Date('2026-11-30T07:59:59.123Z'))).check_in_time).toBe('2026-11-30T07:59:59.123Z');
    expect(recordDto(row('2026-11-30 09:15:00.5+01')).check_in_time).toBe('2026-11-30T08:15:00.500Z');
    expect(recordDto(row('2026-11-30 09:15:00+05:30')).check_in_time).toBe('2026-11-30T03:45:00.000Z');
    expect(recordDto(row('2026-11-30T08:15:00.000Z')).check_in_time).toBe('2026-11-30T08:15:00.000Z');
    expect(recordDto(row(null)).check_in_time).toBeNull();
  });
});

describe('recordDto on what PostgreSQL really returns', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(() => hub.close());

  it('when the database returns timestamps with microseconds, then recordDto writes the same strings as Date parsing', async () => {
    const values = ['2026-11-30 08:00:00', '2026-11-30 08:00:00.1', '2026-11-30 08:00:00.12', '2026-11-30 08:00:00.123', '2026-11-30 08:00:00.1234', '2026-11-30 23:59:59.999999', '1999-12-31 23:59:59.000001'];
    const rows = await hub.rows<{ at: string }>(
      `select (v || '+00')::timestamptz as at from (values ${values.map(() => '(?)').join(', ')}) as t(v)`,
      values,
    );
    expect(rows.length).toBe(values.length);
    for (const { at } of rows) {
      expect(typeof at).toBe('string');
      expect(recordDto(row(at)).check_in_time).toBe(viaDate(at));
    }
  });
});
