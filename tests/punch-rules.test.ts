// The working-day rules as pure functions, from tables of cases: no database, no clock.
import { describe, expect, it } from 'vitest';
import { belongsToDayBefore, figures, rebuild, step, weeklyOvertime, type DayPunch, type Interval } from '../src/modules/attendance/day.rules.ts';
import { assertPlausibleTime } from '../src/modules/attendance/punch.rules.ts';
import { planDay, STANDARD_WEEK, weekOfCycle, type ScheduleVersion } from '../src/modules/schedules/schedule.rules.ts';

const day = '2026-03-02'; // a Monday
const at = (hhmm: string, d = day) => new Date(`${d}T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}Z`);
const p = (hhmm: string, intent: DayPunch['intent'] = 'auto', d = day): DayPunch => ({ at: at(hhmm, d), intent });
const hm = (iso: string | null) => (iso === null ? null : iso.slice(11, 16));
const show = (intervals: Interval[]) => intervals.map((i) => `${hm(i.check_in_time)}-${hm(i.check_out_time) ?? ''}`).join(' ');
const subject = (teamScheduleId: number | null = 1) => ({ employee_id: 7, team_id: 3, team_schedule_id: teamScheduleId, assignments: [] });
const version = (fields: Partial<ScheduleVersion>): ScheduleVersion => ({ ...STANDARD_WEEK, schedule_id: 1, version: 1, ...fields });
const plan = (fields: Partial<ScheduleVersion> = {}, d = day, tz = 'UTC', holidays: { date: string; name: string; team_id: number | null }[] = []) =>
  planDay({ date: d, tz, subject: subject(), versions: new Map([[1, [version(fields)]]]), holidays });

describe('a day from its punches', () => {
  it.each([
    ['toggles in, out for a break, back in', ['06:00', '06:30', '07:00'], '06:00-06:30 07:00-', ['check_in', 'check_out', 'check_in']],
    ['a double scan within the window is ignored', ['09:00', '09:00'], '09:00-', ['check_in', 'ignored']],
    ['four punches make two stays', ['09:00', '12:00', '12:45', '17:30'], '09:00-12:00 12:45-17:30', ['check_in', 'check_out', 'check_in', 'check_out']],
  ])('when %s', (_name, times, intervals, actions) => {
    const r = rebuild(times.map((t) => p(t)), { debounceMs: 60_000 });
    expect(show(r.intervals)).toBe(intervals);
    expect(r.actions).toEqual(actions);
  });

  it('when the same punches arrive in every order, then the day is the same', () => {
    const punches = ['06:00', '06:30', '07:00', '15:00'].map((t) => p(t));
    const orders: DayPunch[][] = [];
    const permute = (rest: DayPunch[], done: DayPunch[]) => (rest.length ? rest.forEach((x, i) => permute(rest.filter((_, k) => k !== i), [...done, x])) : orders.push(done));
    permute(punches, []);
    expect(orders).toHaveLength(24);
    const results = new Set(orders.map((order) => show(rebuild(order, { debounceMs: 60_000 }).intervals)));
    expect([...results]).toEqual(['06:00-06:30 07:00-15:00']);
  });

  it.each([
    ['a second badge read 30 s after the first', p('09:00'), p('09:00:30'), 'ignored', '09:00-'],
    ['a check-out 30 s after the check-in (meant)', p('09:00', 'check_in'), p('09:00:30', 'check_out'), 'check_out', '09:00-09:00'],
    ['a badge read 61 s after the first', p('09:00'), p('09:01:01'), 'check_out', '09:00-09:01'],
  ])('when %s, then the second punch does what the rule says', (_name, first, second, action, intervals) => {
    const r = rebuild([first, second], { debounceMs: 60_000, strictIndex: 1 });
    expect(r.actions[1]).toBe(action);
    expect(show(r.intervals)).toBe(intervals);
  });

  it.each([
    ['a check-in while in is refused', ['09:00'], p('10:00', 'check_in'), 'already_checked_in'],
    ['a second check-in 30 s after the first is refused, not taken for a double scan', ['09:00'], p('09:00:30', 'check_in'), 'already_checked_in'],
    ['a check-out while out is refused', ['09:00', '12:00'], p('13:00', 'check_out'), 'not_checked_in'],
    ['a check-out on an empty day is refused', [], p('13:00', 'check_out'), 'not_checked_in'],
  ])('when %s (strict: a punch arriving now)', (_name, before, punch, code) => {
    const state = rebuild(before.map((t) => p(t)), { debounceMs: 60_000 });
    expect(() => step({ intervals: state.intervals, lastCounted: before.length ? at(before[before.length - 1]) : null }, punch, { debounceMs: 60_000, strict: true })).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('when an explicit check-out comes from before the open stay began, then it is refused, not turned into a check-in', () => {
    const punches = [p('09:00'), p('08:00', 'check_out')];
    expect(() => rebuild(punches, { debounceMs: 60_000, strictIndex: 1 })).toThrow(expect.objectContaining({ code: 'not_checked_in' }));
  });
});

describe('a day against its plan', () => {
  const nine = plan({ shifts: [{ week: 1, weekday: 1, start: '09:00', end: '17:00', break_minutes: 30 }], grace_minutes: 5 });
  const stays = (...pairs: [string, string | null][]) => pairs.map(([i, o]) => ({ check_in_time: at(i).toISOString(), check_out_time: o ? at(o).toISOString() : null }));
  it.each([
    ['on time, with a lunch break', stays(['08:58', '12:00'], ['12:40', '17:10']), { status: 'Present', worked: 452, breaks: 40, overtime: 2, early: false }],
    ['late after start + grace', stays(['09:06', '17:00']), { status: 'Late', worked: 474, breaks: 0, overtime: 24, early: false }],
    ['gone before the shift ends', stays(['09:00', '15:00']), { status: 'Present', worked: 360, breaks: 0, overtime: 0, early: true }],
    ['still in: nothing worked yet, not gone early', stays(['09:00', null]), { status: 'Present', worked: 0, breaks: 0, overtime: 0, early: false }],
  ])('when %s', (_name, intervals, want) => {
    const f = figures(intervals, nine, null);
    expect({ status: f.status, worked: f.worked_minutes, breaks: f.break_minutes, overtime: f.overtime_minutes, early: f.left_early }).toEqual(want);
    expect(f.planned_minutes).toBe(450);
  });

  it('when the day is a holiday, then nobody is expected, nobody is late, and time worked is overtime', () => {
    const holiday = plan({}, day, 'UTC', [{ date: day, name: 'Founders Day', team_id: null }]);
    expect(holiday.expected).toBe(false);
    const f = figures(stays(['11:00', '13:00']), holiday, null);
    expect({ status: f.status, overtime: f.overtime_minutes, planned: f.planned_minutes }).toEqual({ status: 'Present', overtime: 120, planned: null });
  });

  it('when a status was set by hand (Remote, On Leave, Half Day), then punches keep it; an Absent turns Present when the person comes', () => {
    expect(figures(stays(['09:30', '12:00']), nine, 'Half Day').status).toBe('Half Day');
    expect(figures(stays(['09:00', '12:00']), nine, 'Absent').status).toBe('Present');
  });

  it('when a night shift crosses a DST change, then its planned length is the real one (22:00–06:00 is 9 h in Paris on 25 Oct 2026)', () => {
    const night = planDay({
      date: '2026-10-24', tz: 'Europe/Paris', subject: subject(), holidays: [],
      versions: new Map([[1, [version({ shifts: [{ week: 1, weekday: 6, start: '22:00', end: '06:00', break_minutes: 0 }] })]]]),
    });
    expect(night.start!.toISOString()).toBe('2026-10-24T20:00:00.000Z');
    expect(night.end!.toISOString()).toBe('2026-10-25T05:00:00.000Z');
    expect(night.planned_minutes).toBe(540);
  });

  it.each([
    ['2026-03-02', 1],
    ['2026-03-09', 2],
    ['2026-03-16', 1],
    ['2026-02-23', 2],
  ])('when a two-week rotation starts on 2026-03-02, then %s is in week %i', (date, week) => {
    expect(weekOfCycle(date, { cycle_weeks: 2, starts_on: '2026-03-04' })).toBe(week);
  });

  it.each([
    [0, 240, 600, 0],
    [480, 240, 600, 120],
    [700, 240, 600, 240],
  ])('when %i minutes were worked earlier in the week and %i today against %i, then %i are weekly overtime', (before, worked, limit, want) => {
    expect(weeklyOvertime(before, worked, limit)).toBe(want);
  });
});

describe('which day a punch after midnight belongs to', () => {
  const night = { start: at('22:00', '2026-03-01'), end: at('06:00') };
  const midnight = at('00:00');
  const open: Interval[] = [{ check_in_time: at('22:00', '2026-03-01').toISOString(), check_out_time: null }];
  const back: Interval[] = [{ check_in_time: at('22:00', '2026-03-01').toISOString(), check_out_time: at('01:00').toISOString() }];
  it.each([
    ['still in from a night shift: the shift', open, night, p('05:55'), true],
    ['back from a break after midnight: the shift', back, night, p('01:30'), true],
    ['a late arrival for last night’s shift: the shift', [], night, p('00:30'), true],
    ['long after the shift: today', back, night, p('11:00'), false],
    ['gone home after the shift, back hours later: today', [{ check_in_time: at('22:00', '2026-03-01').toISOString(), check_out_time: at('06:00').toISOString() }], night, p('08:48'), false],
    ['out after midnight with no schedule, back within the hour: that stay', back, { start: null, end: null }, p('01:40'), true],
    ['out after midnight with no schedule, back the next morning: today', back, { start: null, end: null }, p('08:00'), false],
    ['an explicit check-in never continues an open stay', open, night, p('05:00', 'check_in'), false],
    ['a day shift forgotten open, the next morning: today', [{ check_in_time: at('09:00', '2026-03-01').toISOString(), check_out_time: null }], { start: at('09:00', '2026-03-01'), end: at('17:00', '2026-03-01') }, p('08:00'), false],
  ])('when %s', (_name, yesterday, yesterdayPlan, punch, want) => {
    expect(belongsToDayBefore({ at: punch.at, intent: punch.intent, yesterday, yesterdayPlan, todayPlan: { start: at('09:00') }, midnight, maxShiftMs: 16 * 3_600_000 })).toBe(want);
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
