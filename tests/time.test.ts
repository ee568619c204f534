import { describe, expect, it } from 'vitest';
import { addDays, isIsoDate, isoWeekday, localDate, localParts, minutesOf, zonedTimeToInstant } from '../src/infra/time.ts';

const at = (iso: string) => new Date(iso);

describe('localParts and localDate', () => {
  it('when the zone is UTC, then the wall clock is the instant itself', () => {
    expect(localParts(at('2026-05-04T13:07:09Z'), 'UTC')).toEqual({ date: '2026-05-04', minutes: 13 * 60 + 7, seconds: 13 * 3600 + 7 * 60 + 9, hhmm: '13:07' });
  });

  it('when Paris springs forward on 2026-03-29, then 00:59 UTC is 01:59 local and 01:00 UTC is already 03:00 local', () => {
    expect(localParts(at('2026-03-29T00:59:00Z'), 'Europe/Paris').hhmm).toBe('01:59');
    expect(localParts(at('2026-03-29T01:00:00Z'), 'Europe/Paris').hhmm).toBe('03:00');
    expect(localDate(at('2026-03-29T01:00:00Z'), 'Europe/Paris')).toBe('2026-03-29');
    // The day before the change Paris is UTC+1, the day after it is UTC+2.
    expect(localParts(at('2026-03-28T12:00:00Z'), 'Europe/Paris').hhmm).toBe('13:00');
    expect(localParts(at('2026-03-30T12:00:00Z'), 'Europe/Paris').hhmm).toBe('14:00');
  });

  it('when Paris falls back on 2026-10-25, then 00:30 UTC and 01:30 UTC both read 02:30 local on the same date', () => {
    const before = localParts(at('2026-10-25T00:30:00Z'), 'Europe/Paris');
    const after = localParts(at('2026-10-25T01:30:00Z'), 'Europe/Paris');
    expect(before).toMatchObject({ date: '2026-10-25', hhmm: '02:30', minutes: 150 });
    expect(after).toMatchObject({ date: '2026-10-25', hhmm: '02:30', minutes: 150 });
    expect(localParts(at('2026-10-25T00:59:59Z'), 'Europe/Paris').hhmm).toBe('02:59');
    expect(localParts(at('2026-10-25T01:00:00Z'), 'Europe/Paris').hhmm).toBe('02:00');
  });

  it('when New York changes clocks (2026-03-08 and 2026-11-01), then the offset moves between UTC-5 and UTC-4', () => {
    expect(localParts(at('2026-03-08T06:59:00Z'), 'America/New_York').hhmm).toBe('01:59');
    expect(localParts(at('2026-03-08T07:00:00Z'), 'America/New_York').hhmm).toBe('03:00');
    expect(localParts(at('2026-11-01T05:30:00Z'), 'America/New_York').hhmm).toBe('01:30');
    expect(localParts(at('2026-11-01T06:30:00Z'), 'America/New_York').hhmm).toBe('01:30');
    expect(localParts(at('2026-11-01T07:00:00Z'), 'America/New_York').hhmm).toBe('02:00');
  });

  it('when an instant is just before or just after local midnight, then it belongs to different local dates', () => {
    // Paris in summer is UTC+2: local midnight of 2026-07-15 is 2026-07-14T22:00Z.
    expect(localDate(at('2026-07-14T21:59:59Z'), 'Europe/Paris')).toBe('2026-07-14');
    expect(localDate(at('2026-07-14T22:00:00Z'), 'Europe/Paris')).toBe('2026-07-15');
    // New York in winter is UTC-5: local midnight of 2026-01-02 is 2026-01-02T05:00Z.
    expect(localDate(at('2026-01-02T04:59:59Z'), 'America/New_York')).toBe('2026-01-01');
    expect(localDate(at('2026-01-02T05:00:00Z'), 'America/New_York')).toBe('2026-01-02');
    // The same instant is a different date in different zones.
    expect(localDate(at('2026-01-02T03:00:00Z'), 'UTC')).toBe('2026-01-02');
    expect(localDate(at('2026-01-02T03:00:00Z'), 'America/New_York')).toBe('2026-01-01');
  });

  it('when the local time is midnight, then it reads 00:00 (not 24:00)', () => {
    expect(localParts(at('2026-07-14T22:00:00Z'), 'Europe/Paris')).toMatchObject({ hhmm: '00:00', minutes: 0, seconds: 0 });
  });
});

describe('zonedTimeToInstant', () => {
  it('when given an ordinary local time, then it returns the instant that reads back as that time', () => {
    const cases: [string, string, string, string][] = [
      ['2026-01-15', '09:00', 'Europe/Paris', '2026-01-15T08:00:00.000Z'],
      ['2026-07-15', '09:00', 'Europe/Paris', '2026-07-15T07:00:00.000Z'],
      ['2026-07-15', '09:00', 'America/New_York', '2026-07-15T13:00:00.000Z'],
      ['2026-12-31', '23:30', 'America/New_York', '2027-01-01T04:30:00.000Z'],
      ['2026-03-29', '09:00', 'Europe/Paris', '2026-03-29T07:00:00.000Z'],
      ['2026-10-25', '09:00', 'Europe/Paris', '2026-10-25T08:00:00.000Z'],
      ['2026-03-08', '09:00', 'America/New_York', '2026-03-08T13:00:00.000Z'],
      ['2026-05-04', '00:00', 'UTC', '2026-05-04T00:00:00.000Z'],
      ['2026-05-04', '09:00', 'Asia/Kolkata', '2026-05-04T03:30:00.000Z'],
      ['2026-01-15', '00:15', 'Pacific/Auckland', '2026-01-14T11:15:00.000Z'],
    ];
    for (const [date, hhmm, tz, expected] of cases) {
      const instant = zonedTimeToInstant(date, hhmm, tz);
      expect(instant.toISOString(), `${date} ${hhmm} ${tz}`).toBe(expected);
      expect(localParts(instant, tz)).toMatchObject({ date, hhmm });
    }
  });

  it('when every quarter hour of a DST-change day in Paris is converted, then each reads back unchanged (outside the skipped hour)', () => {
    for (const date of ['2026-03-29', '2026-10-25']) {
      for (let m = 0; m < 24 * 60; m += 15) {
        const hhmm = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        if (date === '2026-03-29' && hhmm >= '02:00' && hhmm < '03:00') continue; // does not exist
        expect(localParts(zonedTimeToInstant(date, hhmm, 'Europe/Paris'), 'Europe/Paris'), `${date} ${hhmm}`).toMatchObject({ date, hhmm });
      }
    }
  });

  it('when a local time happens twice (Paris 2026-10-25 02:30), then the earlier instant is returned', () => {
    expect(zonedTimeToInstant('2026-10-25', '02:30', 'Europe/Paris').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedTimeToInstant('2026-11-01', '01:30', 'America/New_York').toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });

  it('when a local time does not exist (Paris 2026-03-29 02:30), then the next valid instant is returned, on the far side of the gap', () => {
    const paris = zonedTimeToInstant('2026-03-29', '02:30', 'Europe/Paris');
    expect(paris.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(localParts(paris, 'Europe/Paris')).toMatchObject({ date: '2026-03-29', hhmm: '03:30' });
    const newYork = zonedTimeToInstant('2026-03-08', '02:30', 'America/New_York');
    expect(newYork.toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(localParts(newYork, 'America/New_York').hhmm).toBe('03:30');
  });
});

describe('calendar helpers', () => {
  it('when asked the ISO weekday, then Monday is 1 and Sunday is 7', () => {
    expect(isoWeekday('2026-03-23')).toBe(1);
    expect(isoWeekday('2026-03-27')).toBe(5);
    expect(isoWeekday('2026-03-28')).toBe(6);
    expect(isoWeekday('2026-03-29')).toBe(7);
    expect(isoWeekday('2024-02-29')).toBe(4);
  });

  it('when days are added across month, year and leap-day ends, then the calendar date rolls over', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30'); // across the Paris DST change: whole days, no hour drift
    expect(addDays('2026-05-04', 0)).toBe('2026-05-04');
    expect(addDays('2026-01-01', 365)).toBe('2027-01-01');
  });

  it('when a string is not a real YYYY-MM-DD date, then isIsoDate rejects it', () => {
    for (const bad of ['2026-02-30', '2026-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-1-5', '26-01-05', '2026-01-05T00:00', '', 'today']) {
      expect(isIsoDate(bad), bad).toBe(false);
    }
    for (const good of ['2026-02-28', '2024-02-29', '2026-12-31', '2026-01-01']) {
      expect(isIsoDate(good), good).toBe(true);
    }
  });

  it('when a HH:MM time is read, then minutesOf counts minutes since midnight', () => {
    expect(minutesOf('00:00')).toBe(0);
    expect(minutesOf('09:05')).toBe(545);
    expect(minutesOf('23:59')).toBe(1439);
  });
});
