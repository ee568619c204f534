// The assistant's offline planner (no language model): how it reads questions, which tools it calls with which
// arguments, and that every figure in its answers is the one computed by hand from a fixed fixture. Then
// `resolvePeriod` on its own, and POST /chat/ through the app (roles, validation, per-admin rate limit).
//
// Organisation-wide answers must not see other files' data, so this file runs in a private, migrated database (the
// "solo database" of tests/employees.test.ts). The planner is called with a FIXED today, 2026-03-18 (a Wednesday,
// TIMEZONE UTC), so relative dates are deterministic; only POST /chat/ uses the real date, and there it is asked
// about explicit dates or about a team whose records are written for the real date.
//
// Calendar: 2026-02-01 and 2026-03-01 are Sundays. Mon–Fri teams work 20 days in February (2–6, 9–13, 16–20, 23–27)
// and 13 days in March up to today (2–6, 9–13, 16, 17 and today 18). Finance works Mon–Thu: 16 days in February,
// 11 in March up to today (2–5, 9–12, 16, 17, 18).
//
// Definitions (summary.service.ts): expected = scheduled active members who existed by then, minus those On Leave;
// present = Present, Late, Half Day or Remote; absent = expected − present on past days (an Absent record or no
// record), and on today only an Absent record (no record yet is "not in yet", still expected); rate = present ÷
// expected pooled over the working days, rounded to one decimal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, isoWeekday, localDate } from '../src/infra/time.ts';
import { resolvePeriod } from '../src/modules/assistant/periods.ts';
import { answerOffline, EXAMPLES, type Answer, type ToolUse } from '../src/modules/assistant/planner.ts';
import { createSoloDatabase, createTestHub, stayOf, type TestHub } from './utils.ts';

const TODAY = '2026-03-18';

let hub: TestHub;
let db: Awaited<ReturnType<typeof createSoloDatabase>>;
let dbUrl: string;

// ---------------------------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------------------------

type TeamName = 'Support' | 'Sales' | 'Engineering' | 'Finance';
const TEAM_DAYS: Record<TeamName, number[]> = { Support: [1, 2, 3, 4, 5], Sales: [1, 2, 3, 4, 5], Engineering: [1, 2, 3, 4, 5], Finance: [1, 2, 3, 4] };
const STAFF: [string, TeamName][] = [
  ['Ada Lovelace', 'Support'], ['Grace Hopper', 'Support'], ['Alan Turing', 'Support'], ['Katherine Johnson', 'Support'],
  ['Margaret Hamilton', 'Sales'], ['Linus Pauling', 'Sales'], ['Barbara Liskov', 'Sales'], ['Edsger Dijkstra', 'Sales'],
  ['Donald Knuth', 'Engineering'], ['Frances Allen', 'Engineering'], ['Ken Thompson', 'Engineering'], ['Radia Perlman', 'Engineering'],
  ['Hedy Lamarr', 'Finance'], ['Claude Shannon', 'Finance'], ['Marie Curie', 'Finance'],
];

type Status = 'Present' | 'Late' | 'Absent' | 'Remote' | 'On Leave' | 'Half Day';
/** A day's record; null = no record at all (on a past working day: absent; today: not in yet). */
type Rec = { status: Status; in?: string | null; out?: string | null; missing?: boolean } | null;

const P: Rec = { status: 'Present', in: '08:55', out: '17:30' };
const L: Rec = { status: 'Late', in: '09:25', out: '17:30' };
const LEAVE: Rec = { status: 'On Leave', in: null, out: null };
const ABSENT: Rec = { status: 'Absent', in: null, out: null };
const REMOTE: Rec = { status: 'Remote', in: null, out: null };
const NONE: Rec = null;

/**
 * Every member has a Present record (08:55–17:30) on each working day of their team from 2026-02-02 to 2026-03-17,
 * except these days. Today (2026-03-18) has only the records listed under TODAY_RECORDS.
 */
const EXCEPTIONS: Record<string, Record<string, Rec>> = {
  'Ada Lovelace': { '2026-02-06': L, '2026-03-03': L, '2026-03-10': L, '2026-03-13': REMOTE, '2026-03-16': L },
  'Grace Hopper': { '2026-03-04': L, '2026-03-11': { status: 'Late', in: '09:25', out: null, missing: true } },
  'Alan Turing': { '2026-02-27': NONE, '2026-03-17': L },
  'Katherine Johnson': { '2026-02-16': LEAVE, '2026-02-17': LEAVE, '2026-02-18': LEAVE, '2026-02-19': LEAVE, '2026-02-20': LEAVE, '2026-03-05': ABSENT },
  'Margaret Hamilton': { '2026-03-05': L, '2026-03-12': L, '2026-03-13': L, '2026-03-17': L },
  'Linus Pauling': { '2026-02-05': L, '2026-02-12': L, '2026-02-19': L, '2026-03-10': ABSENT },
  'Barbara Liskov': { '2026-02-09': L, '2026-02-23': L, '2026-03-11': NONE, '2026-03-12': ABSENT },
  'Edsger Dijkstra': { '2026-02-10': ABSENT, '2026-02-11': NONE },
  'Donald Knuth': { '2026-02-25': { status: 'Present', in: '08:55', out: null, missing: true }, '2026-03-09': L },
  'Frances Allen': { '2026-02-06': REMOTE, '2026-02-13': REMOTE, '2026-02-20': REMOTE, '2026-02-27': REMOTE, '2026-03-06': REMOTE, '2026-03-13': REMOTE },
  'Ken Thompson': { '2026-02-03': L, '2026-02-10': L, '2026-02-17': L, '2026-02-24': L, '2026-03-12': { status: 'Present', in: '08:55', out: null, missing: true }, '2026-03-17': NONE },
  'Radia Perlman': { '2026-02-18': { status: 'Half Day', in: '08:55', out: '13:00' } },
  'Hedy Lamarr': { '2026-03-02': LEAVE, '2026-03-03': LEAVE, '2026-03-17': L },
  'Claude Shannon': { '2026-02-23': LEAVE, '2026-02-24': LEAVE, '2026-02-25': LEAVE, '2026-02-26': LEAVE, '2026-03-10': NONE, '2026-03-16': { status: 'Half Day', in: '08:55', out: '13:00' } },
  'Marie Curie': { '2026-02-04': ABSENT },
};

/**
 * Today, 2026-03-18 (the live board): in = Present/Late without a check-out.
 * Support: Ada 08:50, Grace 08:52, Alan remote, Katherine not in yet. Sales: Margaret 08:45, Linus checked out,
 * Barbara absent, Edsger not in yet. Engineering: Donald 09:00, Frances on leave, Ken 08:58, Radia late 09:40.
 * Finance: Hedy 08:30, Claude 08:40, Marie not in yet.
 */
const TODAY_RECORDS: Record<string, Rec> = {
  'Ada Lovelace': { status: 'Present', in: '08:50' },
  'Grace Hopper': { status: 'Present', in: '08:52' },
  'Alan Turing': REMOTE,
  'Margaret Hamilton': { status: 'Present', in: '08:45' },
  'Linus Pauling': { status: 'Present', in: '08:30', out: '12:00' },
  'Barbara Liskov': ABSENT,
  'Donald Knuth': { status: 'Present', in: '09:00' },
  'Frances Allen': LEAVE,
  'Ken Thompson': { status: 'Present', in: '08:58' },
  'Radia Perlman': { status: 'Late', in: '09:40' },
  'Hedy Lamarr': { status: 'Present', in: '08:30' },
  'Claude Shannon': { status: 'Present', in: '08:40' },
};

const team: Record<TeamName, number> = { Support: 0, Sales: 0, Engineering: 0, Finance: 0 };
const person: Record<string, number> = {};

async function buildFixture() {
  for (const name of Object.keys(TEAM_DAYS) as TeamName[]) {
    team[name] = (await hub.makeTeam({ team_name: name, working_weekdays: TEAM_DAYS[name] })).team_id;
  }
  for (const [name, teamName] of STAFF) {
    const e = await hub.makeEmployee({ name, team_id: team[teamName] });
    person[name] = e.employee_id;
  }
  // Everyone joined before the fixture's first day, so each is expected on every working day of it.
  const ids = Object.values(person);
  await hub.rows(`update employees set created_at = '2026-02-01T00:00:00Z' where employee_id in (${ids.map(() => '?').join(', ')})`, ids);

  const values: unknown[] = [];
  const add = (name: string, date: string, rec: Exclude<Rec, null>) => {
    const checkIn = rec.in ? `${date}T${rec.in}:00Z` : null;
    const checkOut = rec.out ? `${date}T${rec.out}:00Z` : null;
    values.push(person[name], team[STAFF.find(([n]) => n === name)![1]], date, rec.status, checkIn, checkOut, stayOf(checkIn, checkOut), rec.missing ?? false);
  };
  for (const [name, teamName] of STAFF) {
    for (let day = '2026-02-02'; day <= '2026-03-17'; day = addDays(day, 1)) {
      if (!TEAM_DAYS[teamName].includes(isoWeekday(day))) continue;
      const rec = day in (EXCEPTIONS[name] ?? {}) ? EXCEPTIONS[name][day] : P;
      if (rec) add(name, day, rec);
    }
    const rec = TODAY_RECORDS[name];
    if (rec) add(name, TODAY, rec);
  }
  const rowsSql = Array.from({ length: values.length / 8 }, () => `(?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'api', now(), now())`).join(', ');
  await hub.rows(
    `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, intervals, missing_check_out, source, created_at, updated_at)
     values ${rowsSql}`,
    values,
  );
}

beforeAll(async () => {
  db = await createSoloDatabase();
  dbUrl = db.url;
  hub = await createTestHub({ DATABASE_URL: dbUrl });
  await buildFixture();
});

afterAll(async () => {
  await hub?.close();
  await db?.drop();
});

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const DATE_RE = /\b\d{4}-\d{2}-\d{2}\b/g;
const TIME_RE = /\b\d{1,2}:\d{2}\b/g;

/** The figures of a text: whole dates, whole HH:MM times, then every other number (normalised, "97.50" → "97.5"). */
function figuresIn(text: string): string[] {
  const out: string[] = [];
  let rest = text.replace(DATE_RE, (d) => (out.push(d), ' '));
  rest = rest.replace(TIME_RE, (t) => (out.push(t), ' '));
  for (const m of rest.matchAll(/\d+(?:\.\d+)?/g)) out.push(String(Number(m[0])));
  return out;
}

/** Every figure found in some values (recursively; keys are ignored), plus the year of every date among them. */
function figuresOf(...values: unknown[]): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'number') found.add(String(v));
    else if (typeof v === 'string') {
      for (const f of figuresIn(v)) {
        found.add(f);
        if (/^\d{4}-\d{2}-\d{2}$/.test(f)) found.add(String(Number(f.slice(0, 4))));
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  values.forEach(walk);
  return found;
}

/**
 * "Never an invented number": each figure of the response is in the tool data, in the tools' arguments (the period),
 * or in the question itself (a number the admin said, such as "top 3").
 */
function expectNoInventedFigures(question: string, answer: Answer, extra: (string | number)[] = []) {
  const allowed = figuresOf(answer.data, answer.tools_used.map((t) => t.args), question, extra.map(String));
  const invented = figuresIn(answer.response).filter((f) => !allowed.has(f));
  expect(invented, `figures in "${answer.response}" not found in the data`).toEqual([]);
}

/** Asks the planner with the fixed today; an understood answer is checked for invented figures. */
async function ask(question: string, opts: { today?: string; extra?: (string | number)[] } = {}): Promise<Answer> {
  const answer = await answerOffline(question, { em: hub.em(), config: hub.config, today: opts.today ?? TODAY });
  if (answer.understood) expectNoInventedFigures(question, answer, opts.extra);
  // Every answer ends with its scope (checked on its own below); the sentences are compared without it.
  if (!answer.declined) expect(answer.response).toMatch(/\n\nScope: .+ · .+ · time zone UTC\.$/);
  return { ...answer, response: answer.response.replace(/\n\nScope: [^\n]*$/, '') };
}

type PeopleData = { people_count: number; occurrences: number; people: { name: string; team_name: string | null; count: number; dates: string[] }[] };
/** [name, count, dates] of a people_by_status result. */
const peopleOf = (data: unknown) => (data as PeopleData).people.map((p) => [p.name, p.count, p.dates]);
const who = (status: string, from: string, to: string, team_id: number | null = null, min_count = 1): ToolUse => ({
  name: 'people_by_status',
  args: { status, from, to, team_id, min_count },
});
const rate = (from: string, to: string, team_id: number | null = null): ToolUse => ({ name: 'attendance_rate', args: { from, to, team_id } });

describe('the invented-figure check', () => {
  it('when a response carries a figure that is in neither the data, the arguments nor the question, then it is reported', () => {
    const answer = (response: string): Answer => ({
      understood: true,
      declined: false,
      table: null,
      scope: { period: null, team: null, employee: null, timezone: 'UTC' },
      response,
      tools_used: [{ name: 'attendance_rate', args: { from: '2026-03-09', to: '2026-03-15', team_id: null } }],
      data: { rate: 94.4, present: 68, expected: 72, by_day: [{ date: '2026-03-09', rate: 100 }], average_arrival: '09:07' },
    });
    const invented = (response: string) => {
      const a = answer(response);
      const allowed = figuresOf(a.data, a.tools_used.map((t) => t.args));
      return figuresIn(response).filter((f) => !allowed.has(f));
    };
    expect(invented('last week (2026-03-09 to 2026-03-15), 2026: 94.4% — 68 of 72, at 09:07')).toEqual([]);
    expect(invented('94.5% — 69 of 72 on 2026-03-16 at 09:08')).toEqual(['2026-03-16', '09:08', '94.5', '69']);
    // The month of a date is not a number of the data.
    expect(invented('3 people')).toEqual(['3']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: counts', () => {
  it('when asked how many people were late yesterday, then it counts the 3 late on 2026-03-17', async () => {
    // Yesterday = 2026-03-17 (Tue). Late: Alan Turing, Margaret Hamilton, Hedy Lamarr → 3 people, 3 late arrivals.
    const a = await ask('How many people were late yesterday?');
    expect(a.understood).toBe(true);
    expect(a.tools_used).toEqual([who('Late', '2026-03-17', '2026-03-17')]);
    expect(a.response).toBe('3 people were late yesterday (2026-03-17); 3 late arrivals in all.');
    expect(a.data).toMatchObject({ people_count: 3, occurrences: 3 });
    expect(peopleOf(a.data).map(([n]) => n)).toEqual(['Alan Turing', 'Hedy Lamarr', 'Margaret Hamilton']);
  });

  it('when asked how many absences Sales had last week, then it counts 3 absences by 2 people', async () => {
    // Last week = 2026-03-09..15. Sales: Linus Mar 10 (Absent record), Barbara Mar 11 (no record), Mar 12 (Absent) → 3 by 2.
    const a = await ask('How many absences in Sales last week?');
    expect(a.tools_used).toEqual([who('Absent', '2026-03-09', '2026-03-15', team.Sales)]);
    expect(a.response).toBe('There were 3 absences in Sales last week (2026-03-09 to 2026-03-15), by 2 people.');
    expect(peopleOf(a.data)).toEqual([
      ['Barbara Liskov', 2, ['2026-03-11', '2026-03-12']],
      ['Linus Pauling', 1, ['2026-03-10']],
    ]);
  });

  it('when asked how many people were absent yesterday, then only Ken Thompson (no record) counts', async () => {
    // 2026-03-17: Ken Thompson has no record; everyone else has one → 1 person, 1 absence.
    const a = await ask('How many people were absent yesterday?');
    expect(a.tools_used).toEqual([who('Absent', '2026-03-17', '2026-03-17')]);
    expect(a.response).toBe('1 person was absent yesterday (2026-03-17); 1 absence in all.');
    expect(peopleOf(a.data)).toEqual([['Ken Thompson', 1, ['2026-03-17']]]);
  });

  it('when asked how many absences there were in February, then 4 absences by 3 people', async () => {
    // Feb: Edsger Feb 10 (Absent) + Feb 11 (no record), Marie Feb 4 (Absent), Alan Feb 27 (no record) → 4 by 3.
    const a = await ask('How many absences in February?');
    expect(a.tools_used).toEqual([who('Absent', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe('There were 4 absences in February 2026 (2026-02-01 to 2026-02-28), by 3 people.');
    expect(peopleOf(a.data)).toEqual([
      ['Edsger Dijkstra', 2, ['2026-02-10', '2026-02-11']],
      ['Alan Turing', 1, ['2026-02-27']],
      ['Marie Curie', 1, ['2026-02-04']],
    ]);
  });

  it('when asked how many people were on leave last month, then 2 people and 9 days of leave', async () => {
    // Feb: Katherine Feb 16–20 (5), Claude Feb 23–26 (4) → 2 people, 9 days.
    const a = await ask('How many people were on leave last month?');
    expect(a.tools_used).toEqual([who('On Leave', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe('2 people were on leave last month (2026-02-01 to 2026-02-28); 9 days of leave in all.');
    expect(peopleOf(a.data).map(([n, c]) => [n, c])).toEqual([['Katherine Johnson', 5], ['Claude Shannon', 4]]);
  });

  it('when asked how many people were late in Support this month, then 3 people with 6 late arrivals', async () => {
    // Mar 1–18, Support: Ada 3 (Mar 3, 10, 16), Grace 2 (Mar 4, 11), Alan 1 (Mar 17) → 3 people, 6.
    const a = await ask('How many people were late in Support this month?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY, team.Support)]);
    expect(a.response).toBe('3 people in Support were late this month (2026-03-01 to 2026-03-18); 6 late arrivals in all.');
    expect(a.data).toMatchObject({ people_count: 3, occurrences: 6 });
  });

  it('when asked how many late arrivals in the last 7 days, then "7 days" is the period and not a threshold: 7 by 5 people', async () => {
    // 2026-03-12..18: Margaret 12, 13, 17; Ada 16; Alan 17; Hedy 17; Radia 18 (today) → 7 late arrivals by 5 people.
    const a = await ask('How many late arrivals in the last 7 days?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-12', TODAY)]);
    expect(a.response).toBe('There were 7 late arrivals in the last 7 days (2026-03-12 to 2026-03-18), by 5 people.');
    expect(peopleOf(a.data).map(([n, c]) => [n, c])).toEqual([
      ['Margaret Hamilton', 3], ['Ada Lovelace', 1], ['Alan Turing', 1], ['Hedy Lamarr', 1], ['Radia Perlman', 1],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Rates
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: attendance rates', () => {
  it('when asked the attendance rate in Support last month, then 74 of 75 = 98.7% over 20 working days', async () => {
    // Feb, Support: 4 × 20 = 80 slots − Katherine's 5 days of leave = 75 expected; Alan absent Feb 27 → 74 present.
    // 74/75 = 98.67 → 98.7%. Late: Ada Feb 6 → 1. Absences: 1.
    const a = await ask('What was the attendance rate in Support last month?');
    expect(a.tools_used).toEqual([rate('2026-02-01', '2026-02-28', team.Support)]);
    expect(a.response).toBe(
      'The attendance rate for Support last month (2026-02-01 to 2026-02-28) was 98.7%: 74 of 75 expected attendances over 20 working days (1 late arrival, 1 absence).',
    );
    expect(a.data).toMatchObject({ team_name: 'Support', working_days: 20, expected: 75, present: 74, late: 1, absent: 1, remote: 0, rate: 98.7 });
  });

  it('when asked for the attendance rate yesterday, then 14 of 15 = 93.3% for the organisation', async () => {
    // 2026-03-17 (Tue): all 15 scheduled, nobody on leave; Ken has no record → 14/15 = 93.33 → 93.3%.
    // Late: Alan, Margaret, Hedy → 3.
    const a = await ask('attendance rate yesterday');
    expect(a.tools_used).toEqual([rate('2026-03-17', '2026-03-17')]);
    expect(a.response).toBe(
      'The attendance rate for the organisation yesterday (2026-03-17) was 93.3%: 14 of 15 expected attendances over 1 working day (3 late arrivals, 1 absence).',
    );
    expect(a.data).toMatchObject({ working_days: 1, expected: 15, present: 14, late: 3, absent: 1, rate: 93.3 });
  });

  it('when asked the attendance rate last week, then 68 of 72 = 94.4% pooled over the 5 working days', async () => {
    // 2026-03-09..15. Expected: Support/Sales/Engineering 4 × 5 = 20 each, Finance 3 × 4 (Mon–Thu) = 12 → 72.
    // Not present: Sales 3 (Linus 10, Barbara 11, 12), Finance 1 (Claude 10) → 68. 68/72 = 94.44 → 94.4%.
    // Late: Donald 9, Ada 10, Grace 11, Margaret 12, 13 → 5.
    const a = await ask('What was the attendance rate last week?');
    expect(a.tools_used).toEqual([rate('2026-03-09', '2026-03-15')]);
    expect(a.response).toBe(
      'The attendance rate for the organisation last week (2026-03-09 to 2026-03-15) was 94.4%: 68 of 72 expected attendances over 5 working days (5 late arrivals, 4 absences).',
    );
    expect(a.data).toMatchObject({ working_days: 5, expected: 72, present: 68, late: 5, absent: 4, remote: 2 });
  });

  it('when asked the attendance rate this month, then today counts with the members not in yet still expected: 176 of 186', async () => {
    // Mar 1–18, per day expected/present: 2: 14/14 (Hedy leave), 3: 14/14, 4: 15/15, 5: 15/14 (Katherine), 6: 12/12 (Fri,
    // no Finance), 9: 15/15, 10: 15/13 (Linus, Claude), 11: 15/14 (Barbara), 12: 15/14 (Barbara), 13: 12/12, 16: 15/15,
    // 17: 15/14 (Ken), 18: 14/10 (Frances on leave; Barbara absent; Katherine, Edsger, Marie not in yet).
    // Sum: 186 expected, 176 present → 94.62 → 94.6%. Late 13 (Support 6, Sales 4, Engineering 2, Finance 1).
    // Absent 7 (Katherine 5, Linus 10, Claude 10, Barbara 11, 12, 18, Ken 17): the 3 not in yet are not absences.
    const a = await ask('What was the attendance rate this month?');
    expect(a.tools_used).toEqual([rate('2026-03-01', TODAY)]);
    expect(a.response).toBe(
      'The attendance rate for the organisation this month (2026-03-01 to 2026-03-18) was 94.6%: 176 of 186 expected attendances over 13 working days (13 late arrivals, 7 absences).',
    );
    expect(a.data).toMatchObject({ working_days: 13, expected: 186, present: 176, late: 13, absent: 7, rate: 94.6 });
  });

  it('when asked the attendance rate in Finance this month, then its Mon–Thu week and the leave are taken into account', async () => {
    // Finance (Mon–Thu): 3 × 11 days = 33 − Hedy's 2 days of leave = 31 expected. Not present: Claude Mar 10,
    // Marie today (not in yet) → 29. 29/31 = 93.55 → 93.5%. Late: Hedy Mar 17 → 1. Absent: Claude → 1.
    const a = await ask('What was the attendance rate in Finance this month?');
    expect(a.tools_used).toEqual([rate('2026-03-01', TODAY, team.Finance)]);
    expect(a.response).toBe(
      'The attendance rate for Finance this month (2026-03-01 to 2026-03-18) was 93.5%: 29 of 31 expected attendances over 11 working days (1 late arrival, 1 absence).',
    );
    expect(a.data).toMatchObject({ working_days: 11, expected: 31, present: 29, late: 1, absent: 1 });
  });

  it('when asked the rate between two explicit dates, then that range: 69 of 70 = 98.6%', async () => {
    // 2026-03-02..06: Support 20 (Katherine absent Mar 5 → 19), Sales 20/20, Engineering 20/20 (Frances remote Mar 6),
    // Finance Mon–Thu 12 − Hedy's 2 days of leave = 10/10 → 69/70 = 98.57 → 98.6%. Late: Ada 3, Grace 4, Margaret 5.
    const a = await ask('What was the attendance rate between 2026-03-02 and 2026-03-06?');
    expect(a.tools_used).toEqual([rate('2026-03-02', '2026-03-06')]);
    expect(a.response).toBe(
      'The attendance rate for the organisation from 2026-03-02 to 2026-03-06 was 98.6%: 69 of 70 expected attendances over 5 working days (3 late arrivals, 1 absence).',
    );
  });

  it('when asked how Sales did last week, then the Sales rate: 17 of 20 = 85%', async () => {
    // Sales, Mar 9–13: 20 expected; Linus 10, Barbara 11, 12 absent → 17 → 85%. Late: Margaret 12, 13.
    const a = await ask('How did Sales do last week?');
    expect(a.tools_used).toEqual([rate('2026-03-09', '2026-03-15', team.Sales)]);
    expect(a.response).toBe(
      'The attendance rate for Sales last week (2026-03-09 to 2026-03-15) was 85%: 17 of 20 expected attendances over 5 working days (2 late arrivals, 3 absences).',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Who-lists, thresholds
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: who-lists by status, team, dates and thresholds', () => {
  it('when asked who was late three times this month in Support, then only Ada Lovelace (3)', async () => {
    // Support, Mar 1–18: Ada 3, Grace 2, Alan 1 → at least 3: Ada.
    const a = await ask('Who was late three times this month in Support?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY, team.Support, 3)]);
    expect(a.response).toBe('1 person in Support was late at least 3 times this month (2026-03-01 to 2026-03-18): Ada Lovelace (3).');
    expect(peopleOf(a.data)).toEqual([['Ada Lovelace', 3, ['2026-03-03', '2026-03-10', '2026-03-16']]]);
  });

  it('when asked who was late more than 2 times this month, then at least 3: Margaret Hamilton (4) and Ada Lovelace (3)', async () => {
    // Mar 1–18: Margaret 4 (5, 12, 13, 17), Ada 3, Grace 2, Alan/Donald/Hedy/Radia 1.
    const a = await ask('Who was late more than 2 times this month?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY, null, 3)]);
    expect(a.response).toBe(
      '2 people were late at least 3 times this month (2026-03-01 to 2026-03-18): Margaret Hamilton (4, Sales) and Ada Lovelace (3, Support).',
    );
    expect(peopleOf(a.data)[0]).toEqual(['Margaret Hamilton', 4, ['2026-03-05', '2026-03-12', '2026-03-13', '2026-03-17']]);
  });

  it('when asked who was late more than twice this month, then "more than twice" is at least 3, as "more than 2 times" is', async () => {
    const a = await ask('Who was late more than twice this month?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY, null, 3)]);
    expect(a.response).toMatch(/^2 people were late at least 3 times this month/);
  });

  it('when asked who was late at least 2 times this month, then Margaret, Ada and Grace', async () => {
    const a = await ask('Who was late at least 2 times this month?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY, null, 2)]);
    expect(a.response).toBe(
      '3 people were late at least 2 times this month (2026-03-01 to 2026-03-18): Margaret Hamilton (4, Sales), Ada Lovelace (3, Support) and Grace Hopper (2, Support).',
    );
  });

  it('when asked who was late at least 3 times in February, then Ken Thompson (4) and Linus Pauling (3)', async () => {
    // Feb late: Ken 4 (Tuesdays 3, 10, 17, 24), Linus 3 (Thursdays 5, 12, 19), Barbara 2 (Mondays 9, 23), Ada 1 (6).
    const a = await ask('Who was late at least 3 times in February?');
    expect(a.tools_used).toEqual([who('Late', '2026-02-01', '2026-02-28', null, 3)]);
    expect(a.response).toBe(
      '2 people were late at least 3 times in February 2026 (2026-02-01 to 2026-02-28): Ken Thompson (4, Engineering) and Linus Pauling (3, Sales).',
    );
  });

  it('when asked who was late twice in February, then "twice" is at least 2: Ken, Linus and Barbara', async () => {
    const a = await ask('Who was late twice in February?');
    expect(a.tools_used).toEqual([who('Late', '2026-02-01', '2026-02-28', null, 2)]);
    expect(a.response).toBe(
      '3 people were late at least 2 times in February 2026 (2026-02-01 to 2026-02-28): Ken Thompson (4, Engineering), Linus Pauling (3, Sales) and Barbara Liskov (2, Sales).',
    );
  });

  it('when asked who was late in Engineering this month, then Donald Knuth and Radia Perlman (late today)', async () => {
    // Engineering, Mar 1–18: Donald Mar 9, Radia today Mar 18.
    const a = await ask('Who was late in Engineering this month?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY, team.Engineering)]);
    expect(a.response).toBe('2 people in Engineering were late this month (2026-03-01 to 2026-03-18): Donald Knuth (1) and Radia Perlman (1).');
    expect(peopleOf(a.data)).toEqual([['Donald Knuth', 1, ['2026-03-09']], ['Radia Perlman', 1, ['2026-03-18']]]);
  });

  it('when asked who worked from home last Friday, then Ada Lovelace and Frances Allen on 2026-03-13', async () => {
    // Last Friday before Wed 2026-03-18 = 2026-03-13: Remote: Ada, Frances.
    const a = await ask('Who worked from home last Friday?');
    expect(a.tools_used).toEqual([who('Remote', '2026-03-13', '2026-03-13')]);
    expect(a.response).toBe('2 people were remote on Friday 2026-03-13: Ada Lovelace (Support) and Frances Allen (Engineering).');
  });

  it('when asked who was on leave in February, then Katherine Johnson (5) and Claude Shannon (4)', async () => {
    const a = await ask('Who was on leave in February?');
    expect(a.tools_used).toEqual([who('On Leave', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe(
      '2 people were on leave in February 2026 (2026-02-01 to 2026-02-28): Katherine Johnson (5, Support) and Claude Shannon (4, Finance).',
    );
    expect(peopleOf(a.data)).toEqual([
      ['Katherine Johnson', 5, ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']],
      ['Claude Shannon', 4, ['2026-02-23', '2026-02-24', '2026-02-25', '2026-02-26']],
    ]);
  });

  it('when asked who forgot to check out last week, then Grace Hopper (Mar 11) and Ken Thompson (Mar 12)', async () => {
    const a = await ask('Who forgot to check out last week?');
    expect(a.tools_used).toEqual([who('missing_check_out', '2026-03-09', '2026-03-15')]);
    expect(a.response).toBe(
      '2 people were missing a check-out last week (2026-03-09 to 2026-03-15): Grace Hopper (1, Support) and Ken Thompson (1, Engineering).',
    );
    expect(peopleOf(a.data)).toEqual([['Grace Hopper', 1, ['2026-03-11']], ['Ken Thompson', 1, ['2026-03-12']]]);
  });

  it('when asked who forgot to check out in February, then Donald Knuth on Feb 25', async () => {
    const a = await ask('Who forgot to check out in February?');
    expect(a.tools_used).toEqual([who('missing_check_out', '2026-02-01', '2026-02-28')]);
    expect(peopleOf(a.data)).toEqual([['Donald Knuth', 1, ['2026-02-25']]]);
    expect(a.response).toContain('Donald Knuth (1, Engineering)');
  });

  it('when asked who was absent on 2026-03-10, then the Absent record and the missing record both count', async () => {
    // 2026-03-10 (Tue): Linus has an Absent record; Claude (Finance works Tuesdays) has none → both absent.
    const a = await ask('Who was absent on 2026-03-10?');
    expect(a.tools_used).toEqual([who('Absent', '2026-03-10', '2026-03-10')]);
    expect(a.response).toBe('2 people were absent on 2026-03-10: Claude Shannon (Finance) and Linus Pauling (Sales).');
  });

  it('when asked who was absent since 2026-03-09, then up to today, where only an Absent record counts', async () => {
    // Mar 9–18: Barbara 11, 12, 18 (Absent record today); Claude 10; Ken 17; Linus 10. Katherine, Edsger and Marie
    // have no record today: not in yet, not absent.
    const a = await ask('Who was absent since 2026-03-09?');
    expect(a.tools_used).toEqual([who('Absent', '2026-03-09', TODAY)]);
    expect(a.response).toBe(
      '4 people were absent since 2026-03-09: Barbara Liskov (3, Sales), Claude Shannon (1, Finance), Ken Thompson (1, Engineering) and Linus Pauling (1, Sales).',
    );
    expect(a.data).toMatchObject({ people_count: 4, occurrences: 6 });
  });

  it('when asked who was absent in Sales last week, then Barbara (2) and Linus (1)', async () => {
    const a = await ask('Who was absent in Sales last week?');
    expect(a.tools_used).toEqual([who('Absent', '2026-03-09', '2026-03-15', team.Sales)]);
    expect(a.response).toBe('2 people in Sales were absent last week (2026-03-09 to 2026-03-15): Barbara Liskov (2) and Linus Pauling (1).');
  });

  it('when asked who arrived late since Monday, then from this Monday up to today', async () => {
    // 2026-03-16..18: Ada 16; Alan, Hedy, Margaret 17; Radia 18 → 5 people, once each.
    const a = await ask('Who arrived late since Monday?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-16', TODAY)]);
    expect(a.response).toBe(
      '5 people were late since Monday 2026-03-16: Ada Lovelace (1, Support), Alan Turing (1, Support), Hedy Lamarr (1, Finance), Margaret Hamilton (1, Sales) and Radia Perlman (1, Engineering).',
    );
  });

  it('when two teams are named, then both are asked and the lists put together', async () => {
    // 2026-03-17: late in Sales Margaret, in Support Alan (Hedy, in Finance, is not asked about).
    const a = await ask('Who was late yesterday in Sales and Support?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-17', '2026-03-17', team.Sales), who('Late', '2026-03-17', '2026-03-17', team.Support)]);
    expect(a.response).toBe('2 people in Sales and Support were late yesterday (2026-03-17): Alan Turing (Support) and Margaret Hamilton (Sales).');
    expect(a.data).toMatchObject({ people_count: 2, occurrences: 2, team_ids: [team.Sales, team.Support] });
  });

  it('when asked who was late this Monday, then Ada Lovelace on 2026-03-16', async () => {
    const a = await ask('Who was late this Monday?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-16', '2026-03-16')]);
    expect(a.response).toBe('1 person was late on Monday 2026-03-16: Ada Lovelace (Support).');
  });

  it('when asked who had a half day this Monday, then Claude Shannon', async () => {
    const a = await ask('Who had a half day this Monday?');
    expect(a.tools_used).toEqual([who('Half Day', '2026-03-16', '2026-03-16')]);
    expect(a.response).toBe('1 person was on a half day on Monday 2026-03-16: Claude Shannon (Finance).');
  });

  it('when asked who was remote in February, then Frances Allen on her 4 Fridays', async () => {
    const a = await ask('Who was remote in February?');
    expect(a.tools_used).toEqual([who('Remote', '2026-02-01', '2026-02-28')]);
    expect(peopleOf(a.data)).toEqual([['Frances Allen', 4, ['2026-02-06', '2026-02-13', '2026-02-20', '2026-02-27']]]);
    expect(a.response).toBe('1 person was remote in February 2026 (2026-02-01 to 2026-02-28): Frances Allen (4, Engineering).');
  });

  it('when asked who is on leave today, then Frances Allen (today is the fixed 2026-03-18)', async () => {
    const a = await ask('Who is on leave today?');
    expect(a.tools_used).toEqual([who('On Leave', TODAY, TODAY)]);
    expect(a.response).toBe('1 person was on leave today (2026-03-18): Frances Allen (Engineering).');
  });

  it('when asked who is absent today, then Barbara Liskov (Absent record) and, before the day is closed, the three overdue by name', async () => {
    // The fixed day is past its shifts' start on the real clock: Katherine, Edsger and Marie (no record) are overdue.
    const a = await ask('Is anyone absent today?');
    expect(a.tools_used).toEqual([{ name: 'live_board', args: { team_id: null } }]);
    expect(a.response).toBe(
      'Today (2026-03-18) across all teams: 1 person is marked absent: Barbara Liskov. 3 people are overdue (past their start, not in yet): ' +
        'Marie Curie, Edsger Dijkstra and Katherine Johnson. The day closes at 23:00; whoever is still missing then is marked absent.',
    );
    expect(a.table?.rows.map((r) => `${r.name}: ${r.state}`).sort()).toEqual([
      'Barbara Liskov: absent', 'Edsger Dijkstra: overdue', 'Katherine Johnson: overdue', 'Marie Curie: overdue',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Rankings of people
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: rankings of people', () => {
  it('when asked who was late the most this month, then the top five, most first', async () => {
    // Mar 1–18: Margaret 4, Ada 3, Grace 2, then 1 each for Alan, Donald, Hedy, Radia (by name) → 7 people, 13 in all.
    const a = await ask('Who was late the most this month?');
    expect(a.tools_used).toEqual([who('Late', '2026-03-01', TODAY)]);
    expect(a.response).toBe(
      'Most often late this month (2026-03-01 to 2026-03-18): Margaret Hamilton (4), Ada Lovelace (3), Grace Hopper (2), Alan Turing (1), Donald Knuth (1).',
    );
    expect(a.data).toMatchObject({ people_count: 7, occurrences: 13 });
    expect(peopleOf(a.data)).toHaveLength(5);
  });

  it('when asked for the top 3 latecomers in February, then Ken, Linus and Barbara', async () => {
    // Feb: Ken 4, Linus 3, Barbara 2, Ada 1 → top 3.
    const a = await ask('top 3 latecomers in February');
    expect(a.tools_used).toEqual([who('Late', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe('Most often late in February 2026 (2026-02-01 to 2026-02-28): Ken Thompson (4), Linus Pauling (3), Barbara Liskov (2).');
    expect(a.data).toMatchObject({ people_count: 4, occurrences: 10 });
  });

  it('when asked who was absent the most last month, then Edsger Dijkstra first', async () => {
    const a = await ask('Who was absent the most last month?');
    expect(a.tools_used).toEqual([who('Absent', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe('Most often absent last month (2026-02-01 to 2026-02-28): Edsger Dijkstra (2), Alan Turing (1), Marie Curie (1).');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Teams: rankings, comparisons, issues
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: teams', () => {
  it('when asked which team had the best attendance last month, then all four ranked with Engineering first', async () => {
    // Feb: Engineering 80/80 = 100%; Support 74/75 = 98.7%; Finance 3 × 16 = 48 − 4 leave = 44, Marie absent → 43/44
    // = 97.7%; Sales 80, Edsger absent twice → 78/80 = 97.5%.
    const a = await ask('Which team had the best attendance last month?');
    expect(a.tools_used).toEqual([{ name: 'compare_teams', args: { from: '2026-02-01', to: '2026-02-28' } }]);
    expect(a.response).toBe(
      'Attendance by team last month (2026-02-01 to 2026-02-28): Engineering 100%, Support 98.7%, Finance 97.7%, Sales 97.5%. Highest: Engineering (100%); lowest: Sales (97.5%).',
    );
    expect((a.data as any[]).map((r) => [r.team_name, r.members, r.expected, r.present, r.late, r.absent, r.rate])).toEqual([
      ['Engineering', 4, 80, 80, 4, 0, 100],
      ['Support', 4, 75, 74, 1, 1, 98.7],
      ['Finance', 3, 44, 43, 0, 1, 97.7],
      ['Sales', 4, 80, 78, 5, 2, 97.5],
    ]);
  });

  it('when asked which team had the lowest attendance this month, then the ranking names Sales as lowest', async () => {
    // March (to today): Engineering 52 − 1 leave = 51, present 50 (Frances on leave today, Ken absent 17) → 98%;
    // Support 52, present 50 (Katherine absent 5, not in yet today) → 96.2%; Finance 29/31 → 93.5%;
    // Sales 52, present 47 (Linus 10, Barbara 11, 12, 18; Edsger not in yet today) → 90.4%.
    const a = await ask('Which team had the lowest attendance this month?');
    expect(a.tools_used).toEqual([{ name: 'compare_teams', args: { from: '2026-03-01', to: TODAY } }]);
    expect(a.response).toBe(
      'Attendance by team this month (2026-03-01 to 2026-03-18): Engineering 98%, Support 96.2%, Finance 93.5%, Sales 90.4%. Highest: Engineering (98%); lowest: Sales (90.4%).',
    );
  });

  it('when asked which team had the most absences this month, then the teams ranked by absences', async () => {
    // March absences: Sales 4 (Linus 10, Barbara 11, 12, 18); Support 1 (Katherine 5); Engineering 1 (Ken 17);
    // Finance 1 (Claude 10). Not in yet today does not count.
    const a = await ask('Which team has the most absences this month?');
    expect(a.tools_used).toEqual([{ name: 'compare_teams', args: { from: '2026-03-01', to: TODAY } }]);
    expect(a.response).toBe(
      'Absences by team this month (2026-03-01 to 2026-03-18): Sales 4, Engineering 1, Finance 1, Support 1. Most: Sales (4 absences); fewest: Engineering, Finance and Support (1 absence each).',
    );
    expect((a.data as any[]).map((r) => [r.team_name, r.absent])).toEqual([['Sales', 4], ['Engineering', 1], ['Finance', 1], ['Support', 1]]);
  });

  it('when asked which team had the most late arrivals in February, then Sales (5) first and Finance (0) last', async () => {
    // Feb late: Sales 5 (Linus 3, Barbara 2), Engineering 4 (Ken), Support 1 (Ada), Finance 0.
    const a = await ask('Which team had the most late arrivals in February?');
    expect(a.tools_used).toEqual([{ name: 'compare_teams', args: { from: '2026-02-01', to: '2026-02-28' } }]);
    expect(a.response).toBe(
      'Late arrivals by team in February 2026 (2026-02-01 to 2026-02-28): Sales 5, Engineering 4, Support 1, Finance 0. Most: Sales (5 late arrivals); fewest: Finance (0 late arrivals).',
    );
  });

  it('when the attendance rate of two named teams is asked, then they are compared', async () => {
    const a = await ask('What was the attendance rate of Sales and Support last week?');
    expect(a.tools_used).toEqual([{ name: 'compare_teams', args: { from: '2026-03-09', to: '2026-03-15' } }]);
    expect(a.response).toBe('Attendance by team last week (2026-03-09 to 2026-03-15): Support 100%, Sales 85%. Highest: Support (100%); lowest: Sales (85%).');
  });

  it('when asked to compare Sales and Support last week, then only those two, best first', async () => {
    // Mar 9–15: Support 20/20 = 100% (late Ada 10, Grace 11); Sales 17/20 = 85% (late Margaret 12, 13; 3 absences).
    const a = await ask('Compare Sales and Support last week');
    expect(a.tools_used).toEqual([{ name: 'compare_teams', args: { from: '2026-03-09', to: '2026-03-15' } }]);
    expect(a.response).toBe(
      'Attendance by team last week (2026-03-09 to 2026-03-15): Support 100%, Sales 85%. Highest: Support (100%); lowest: Sales (85%).',
    );
    expect((a.data as any[]).map((r) => [r.team_name, r.expected, r.present, r.late, r.absent, r.rate])).toEqual([
      ['Support', 20, 20, 2, 0, 100],
      ['Sales', 20, 17, 2, 3, 85],
    ]);
  });

  it('when asked for departments with attendance issues last month, then the teams below the organisation rate of 98.6%', async () => {
    // Feb organisation: 75 + 80 + 80 + 44 = 279 expected, 74 + 78 + 80 + 43 = 275 present → 98.57 → 98.6%.
    // Below: Sales 97.5% (5 late, 2 absences) and Finance 97.7% (0 late, 1 absence), lowest first; Support 98.7% is not.
    const a = await ask('Show me departments with attendance issues last month');
    expect(a.tools_used).toEqual([
      { name: 'compare_teams', args: { from: '2026-02-01', to: '2026-02-28' } },
      { name: 'attendance_rate', args: { from: '2026-02-01', to: '2026-02-28' } },
    ]);
    expect(a.response).toBe(
      "Teams below the organisation's attendance rate of 98.6% last month (2026-02-01 to 2026-02-28): Sales 97.5% (5 late arrivals, 2 absences); Finance 97.7% (0 late arrivals, 1 absence).",
    );
    expect((a.data as any).organisation_rate).toBe(98.6);
    expect((a.data as any).below.map((r: any) => r.team_name)).toEqual(['Sales', 'Finance']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// One person
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: one person', () => {
  const history = (name: string, from: string, to: string): ToolUse => ({ name: 'employee_history', args: { employee_id: person[name], from, to } });
  const lookup = (query: string): ToolUse => ({ name: 'find_employees', args: { query } });

  it('when asked how often Ada Lovelace was late this month, then 3 times with the dates', async () => {
    const a = await ask('How often was Ada Lovelace late this month?');
    expect(a.tools_used).toEqual([lookup('Ada Lovelace'), history('Ada Lovelace', '2026-03-01', TODAY)]);
    expect(a.response).toBe('Ada Lovelace (Support) was late 3 times this month (2026-03-01 to 2026-03-18): 2026-03-03, 2026-03-10 and 2026-03-16.');
    // Mar 1–18: 13 records (Mar 2–18 working days): Late 3, Remote 1 (Mar 13), Present 9.
    expect(a.data).toMatchObject({ days_recorded: 13, counts: { Late: 3, Remote: 1, Present: 9 } });
  });

  it("when asked to show Margaret Hamilton's attendance last week, then her days, average arrival and late weekdays", async () => {
    // Mar 9–13: Present 9, 10, 11 (08:55), Late 12, 13 (09:25) → 5 days, 3 Present, 2 Late;
    // average arrival (3 × 535 + 2 × 565) / 5 = 547 min = 09:07; late Thursday 1, Friday 1 (a tie: both named).
    const a = await ask("Show Margaret Hamilton's attendance last week");
    expect(a.tools_used).toEqual([lookup('Margaret Hamilton'), history('Margaret Hamilton', '2026-03-09', '2026-03-15')]);
    expect(a.response).toBe(
      'Margaret Hamilton (Sales) last week (2026-03-09 to 2026-03-15): 5 days recorded — 3 Present, 2 Late; average arrival 09:07; late most often on Thursday and Friday (1 each).',
    );
    expect(a.data).toMatchObject({ days_recorded: 5, counts: { Present: 3, Late: 2 }, average_arrival: '09:07', late_by_weekday: { Thursday: 1, Friday: 1 } });
  });

  it('when the surname is misspelled ("Grace Hoper"), then Grace Hopper is still found', async () => {
    // Last week: Grace late on Mar 11 only.
    const a = await ask('How often was Grace Hoper late last week?');
    expect(a.tools_used).toEqual([lookup('Grace Hopper'), history('Grace Hopper', '2026-03-09', '2026-03-15')]);
    expect(a.response).toBe('Grace Hopper (Support) was late 1 time last week (2026-03-09 to 2026-03-15): 2026-03-11.');
  });

  it('when only a surname is given ("Lovelace"), then that person', async () => {
    const a = await ask('How many times was Lovelace late in February?');
    expect(a.tools_used).toEqual([lookup('Ada Lovelace'), history('Ada Lovelace', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe('Ada Lovelace (Support) was late 1 time in February 2026 (2026-02-01 to 2026-02-28): 2026-02-06.');
  });

  it("when asked to show Ken Thompson's attendance in February, then 20 days, 4 Late, all on Tuesdays", async () => {
    // Feb: 20 records, Late on 4 Tuesdays (09:25), Present 16 (08:55): average (16 × 535 + 4 × 565) / 20 = 541 = 09:01.
    const a = await ask("Show Ken Thompson's attendance in February");
    expect(a.tools_used).toEqual([lookup('Ken Thompson'), history('Ken Thompson', '2026-02-01', '2026-02-28')]);
    expect(a.response).toBe(
      'Ken Thompson (Engineering) in February 2026 (2026-02-01 to 2026-02-28): 20 days recorded — 16 Present, 4 Late; average arrival 09:01; late most often on Tuesday (4).',
    );
  });

  it('when asked how often someone was absent, then a working day without any record counts (as everywhere else)', async () => {
    // Alan Turing has no record on Fri 2026-02-27 (Support works Fridays) → 1 absence, though his records show none.
    const a = await ask('How often was Alan Turing absent in February?');
    expect(a.tools_used).toEqual([
      lookup('Alan Turing'),
      history('Alan Turing', '2026-02-01', '2026-02-28'),
      who('Absent', '2026-02-01', '2026-02-28', team.Support),
    ]);
    expect(a.response).toBe('Alan Turing (Support) was absent 1 time in February 2026 (2026-02-01 to 2026-02-28): 2026-02-27.');
    expect(a.data).toMatchObject({ days_recorded: 19, absences: { count: 1, dates: ['2026-02-27'] } });
  });

  it('when asked whether Radia Perlman had a half day in February, then once, on Feb 18', async () => {
    const a = await ask('Did Radia Perlman have a half day in February?');
    expect(a.tools_used.map((t) => t.name)).toEqual(['find_employees', 'employee_history']);
    expect(a.response).toBe('Radia Perlman (Engineering) was on a half day 1 time in February 2026 (2026-02-01 to 2026-02-28): 2026-02-18.');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Weekday patterns
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: weekday patterns', () => {
  it('when asked which weekday has the most late arrivals in March, then Tuesday (5)', async () => {
    // Late in March by weekday: Mon 2 (Donald 9, Ada 16); Tue 5 (Ada 3, 10; Alan, Margaret, Hedy 17);
    // Wed 3 (Grace 4, 11; Radia 18); Thu 2 (Margaret 5, 12); Fri 1 (Margaret 13).
    // Rates: Mon 44/44 = 100; Tue 41/44 = 93.2; Wed 39/44 = 88.6 (today: 10 of 14); Thu 28/30 = 93.3; Fri 24/24 = 100.
    // Absent: Tue 3 (Linus, Claude 10; Ken 17), Wed 2 (Barbara 11, 18), Thu 2 (Katherine 5, Barbara 12).
    const a = await ask('Which weekday has the most late arrivals in March?');
    expect(a.tools_used).toEqual([{ name: 'weekday_pattern', args: { from: '2026-03-01', to: TODAY, team_id: null } }]);
    expect(a.response.startsWith('Most late arrivals in March 2026 (2026-03-01 to 2026-03-18): Tuesday (5).')).toBe(true);
    expect((a.data as any[]).map((r) => [r.weekday, r.days, r.rate, r.late, r.absent])).toEqual([
      ['Monday', 3, 100, 2, 0],
      ['Tuesday', 3, 93.2, 5, 3],
      ['Wednesday', 3, 88.6, 3, 2],
      ['Thursday', 2, 93.3, 2, 2],
      ['Friday', 2, 100, 1, 0],
    ]);
  });

  it('when asked which weekday has the most absences in February, then Wednesday (2)', async () => {
    // Feb absences: Wed Feb 4 (Marie), Wed Feb 11 (Edsger), Tue Feb 10 (Edsger), Fri Feb 27 (Alan).
    // Late: Mon 2 (Barbara), Tue 4 (Ken), Thu 3 (Linus), Fri 1 (Ada).
    const a = await ask('Which weekday has the most absences in February?');
    expect(a.tools_used).toEqual([{ name: 'weekday_pattern', args: { from: '2026-02-01', to: '2026-02-28', team_id: null } }]);
    expect(a.response.startsWith('Most absences in February 2026 (2026-02-01 to 2026-02-28): Wednesday (2).')).toBe(true);
    expect((a.data as any[]).map((r) => [r.weekday, r.late, r.absent])).toEqual([
      ['Monday', 2, 0], ['Tuesday', 4, 1], ['Wednesday', 0, 2], ['Thursday', 3, 0], ['Friday', 1, 1],
    ]);
  });

  it('when no period is named, then the last 90 days up to the fixed today', async () => {
    // 2026-03-18 − 89 days = 2025-12-19; nobody is expected before 2026-02-01, so the figures are Feb + March.
    const a = await ask('Which weekday has the most absences?', { extra: [90] });
    expect(a.tools_used).toEqual([{ name: 'weekday_pattern', args: { from: '2025-12-19', to: TODAY, team_id: null } }]);
    // Absences: Feb (Tue 1, Wed 2, Fri 1) + March (Tue 3, Wed 2, Thu 2) → Tuesday 4 and Wednesday 4: a tie, both named.
    expect(a.response.startsWith('Most absences over the last 90 days (2025-12-19 to 2026-03-18): Tuesday and Wednesday (4 each).')).toBe(true);
    expect((a.data as any[]).map((r) => [r.weekday, r.absent])).toEqual([['Monday', 0], ['Tuesday', 4], ['Wednesday', 4], ['Thursday', 2], ['Friday', 1]]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Live
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: live board (today = the fixed 2026-03-18)', () => {
  it('when asked who is in right now, then the board of the planner’s today: 8 in, 1 of them late', async () => {
    // In = present or late, not checked out: Engineering Donald 09:00, Ken 08:58, Radia 09:40 late; Finance Claude 08:40,
    // Hedy 08:30; Sales Margaret 08:45; Support Ada 08:50, Grace 08:52 → 8 (1 late). Remote: Alan. Not in yet: Marie,
    // Edsger, Katherine. Absent: Barbara. On leave: Frances. Checked out: Linus. 8 + 1 + 3 + 1 + 1 + 1 = 15.
    const a = await ask('Who is in right now?');
    expect(a.tools_used).toEqual([{ name: 'live_board', args: { team_id: null } }]);
    expect(a.response).toBe(
      'Today (2026-03-18) across all teams: 8 in (1 late), 1 remote, 3 not in yet, 1 absent, 1 on leave, 1 checked out. ' +
        'In now: Donald Knuth (09:00), Ken Thompson (08:58), Radia Perlman (09:40, late), Claude Shannon (08:40), Hedy Lamarr (08:30), ' +
        'Margaret Hamilton (08:45), Ada Lovelace (08:50) and Grace Hopper (08:52).',
    );
    const data = a.data as { date: string; boards: { team_name: string; date: string }[]; totals: Record<string, number> };
    expect(data.date).toBe(TODAY);
    expect(data.boards.map((b) => [b.team_name, b.date])).toEqual([
      ['Engineering', TODAY], ['Finance', TODAY], ['Sales', TODAY], ['Support', TODAY],
    ]);
    expect(data.totals).toEqual({ in: 8, late: 1, remote: 1, not_in_yet: 3, absent: 1, on_leave: 1, checked_out: 1, off: 0 });
  });

  it("when asked who hasn't arrived yet, then the three members without a record today", async () => {
    const a = await ask("Who hasn't arrived yet?");
    expect(a.tools_used).toEqual([{ name: 'live_board', args: { team_id: null } }]);
    // Past their start + grace on the real clock (the fixed day is over): overdue, said so.
    expect(a.response.endsWith('Not in yet: Marie Curie (overdue), Edsger Dijkstra (overdue) and Katherine Johnson (overdue).')).toBe(true);
  });

  it('when asked who has not checked in yet (in any of the usual words), then the same three members, not a refusal', async () => {
    for (const q of ['Who has not checked in yet?', "Who hasn't clocked in today?", 'Who is yet to check in?', "Which employees haven't shown up yet today?"]) {
      const a = await ask(q);
      expect(a.tools_used, q).toEqual([{ name: 'live_board', args: { team_id: null } }]);
      expect(a.response.endsWith('Not in yet: Marie Curie (overdue), Edsger Dijkstra (overdue) and Katherine Johnson (overdue).'), q).toBe(true);
    }
  });

  it('when a question carries ordinary English words after "is", "for" or "of" (lateness, engineers, punctuality), then they are not taken for unknown people', async () => {
    for (const q of ['Is lateness getting worse in Support?', 'How has punctuality in Sales changed week over week?', 'What was the absence rate for engineers last week?', 'Show the figures of absenteeism for February', 'How many late arrivals were there on Mondays in February?']) {
      // "over the last 4 weeks" is the trend's default period, named in its label.
      const a = await ask(q, { extra: [4] });
      expect(a.response, q).not.toMatch(/I don't know anyone called/);
      expect(a.understood, q).toBe(true);
    }
    const trend = await ask('Is lateness getting worse in Support?', { extra: [4] });
    expect(trend.tools_used.map((t) => t.name)).toContain('weekly_trend');
    // A name that matches nobody is still named as unknown, in lower case too after a cue.
    expect((await ask('How many hours did zoltan work last week?')).response).toMatch(/^I don't know anyone called "zoltan"/);
  });

  it('when asked who checked in earliest today, then the first arrivals by their check-in time, earliest first', async () => {
    const a = await ask('Who checked in earliest today?');
    expect(a.tools_used).toEqual([{ name: 'check_times', args: { from: TODAY, to: TODAY, team_id: null, employee_id: null } }]);
    // Linus checked in at 08:30 too (and has left since): ties keep the order of names.
    expect(a.response).toBe(`Earliest check-ins today (${TODAY}): Hedy Lamarr 08:30, Linus Pauling 08:30, Claude Shannon 08:40, Margaret Hamilton 08:45, Ada Lovelace 08:50.`);
  });

  it('when asked what share was on time, then on-time attendances (present and not late) over attendances, not the attendance rate', async () => {
    for (const q of ['What percentage of Support checked in on time last week?', 'Was Support punctual last week?']) {
      const a = await ask(q);
      const d = a.data as { present: number; late: number; expected: number; on_time: number; on_time_share: number };
      expect(a.tools_used, q).toEqual([rate('2026-03-09', '2026-03-15', team.Support)]);
      expect(d.on_time, q).toBe(d.present - d.late);
      expect(d.on_time_share, q).toBe(Math.round(((d.present - d.late) / d.present) * 1000) / 10);
      expect(a.response, q).toMatch(new RegExp(`^${String(d.on_time_share).replace('.', '\\.')}% of the attendances in Support last week \\(2026-03-09 to 2026-03-15\\) were on time: ${d.on_time} of ${d.present} \\(`));
    }
  });

  it('when asked for average hours per day, then total minutes over the days worked, not the total', async () => {
    // The fixture's records carry no worked time: give Support's days of last week some, unevenly.
    await hub.rows(
      `update attendance set worked_minutes = 400 + (record_id % 7) * 13 where team_id = ? and attendance_date between '2026-03-09' and '2026-03-15' and check_in_time is not null`,
      [team.Support],
    );
    const [truth] = await hub.rows<{ minutes: string; days: string }>(
      `select sum(worked_minutes) as minutes, count(*) filter (where worked_minutes > 0) as days from attendance where team_id = ? and attendance_date between '2026-03-09' and '2026-03-15'`,
      [team.Support],
    );
    const a = await ask('What were the average hours per day in Support last week?');
    expect(a.tools_used).toEqual([{ name: 'hours_worked', args: { from: '2026-03-09', to: '2026-03-15', team_id: team.Support } }]);
    expect(Number(truth.days)).toBeGreaterThan(0);
    const perDay = Math.round(Number(truth.minutes) / Number(truth.days) / 6) / 10;
    expect(a.response).toMatch(new RegExp(`^On average people in Support spent ${perDay.toFixed(1).replace('.', '\\.')} hours at work per day worked last week`));
  });

  it('when asked who had perfect attendance last week, then the members with a record that is neither late nor absent on every working day', async () => {
    // Truth from the tables: Support works Monday to Friday; last week is 2026-03-09 to 2026-03-15.
    const truth = await hub.rows<{ name: string }>(
      `select e.name from employees e
        where e.team_id = ? and e.active
          and (select count(distinct a.attendance_date) from attendance a
                where a.employee_id = e.employee_id and a.attendance_date between '2026-03-09' and '2026-03-13'
                  and a.status not in ('Late', 'Absent')) = 5
          and not exists (select 1 from attendance a where a.employee_id = e.employee_id and a.attendance_date between '2026-03-09' and '2026-03-15' and a.status in ('Late', 'Absent'))
        order by e.name`,
      [team.Support],
    );
    const a = await ask('Who in Support had perfect attendance last week?');
    expect(a.tools_used).toEqual([{ name: 'perfect_attendance', args: { from: '2026-03-09', to: '2026-03-15', team_id: team.Support } }]);
    expect(truth.length).toBeGreaterThan(0);
    expect((a.data as { people: { name: string }[] }).people.map((p) => p.name)).toEqual(truth.map((t) => t.name));
    expect(a.response).toMatch(new RegExp(`^${truth.length} (person|people) of \\d+ in Support had perfect attendance last week \\(2026-03-09 to 2026-03-15\\) \\(no absence and no late arrival\\): `));
  });

  it('when asked who worked more (or less) than N hours, or how many worked overtime, then the people past that line, from the records (not a headcount)', async () => {
    await hub.rows(
      `update attendance set worked_minutes = 400 + (record_id % 7) * 13, overtime_minutes = (record_id % 3) * 20 where team_id = ? and attendance_date between '2026-03-09' and '2026-03-15' and check_in_time is not null`,
      [team.Support],
    );
    const truth = async (having: string) =>
      (await hub.rows<{ name: string }>(
        `select e.name from attendance a join employees e using (employee_id)
          where a.team_id = ? and a.attendance_date between '2026-03-09' and '2026-03-15'
          group by e.name having ${having} order by e.name`,
        [team.Support],
      )).map((r) => r.name);
    const over = await truth('sum(a.worked_minutes) > 20 * 60');
    const under = await truth('sum(a.worked_minutes) < 20 * 60');
    const overtime = await truth('sum(a.overtime_minutes) > 0');
    expect(over.length + under.length).toBeGreaterThan(1);

    const a = await ask('Who in Support worked more than 20 hours last week?');
    expect(a.tools_used).toEqual([{ name: 'hours_worked', args: { from: '2026-03-09', to: '2026-03-15', team_id: team.Support, more_than_hours: 20, of: 'worked' } }]);
    expect((a.data as { people: { name: string }[] }).people.map((p) => p.name).sort()).toEqual(over);
    const b = await ask('Who in Support worked less than 20 hours last week?');
    expect((b.data as { people: { name: string }[] }).people.map((p) => p.name).sort()).toEqual(under);
    const c = await ask('How many people in Support worked overtime last week?');
    expect((c.data as { matching: number }).matching).toBe(overtime.length);
    expect(c.response).toMatch(new RegExp(`^(${overtime.length} (person|people) of \\d+ with hours in Support worked overtime|Nobody in Support worked overtime)`));
    // "how many people work in Support" is still a headcount.
    expect((await ask('How many people work in Support?')).tools_used.map((t) => t.name)).toEqual(['headcount']);
  });

  it('when asked the absence rate, then absences over expected attendances, not the attendance rate', async () => {
    const a = await ask('What was the absence rate in Sales last week?');
    const d = a.data as { absent: number; expected: number; absence_rate: number; rate: number };
    expect(a.tools_used).toEqual([rate('2026-03-09', '2026-03-15', team.Sales)]);
    expect(d.absence_rate).toBe(Math.round((d.absent / d.expected) * 1000) / 10);
    expect(a.response).toMatch(new RegExp(`^The absence rate for Sales last week \\(2026-03-09 to 2026-03-15\\) was ${String(d.absence_rate).replace('.', '\\.')}%: ${d.absent} absences? of ${d.expected} expected`));
  });

  it('when two periods are compared with nothing else named, then their attendance rates side by side', async () => {
    const a = await ask('Compare this week with last week');
    expect(a.tools_used.map((t) => t.name)).toEqual(['attendance_rate', 'attendance_rate']);
    expect(a.response).toMatch(/\nCompared: [\d.]+% this week so far \(2026-03-16 to 2026-03-18\) against [\d.]+% last week \(2026-03-09 to 2026-03-15\)\.$/);
  });

  it('when asked who is in the office right now in Sales, then the Sales board only', async () => {
    // Sales today: Margaret in (08:45), Linus checked out, Barbara absent, Edsger not in yet.
    const a = await ask('Who is in the office right now in Sales?');
    expect(a.tools_used).toEqual([{ name: 'live_board', args: { team_id: team.Sales } }]);
    expect(a.response).toBe(
      'Today (2026-03-18) in Sales: 1 in (0 late), 0 remote, 1 not in yet, 1 absent, 0 on leave, 1 checked out. In now: Margaret Hamilton (08:45).',
    );
  });

  it('when two teams are named, then their two boards', async () => {
    // Sales: Margaret in, Linus checked out, Barbara absent, Edsger not in yet. Support: Ada, Grace in, Alan remote,
    // Katherine not in yet → 3 in (0 late), 1 remote, 2 not in yet, 1 absent, 0 on leave, 1 checked out.
    const a = await ask('Who is in right now in Sales and Support?');
    expect(a.tools_used).toEqual([{ name: 'live_board', args: { team_id: null } }]);
    expect(a.response).toBe(
      'Today (2026-03-18) in Sales and Support: 3 in (0 late), 1 remote, 2 not in yet, 1 absent, 0 on leave, 1 checked out. ' +
        'In now: Margaret Hamilton (08:45), Ada Lovelace (08:50) and Grace Hopper (08:52).',
    );
    expect((a.data as any).boards.map((b: any) => b.team_name)).toEqual(['Sales', 'Support']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Questions it does not understand
// ---------------------------------------------------------------------------------------------------------------

describe('the planner: questions it does not understand', () => {
  for (const question of ["What's the weather?", 'Tell me a joke', '   ']) {
    it(`when asked "${question}", then it says so, lists examples and calls no tool`, async () => {
      const a = await ask(question);
      expect(a.understood).toBe(false);
      expect(a.tools_used).toEqual([]);
      expect(a.data).toBeNull();
      expect(a.response).toMatch(/^I did not understand that question\./);
      for (const example of EXAMPLES) expect(a.response).toContain(`- ${example}`);
    });
  }

  it('when the planner answers, then each tool step is reported to onStep as it is chosen, in order', async () => {
    const steps: ToolUse[] = [];
    const a = await answerOffline('How often was Alan Turing absent in February?', { em: hub.em(), config: hub.config, today: TODAY }, { onStep: (s) => steps.push(s) });
    expect(steps).toEqual(a.tools_used);
    expect(steps.map((s) => s.name)).toEqual(['find_employees', 'employee_history', 'people_by_status']);
  });

  it('when a different today is given, then relative dates follow it and not the clock', async () => {
    // today = 2026-02-20 (Fri): "yesterday" = 2026-02-19 (Thu): late Linus (Thursday); on leave Katherine.
    const a = await ask('Who was late yesterday?', { today: '2026-02-20' });
    expect(a.tools_used).toEqual([who('Late', '2026-02-19', '2026-02-19')]);
    expect(a.response).toBe('1 person was late yesterday (2026-02-19): Linus Pauling (Sales).');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// resolvePeriod
// ---------------------------------------------------------------------------------------------------------------

describe('resolvePeriod', () => {
  const range = (q: string, today = TODAY) => {
    const p = resolvePeriod(q, today);
    return p && [p.from, p.to];
  };

  it('when today is Wed 2026-03-18, then each relative expression resolves to its hand-computed dates', () => {
    const cases: [string, [string, string]][] = [
      ['today', [TODAY, TODAY]],
      ['who is in right now', [TODAY, TODAY]],
      ['yesterday', ['2026-03-17', '2026-03-17']],
      ['the day before yesterday', ['2026-03-16', '2026-03-16']],
      ['this week', ['2026-03-16', TODAY]],
      ['last week', ['2026-03-09', '2026-03-15']],
      ['this month', ['2026-03-01', TODAY]],
      ['last month', ['2026-02-01', '2026-02-28']],
      ['this year', ['2026-01-01', TODAY]],
      ['last year', ['2025-01-01', '2025-12-31']],
      ['last 7 days', ['2026-03-12', TODAY]],
      ['the past two weeks', ['2026-03-05', TODAY]],
      // 3 months = 90 days: 2026-03-18 − 89 days = 2025-12-19.
      ['last 3 months', ['2025-12-19', TODAY]],
      ['this Monday', ['2026-03-16', '2026-03-16']],
      ['this Wednesday', [TODAY, TODAY]],
      ['last Friday', ['2026-03-13', '2026-03-13']],
      ['on Tuesday', ['2026-03-17', '2026-03-17']],
      // A bare weekday that is today's means the one a week ago (the latest one before today).
      ['on Wednesday', ['2026-03-11', '2026-03-11']],
      ['in February', ['2026-02-01', '2026-02-28']],
      ['in Feb', ['2026-02-01', '2026-02-28']],
      // The current month stops at today.
      ['in March', ['2026-03-01', TODAY]],
      // A month later in the year has not begun yet: last year's.
      ['in December', ['2025-12-01', '2025-12-31']],
      ['in May', ['2025-05-01', '2025-05-31']],
      ['in March 2024', ['2024-03-01', '2024-03-31']],
      ['on 2026-03-10', ['2026-03-10', '2026-03-10']],
      ['between 2026-03-02 and 2026-03-06', ['2026-03-02', '2026-03-06']],
      ['between 2026-03-06 and 2026-03-02', ['2026-03-02', '2026-03-06']],
      ['from 2026-02-23 to 2026-03-04', ['2026-02-23', '2026-03-04']],
      ['since 2026-03-09', ['2026-03-09', TODAY]],
      ['since Monday', ['2026-03-16', TODAY]],
      // Today is a Wednesday: "since Wednesday" is today.
      ['since Wednesday', [TODAY, TODAY]],
      ['since Thursday', ['2026-03-12', TODAY]],
      ['since February', ['2026-02-01', TODAY]],
      ['since December', ['2025-12-01', TODAY]],
    ];
    for (const [q, expected] of cases) expect(range(q), q).toEqual(expected);
  });

  it('when the question names no period (or "may" is a verb, or a date is impossible), then null', () => {
    expect(resolvePeriod('Who is late?', TODAY)).toBeNull();
    expect(resolvePeriod('Who may have been late?', TODAY)).toBeNull();
    expect(resolvePeriod('Who was absent on 2026-02-30?', TODAY)).toBeNull();
    expect(resolvePeriod('Which weekday has the most absences?', TODAY)).toBeNull();
  });

  it('when today is Mon 2026-01-05, then periods cross the year boundary', () => {
    const today = '2026-01-05';
    expect(range('last month', today)).toEqual(['2025-12-01', '2025-12-31']);
    expect(range('in March', today)).toEqual(['2025-03-01', '2025-03-31']);
    expect(range('in January', today)).toEqual(['2026-01-01', today]);
    expect(range('in December', today)).toEqual(['2025-12-01', '2025-12-31']);
    expect(range('last week', today)).toEqual(['2025-12-29', '2026-01-04']);
    expect(range('this week', today)).toEqual([today, today]);
    expect(range('yesterday', today)).toEqual(['2026-01-04', '2026-01-04']);
    expect(range('this year', today)).toEqual(['2026-01-01', today]);
    expect(range('last year', today)).toEqual(['2025-01-01', '2025-12-31']);
    expect(range('last 7 days', today)).toEqual(['2025-12-30', today]);
    expect(range('this Monday', today)).toEqual([today, today]);
    expect(range('last Monday', today)).toEqual(['2025-12-29', '2025-12-29']);
    expect(range('last Friday', today)).toEqual(['2026-01-02', '2026-01-02']);
    expect(range('since 2025-12-24', today)).toEqual(['2025-12-24', today]);
  });

  it('when last month is a leap February, then it ends on the 29th', () => {
    expect(range('last month', '2024-03-05')).toEqual(['2024-02-01', '2024-02-29']);
    expect(range('in February', '2024-03-05')).toEqual(['2024-02-01', '2024-02-29']);
  });

  it('when a period is resolved, then its label says it in words with the dates', () => {
    expect(resolvePeriod('last week', TODAY)!.label).toBe('last week (2026-03-09 to 2026-03-15)');
    expect(resolvePeriod('yesterday', TODAY)!.label).toBe('yesterday (2026-03-17)');
    expect(resolvePeriod('in February', TODAY)!.label).toBe('in February 2026 (2026-02-01 to 2026-02-28)');
    expect(resolvePeriod('last Friday', TODAY)!.label).toBe('on Friday 2026-03-13');
    expect(resolvePeriod('last 7 days', TODAY)!.label).toBe('in the last 7 days (2026-03-12 to 2026-03-18)');
    expect(resolvePeriod('since 2026-03-09', TODAY)!.label).toBe('since 2026-03-09');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// POST /chat/ (runs last: it adds a team and people to the database)
// ---------------------------------------------------------------------------------------------------------------

describe('POST /chat/', () => {
  let admin: Awaited<ReturnType<TestHub['makeEmployee']>>;
  beforeAll(async () => {
    admin = await hub.makeEmployee({ access: 'admin', name: 'Chat Admin' });
  });

  it('when an admin asks, then the answer is {response, tools_used, data} from the planner', async () => {
    // 2026-03-17: Alan, Margaret, Hedy late (an explicit date, so the real clock does not matter).
    const res = await hub.request('POST', '/chat/', { token: admin.token, json: { message: 'How many people were late on 2026-03-17?' } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['conversation_id', 'data', 'response', 'scope', 'tools_used']);
    expect(res.body.response).toBe('3 people were late on 2026-03-17; 3 late arrivals in all.\n\nScope: the whole organisation · on 2026-03-17 · time zone UTC.');
    expect(res.body.scope).toEqual({ period: { from: '2026-03-17', to: '2026-03-17', label: 'on 2026-03-17' }, team: null, employee: null, timezone: 'UTC' });
    expect(res.body.data.columns.map((c: any) => c.key)).toEqual(['name', 'team_name', 'count', 'dates']);
    expect(res.body.data.rows.map((r: any) => [r.name, r.count])).toEqual([['Alan Turing', 1], ['Hedy Lamarr', 1], ['Margaret Hamilton', 1]]);
    expect(res.body.tools_used).toEqual([who('Late', '2026-03-17', '2026-03-17')]);
      });

  it('when an admin asks about the board through the app, then the real local date is today', async () => {
    const realToday = localDate(new Date(), 'UTC');
    const reception = await hub.makeTeam({ team_name: 'Reception' });
    const quentin = await hub.makeEmployee({ name: 'Quentin Blake', team_id: reception.team_id });
    await hub.makeEmployee({ name: 'Roald Dahl', team_id: reception.team_id });
    await hub.rows(
      `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, intervals, source, created_at, updated_at)
       values (?, ?, ?, 'Present', ?, ?::jsonb, 'api', now(), now())`,
      [quentin.employee_id, reception.team_id, realToday, `${realToday}T07:15:00Z`, stayOf(`${realToday}T07:15:00Z`)],
    );
    const res = await hub.request('POST', '/chat/', { token: admin.token, json: { message: 'Who is in right now in Reception?' } });
    expect(res.status).toBe(200);
    expect(res.body.tools_used).toEqual([{ name: 'live_board', args: { team_id: reception.team_id } }]);
    expect(res.body.response).toBe(
      `Today (${realToday}) in Reception: 1 in (0 late), 0 remote, 1 not in yet, 0 absent, 0 on leave, 0 checked out. In now: Quentin Blake (07:15).\n\nScope: team Reception · today (${realToday}) · time zone UTC.`,
    );
    expect(res.body.scope.period).toEqual({ from: realToday, to: realToday, label: `today (${realToday})` });
  });

  it('when the question is not understood, then 200 with the examples and no tool', async () => {
    const res = await hub.request('POST', '/chat/', { token: admin.token, json: { message: 'Tell me a joke' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ response: expect.stringMatching(/^I did not understand/), tools_used: [], data: null, scope: { period: null, team: null, employee: null, timezone: 'UTC' }, conversation_id: expect.any(String) });
  });

  it('when the message is empty, blank, too long or missing, then 422', async () => {
    for (const json of [{ message: '' }, { message: '   ' }, { message: 'x'.repeat(3000) }, {}, { message: 42 }]) {
      const res = await hub.request('POST', '/chat/', { token: admin.token, json });
      expect(res.status, JSON.stringify(json).slice(0, 40)).toBe(422);
      expect(res.body.code).toBe('validation_error');
    }
    const longest = await hub.request('POST', '/chat/', { token: admin.token, json: { message: `Who was late yesterday? ${'x'.repeat(1970)}`.slice(0, 2000) } });
    expect(longest.status).toBe(200);
  });

  it('when nobody is signed in, then 401', async () => {
    const res = await hub.request('POST', '/chat/', { json: { message: 'Who is in right now?' } });
    expect(res.status).toBe(401);
  });

  describe('with ASSISTANT_QUESTIONS_PER_MINUTE=2', () => {
    let limited: TestHub;
    beforeAll(async () => {
      limited = await createTestHub({ DATABASE_URL: dbUrl, ASSISTANT_QUESTIONS_PER_MINUTE: '2' });
    });
    afterAll(async () => {
      await limited?.close();
    });

    it('when a manager or an employee asks, then 403 every time and no question is answered (their budget is never touched)', async () => {
      const manager = await limited.makeEmployee({ access: 'manager' });
      const employee = await limited.makeEmployee({ access: 'employee' });
      for (const user of [manager, employee]) {
        // Three times, with a budget of two: if the handler ran, the third would be 429.
        for (let i = 0; i < 3; i++) {
          const res = await limited.request('POST', '/chat/', { token: user.token, json: { message: 'Who was late yesterday?' } });
          expect(res.status).toBe(403);
          expect(res.body).toEqual({ detail: expect.any(String), code: 'forbidden' });
        }
      }
    });

    it('when an admin asks a third question within the minute, then 429 with Retry-After; invalid ones do not count; other admins are not affected', async () => {
      const first = await limited.makeEmployee({ access: 'admin' });
      const second = await limited.makeEmployee({ access: 'admin' });
      const askAs = (token: string, message: string) => limited.request('POST', '/chat/', { token, json: { message } });
      // Rejected before the handler: no budget used.
      expect((await askAs(first.token, '')).status).toBe(422);
      expect((await askAs(first.token, 'x'.repeat(3000))).status).toBe(422);
      expect((await askAs(first.token, 'Who was absent on 2026-03-10?')).status).toBe(200);
      expect((await askAs(first.token, 'Who was late on 2026-03-17?')).status).toBe(200);
      const third = await askAs(first.token, 'Who was remote on 2026-03-13?');
      expect(third.status).toBe(429);
      expect(third.body.code).toBe('rate_limited');
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(third.body.response).toBeUndefined();
      // The budget is per admin.
      const other = await askAs(second.token, 'Who was absent on 2026-03-10?');
      expect(other.status).toBe(200);
      expect(other.body.response).toBe('2 people were absent on 2026-03-10: Claude Shannon (Finance) and Linus Pauling (Sales).\n\nScope: the whole organisation · on 2026-03-10 · time zone UTC.');
    });
  });
});
