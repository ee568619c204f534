// The assistant's own evaluation: a bank of questions over an organisation this file seeds in a database of its own,
// asked through ask() (the service POST /chat/ and assistant:ask use) with a fixed today, 2026-03-18 (a Wednesday,
// TIMEZONE UTC). The truth of each question is computed here with SQL straight from the tables, by the README's
// definitions ("How the numbers are defined"), never through the assistant's tools; periods are written out by hand.
//
// Each answer is classified: correct (every expected figure and name is in the response, and its scope — period,
// team, person — is the one asked), declined correctly (a question that must be declined was, with no figure), or
// wrong. A figure given for a scope that was not asked is counted apart, and must never happen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/infra/logger.ts';
import { addDays, isoWeekday } from '../src/infra/time.ts';
import { ask } from '../src/modules/assistant/assistant.service.ts';
import { createSoloDatabase, createTestHub, type TestHub } from './utils.ts';

const TODAY = '2026-03-18';
const START = '2026-01-05';
const HOLIDAY = '2026-02-16';

let hub: TestHub;
let db: Awaited<ReturnType<typeof createSoloDatabase>>;

const TEAMS: Record<string, number[]> = { Support: [1, 2, 3, 4, 5], Sales: [1, 2, 3, 4, 5], Engineering: [1, 2, 3, 4, 5], Finance: [1, 2, 3, 4], Operations: [1, 2, 3, 4, 5] };
const STAFF: [string, string][] = [
  ['Ada Lovelace', 'Support'], ['Grace Hopper', 'Support'], ['Alan Turing', 'Support'], ['Katherine Johnson', 'Support'],
  ['Margaret Hamilton', 'Sales'], ['Linus Pauling', 'Sales'], ['Barbara Liskov', 'Sales'], ['Ada Palmer', 'Sales'],
  ['Donald Knuth', 'Engineering'], ['Frances Allen', 'Engineering'], ['Ken Thompson', 'Engineering'], ['Radia Perlman', 'Engineering'],
  ['Hedy Lamarr', 'Finance'], ['Claude Shannon', 'Finance'], ['Marie Curie', 'Finance'],
  ['Tim Berners-Lee', 'Operations'], ['Sophie Wilson', 'Operations'], ['Dennis Ritchie', 'Operations'], ['Joan Clarke', 'Operations'],
];
const team: Record<string, number> = {};
const person: Record<string, number> = {};

/** A deterministic pseudo-random sequence (the fixture is the same on every run). */
function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}
const at = (date: string, minutes: number) => `${date}T${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00Z`;

async function seed() {
  for (const [name, days] of Object.entries(TEAMS)) team[name] = (await hub.makeTeam({ team_name: name, working_weekdays: days })).team_id;
  for (const [name, t] of STAFF) person[name] = (await hub.makeEmployee({ name, team_id: team[t] })).employee_id;
  await hub.rows(`update employees set created_at = '2025-12-01T00:00:00Z'`);
  await hub.rows(`insert into holidays (date, name, team_id, created_at) values (?, 'Bank holiday', null, now())`, [HOLIDAY]);
  const random = rng(20260318);
  const values: unknown[] = [];
  for (const [name, t] of STAFF) {
    for (let day = START; day <= TODAY; day = addDays(day, 1)) {
      if (!TEAMS[t].includes(isoWeekday(day)) || day === HOLIDAY) continue;
      const r = random();
      let status = 'Present';
      if (day === TODAY) {
        if (r < 0.25) continue;
        status = r < 0.35 ? 'Late' : 'Present';
      } else if (r < 0.04) continue; // no record at all: absent
      else if (r < 0.07) status = 'Absent';
      else if (r < 0.10) status = 'Remote';
      else if (r < 0.12) status = 'On Leave';
      else if (r < 0.13) status = 'Half Day';
      else if (r < 0.23) status = 'Late';
      const works = ['Present', 'Late', 'Half Day'].includes(status);
      const inAt = status === 'Late' ? 550 + Math.floor(random() * 40) : 510 + Math.floor(random() * 30);
      const outAt = status === 'Half Day' ? 780 : 990 + Math.floor(random() * 120);
      const missing = works && day !== TODAY && random() < 0.03;
      const withBreak = works && random() < 0.3;
      const stays: { check_in_time: string; check_out_time: string | null }[] = [];
      let worked = 0;
      let breaks = 0;
      if (works) {
        if (day === TODAY) stays.push({ check_in_time: at(day, inAt), check_out_time: null });
        else if (withBreak && !missing) {
          stays.push({ check_in_time: at(day, inAt), check_out_time: at(day, 720) }, { check_in_time: at(day, 750), check_out_time: at(day, outAt) });
          worked = 720 - inAt + (outAt - 750);
          breaks = 30;
        } else {
          stays.push({ check_in_time: at(day, inAt), check_out_time: missing ? null : at(day, outAt) });
          worked = missing ? 0 : outAt - inAt;
        }
      }
      const last = stays[stays.length - 1];
      values.push(
        person[name], team[t], day, status, stays[0]?.check_in_time ?? null, last?.check_out_time ?? null, JSON.stringify(stays), missing,
        worked, breaks, Math.max(0, worked - 480), missing ? 'No check-out: forgotten' : null,
      );
    }
  }
  const n = 12;
  const rowsSql = Array.from({ length: values.length / n }, () => `(?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, 'api', now(), now())`).join(', ');
  await hub.rows(
    `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, intervals, missing_check_out,
                             worked_minutes, break_minutes, overtime_minutes, notes, source, created_at, updated_at) values ${rowsSql}`,
    values,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The truth, straight from the tables (README: "How the numbers are defined")
// ---------------------------------------------------------------------------------------------------------------

/** Expected person-days: active members on their team's schedule days (no holiday), joined by then; with their record. */
const GRID = `
  with days as (select d::date as day from generate_series(?::date, ?::date, interval '1 day') d),
  grid as (
    select e.employee_id, e.name, e.team_id, days.day, a.status
      from employees e join teams t on t.team_id = e.team_id join schedules s on s.schedule_id = t.schedule_id cross join days
      left join attendance a on a.employee_id = e.employee_id and a.attendance_date = days.day
     where e.active and e.created_at::date <= days.day
       and exists (select 1 from jsonb_array_elements(s.shifts) sh where (sh ->> 'weekday')::int = extract(isodow from days.day))
       and not exists (select 1 from holidays h where h.date = days.day and (h.team_id is null or h.team_id = e.team_id))
       and (?::int is null or e.team_id = ?::int))`;

async function rateTruth(from: string, to: string, teamId: number | null) {
  const [r] = await hub.rows<{ expected: string; present: string }>(
    `${GRID} select count(*) filter (where status is distinct from 'On Leave') as expected,
                    count(*) filter (where status in ('Present', 'Late', 'Half Day', 'Remote')) as present from grid`,
    [from, to, teamId, teamId],
  );
  const expected = Number(r.expected);
  const present = Number(r.present);
  return { expected, present, rate: expected ? Math.round((present / expected) * 1000) / 10 : null };
}
async function absentTruth(from: string, to: string, teamId: number | null) {
  const rows = await hub.rows<{ name: string; n: string }>(
    `${GRID} select name, count(*) as n from grid where (status = 'Absent' or (status is null and day < ?::date)) group by name order by name`,
    [from, to, teamId, teamId, TODAY],
  );
  return rows.map((r) => ({ name: r.name, n: Number(r.n) }));
}
async function statusTruth(status: string, from: string, to: string, teamId: number | null, employeeId: number | null = null) {
  const rows = await hub.rows<{ name: string; n: string }>(
    `select e.name, count(*) as n from attendance a join employees e on e.employee_id = a.employee_id
      where a.attendance_date between ? and ? and ${status === 'missing' ? 'a.missing_check_out' : 'a.status = ?'}
        and (?::int is null or e.team_id = ?::int) and (?::int is null or e.employee_id = ?::int) group by e.name order by e.name`,
    [from, to, ...(status === 'missing' ? [] : [status]), teamId, teamId, employeeId, employeeId],
  );
  return rows.map((r) => ({ name: r.name, n: Number(r.n) }));
}
async function minutesTruth(column: 'worked_minutes' | 'overtime_minutes', from: string, to: string, teamId: number | null, employeeId: number | null) {
  const rows = await hub.rows<{ name: string; m: string }>(
    `select e.name, sum(a.${column}) as m from attendance a join employees e on e.employee_id = a.employee_id
      where a.attendance_date between ? and ? and (?::int is null or a.team_id = ?::int) and (?::int is null or e.employee_id = ?::int)
      group by e.name order by sum(a.${column}) desc, e.name`,
    [from, to, teamId, teamId, employeeId, employeeId],
  );
  return rows.map((r) => ({ name: r.name, hours: Math.round(Number(r.m) / 6) / 10, minutes: Number(r.m) }));
}
async function checkInTruth(employeeId: number, from: string, to: string) {
  const [r] = await hub.rows<{ avg: string | null }>(
    `select avg(extract(hour from check_in_time at time zone 'UTC') * 60 + extract(minute from check_in_time at time zone 'UTC')) as avg
       from attendance where employee_id = ? and attendance_date between ? and ? and check_in_time is not null`,
    [employeeId, from, to],
  );
  const m = Math.round(Number(r.avg));
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
async function headcountTruth(teamId: number | null) {
  const [r] = await hub.rows<{ n: string }>(`select count(*) as n from employees where active and (?::int is null or team_id = ?::int)`, [teamId, teamId]);
  return Number(r.n);
}

// ---------------------------------------------------------------------------------------------------------------
// The bank
// ---------------------------------------------------------------------------------------------------------------

type Expect = { numbers?: number[]; times?: string[]; names?: string[]; period?: [string, string] | null; team?: number | null; employee?: number | null };
type Question = { text: string; shape: string; decline?: boolean; expect?: Expect };

const P = {
  lastWeek: { say: 'last week', range: ['2026-03-09', '2026-03-15'] },
  february: { say: 'in February', range: ['2026-02-01', '2026-02-28'] },
  lastMonth: { say: 'last month', range: ['2026-02-01', '2026-02-28'] },
  thisMonth: { say: 'this month', range: ['2026-03-01', TODAY] },
  q1: { say: 'in Q1', range: ['2026-01-01', TODAY] },
  marchRange: { say: 'from March 2 to March 6', range: ['2026-03-02', '2026-03-06'] },
  weekOf: { say: 'in the week of February 9', range: ['2026-02-09', '2026-02-15'] },
  ordinal: { say: 'on the 3rd of March', range: ['2026-03-03', '2026-03-03'] },
  yesterday: { say: 'yesterday', range: ['2026-03-17', '2026-03-17'] },
  workingDays: { say: 'in the last 5 working days', range: ['2026-03-11', '2026-03-17'] },
  iso: { say: 'between 2026-02-02 and 2026-02-13', range: ['2026-02-02', '2026-02-13'] },
  january: { say: 'in January', range: ['2026-01-01', '2026-01-31'] },
  soFar: { say: 'this week so far', range: ['2026-03-16', TODAY] },
  dayRange: { say: 'on 2-6 February', range: ['2026-02-02', '2026-02-06'] },
} as const satisfies Record<string, { say: string; range: readonly [string, string] }>;
type Key = keyof typeof P;

async function buildBank(): Promise<Question[]> {
  const bank: Question[] = [];
  const add = (shape: string, text: string, expect: Expect) => bank.push({ shape, text, expect });
  const decline = (shape: string, text: string) => bank.push({ shape, text, decline: true });
  const r = (k: Key) => P[k].range as unknown as [string, string];

  // Rates: the organisation and teams, over every period form.
  const rateForms = [(t: string, p: string) => `What was the attendance rate${t} ${p}?`, (t: string, p: string) => `attendance${t} ${p}`, (t: string, p: string) => `How was attendance${t} ${p}?`];
  let i = 0;
  for (const t of [null, 'Support', 'Sales', 'Engineering'] as const) {
    for (const k of ['lastWeek', 'february', 'thisMonth', 'q1', 'marchRange', 'weekOf', 'ordinal', 'yesterday', 'workingDays', 'iso', 'january', 'dayRange'] as Key[]) {
      if (t === 'Engineering' && ['iso', 'january', 'dayRange', 'ordinal'].includes(k)) continue;
      const truth = await rateTruth(...r(k), t ? team[t] : null);
      add('period/rate', rateForms[i++ % 3](t ? ` in ${t}` : '', P[k].say), { numbers: [truth.rate!, truth.present, truth.expected], period: r(k), team: t ? team[t] : null });
    }
  }
  // Late counts.
  for (const t of [null, 'Sales', 'Support'] as const) {
    for (const k of ['lastWeek', 'lastMonth', 'thisMonth', 'weekOf', 'soFar', 'iso'] as Key[]) {
      const truth = await statusTruth('Late', ...r(k), t ? team[t] : null);
      const text = i++ % 2 ? `How many people were late${t ? ` in ${t}` : ''} ${P[k].say}?` : `how many staff came in late ${P[k].say}${t ? ` in the ${t} team` : ''}`;
      add('count/late', text, { numbers: [truth.length, truth.reduce((s, x) => s + x.n, 0)], period: r(k), team: t ? team[t] : null });
    }
  }
  // Who was absent (an Absent record or no record on an expected day).
  for (const t of ['Sales', 'Engineering', 'Operations', 'Support']) {
    for (const k of ['february', 'lastWeek', 'january'] as Key[]) {
      const truth = await absentTruth(...r(k), team[t]);
      add('who/absent', `Who was absent in ${t} ${P[k].say}?`, { numbers: [truth.length], names: truth.map((x) => x.name), period: r(k), team: team[t] });
    }
  }
  // One person, named in every form.
  const forms: [string, string][] = [
    ['Grace Hopper', 'Grace Hopper'], ['Grace Hopper', 'grace hopper'], ['Grace Hopper', 'Grace'], ['Radia Perlman', 'Perlman'], ['Radia Perlman', "Radia's"],
    ['Ken Thompson', 'Ken Thompsen'], ['Margaret Hamilton', 'margaret'], ['Claude Shannon', 'Shannon'],
  ];
  for (const [name, said] of forms) {
    for (const k of ['february', 'lastMonth', 'q1'] as Key[]) {
      const n = (await statusTruth('Late', ...r(k), null, person[name]))[0]?.n ?? 0;
      const text = said.endsWith("'s") ? `How many late arrivals were ${said} ${P[k].say}?`.replace("were Radia's", "did Radia have") : `How often was ${said} late ${P[k].say}?`;
      add('person/late', text, { numbers: [n], period: r(k), employee: person[name] });
    }
  }
  // Hours and overtime.
  for (const name of ['Ada Lovelace', 'Donald Knuth', 'Sophie Wilson', 'Hedy Lamarr']) {
    for (const k of ['lastWeek', 'february', 'marchRange'] as Key[]) {
      const [h] = await minutesTruth('worked_minutes', ...r(k), null, person[name]);
      add('hours/person', `How many hours did ${name} work ${P[k].say}?`, { numbers: [h?.hours ?? 0], period: r(k), employee: person[name] });
    }
    const [o] = await minutesTruth('overtime_minutes', ...r('february'), null, person[name]);
    add('hours/overtime', `How much overtime did ${name === 'Ada Lovelace' ? 'Lovelace' : name.split(' ')[0]} do in February?`, { numbers: [o?.hours ?? 0], period: r('february'), employee: person[name] });
  }
  for (const t of ['Sales', 'Operations', 'Finance']) {
    for (const k of ['lastWeek', 'january'] as Key[]) {
      const total = (await minutesTruth('worked_minutes', ...r(k), team[t], null)).reduce((s, x) => s + x.minutes, 0);
      add('hours/team', `How many hours did the ${t} team work in total ${P[k].say}?`, { numbers: [Math.round(total / 6) / 10], period: r(k), team: team[t] });
    }
  }
  for (const k of ['lastWeek', 'february', 'thisMonth'] as Key[]) {
    const [top] = await minutesTruth('worked_minutes', ...r(k), null, null);
    add('hours/longest', `Who worked the longest hours ${P[k].say}?`, { numbers: [top.hours], names: [top.name], period: r(k), team: null });
  }
  // Check-in times.
  for (const name of ['Alan Turing', 'Barbara Liskov', 'Frances Allen', 'Joan Clarke']) {
    for (const k of ['february', 'lastWeek'] as Key[]) {
      add('times/check-in', `What was ${name}'s average check-in time ${P[k].say}?`, { times: [await checkInTruth(person[name], ...r(k))], period: r(k), employee: person[name] });
    }
  }
  // Missing check-outs.
  for (const k of ['february', 'january', 'q1', 'lastMonth'] as Key[]) {
    const truth = await statusTruth('missing', ...r(k), null);
    add('missing-check-outs', `Who forgot to check out ${P[k].say}?`, { numbers: [truth.length], names: truth.map((x) => x.name), period: r(k), team: null });
  }
  // Headcounts.
  for (const t of Object.keys(TEAMS)) add('headcount', `How many people are in the ${t} team?`, { numbers: [await headcountTruth(team[t])], team: team[t] });
  add('headcount', 'What is the headcount of the company?', { numbers: [await headcountTruth(null)], team: null });
  add('headcount', 'How many employees do we have?', { numbers: [await headcountTruth(null)], team: null });
  // Compound questions: every part answered.
  for (const [t, k] of [['Sales', 'lastWeek'], ['Support', 'february'], ['Engineering', 'january']] as [string, Key][]) {
    const late = await statusTruth('Late', ...r(k), team[t]);
    const absent = await absentTruth(...r(k), team[t]);
    add('compound', `How many people were late in ${t} ${P[k].say}, and how many absences were there?`, {
      numbers: [late.length, absent.reduce((s, x) => s + x.n, 0)], period: r(k), team: team[t],
    });
    const rate = await rateTruth(...r(k), team[t]);
    add('compound', `What was the attendance rate in ${t} ${P[k].say} and who was absent?`, { numbers: [rate.rate!], names: absent.map((x) => x.name), period: r(k), team: team[t] });
  }
  // Two periods compared.
  for (const [a, b, t] of [['january', 'february', null], ['lastWeek', 'soFar', 'Sales'], ['february', 'thisMonth', 'Support']] as [Key, Key, string | null][]) {
    const ra = await rateTruth(...r(a), t ? team[t] : null);
    const rb = await rateTruth(...r(b), t ? team[t] : null);
    add('compare/periods', `Compare the attendance rate${t ? ` of ${t}` : ''} ${P[a].say} with ${P[b].say.replace(/^in /, '')}`, { numbers: [ra.rate!, rb.rate!], period: r(a), team: t ? team[t] : null });
  }
  // Trends, and teams side by side.
  const weeks = [['2026-02-16', '2026-02-22'], ['2026-02-23', '2026-03-01'], ['2026-03-02', '2026-03-08'], ['2026-03-09', '2026-03-15']];
  const weekRates = [];
  for (const [f, t] of weeks) weekRates.push((await rateTruth(f, t, null)).rate!);
  add('trend', 'Is attendance improving week over week?', { numbers: weekRates, period: ['2026-02-16', '2026-03-15'], team: null });
  const salesWeeks = [];
  for (const [f, t] of weeks) salesWeeks.push((await rateTruth(f, t, team.Sales)).rate!);
  add('trend', 'What is the attendance trend in Sales?', { numbers: salesWeeks, period: ['2026-02-16', '2026-03-15'], team: team.Sales });
  for (const k of ['lastMonth', 'lastWeek', 'january'] as Key[]) {
    const rates = [];
    for (const t of Object.keys(TEAMS)) rates.push((await rateTruth(...r(k), team[t])).rate!);
    add('compare/teams', `Which team had the best attendance ${P[k].say}?`, { numbers: rates, period: r(k) });
  }

  // Questions that must be declined, with no figure.
  for (const text of [
    'What was the attendance rate in the Marketing team last week?', 'How many people were late in Legal in February?', 'Show me absences for the Logistics department this month',
    'How many hours did Zoltan work last week?', 'Was Priya late yesterday?', "What is Bob's average check-in time?",
    'How often was Ada late in February?', 'How many hours did Ada work last week?',
    'What will the attendance rate be next week?', 'Who is absent tomorrow?', 'What was the attendance rate on March 25?', 'How many people will be late next month?',
    "Delete all of Ken Thompson's records", 'Mark Grace Hopper as absent yesterday', 'Please approve all pending corrections',
    "Change Ada Lovelace's check-in yesterday to 09:00", 'Can you set Alan Turing to remote for today?', 'Add a holiday on 2026-04-03',
    "What's the weather in Paris?", 'Tell me a joke about managers',
  ]) decline('decline', text);
  return bank;
}

// ---------------------------------------------------------------------------------------------------------------
// Classifying the answers
// ---------------------------------------------------------------------------------------------------------------

const DECLINED = /I don't know (a team|anyone) called|could be .+ Which one do you mean|is in the future|I can only read attendance|I did not understand|could not work out the period/;

/** The numbers of a text, dates and times left out. */
const numbersOf = (text: string) =>
  [...text.replace(/\b\d{4}-\d{2}-\d{2}\b/g, ' ').replace(/\b\d{1,2}:\d{2}\b/g, ' ').matchAll(/(?<![\p{L}\d-])\d+(?:\.\d+)?(?![\p{L}\d])/gu)].map((m) => Number(m[0]));

type Verdict = 'correct' | 'declined' | 'wrong';

function classify(q: Question, res: { response: string; scope: any }): { verdict: Verdict; wrongScope: boolean; why: string } {
  const text = res.response;
  const said = numbersOf(text);
  const asked = new Set(numbersOf(q.text));
  const figures = said.filter((n) => !asked.has(n));
  if (q.decline) {
    if (DECLINED.test(text) && figures.length === 0) return { verdict: 'declined', wrongScope: false, why: '' };
    return { verdict: 'wrong', wrongScope: figures.length > 0, why: `not declined: ${text}` };
  }
  const e = q.expect!;
  const missing: string[] = [];
  for (const n of e.numbers ?? []) if (!said.some((x) => Math.abs(x - n) < 0.051)) missing.push(String(n));
  for (const t of e.times ?? []) if (!text.includes(t)) missing.push(t);
  for (const n of e.names ?? []) if (!text.includes(n)) missing.push(n);
  const s = res.scope;
  const scopeWrong: string[] = [];
  if (e.period !== undefined && (e.period === null ? s.period !== null : s.period?.from !== e.period[0] || s.period?.to !== e.period[1])) scopeWrong.push(`period ${JSON.stringify(s.period)}`);
  if (e.team !== undefined && e.employee === undefined && (s.team?.team_id ?? null) !== e.team) scopeWrong.push(`team ${JSON.stringify(s.team)}`);
  if (e.employee !== undefined && (s.employee?.employee_id ?? null) !== e.employee) scopeWrong.push(`employee ${JSON.stringify(s.employee)}`);
  if (!missing.length && !scopeWrong.length && !DECLINED.test(text)) return { verdict: 'correct', wrongScope: false, why: '' };
  return { verdict: 'wrong', wrongScope: scopeWrong.length > 0 && figures.length > 0, why: `missing [${missing.join(', ')}] scope [${scopeWrong.join('; ')}]: ${text}` };
}

beforeAll(async () => {
  db = await createSoloDatabase('bank');
  hub = await createTestHub({ DATABASE_URL: db.url });
  await seed();
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await db?.drop();
});

describe('the question bank', () => {
  it('when the bank is asked, then at least 90% is answered correctly, every decline-worthy question is declined, and no figure is given for a scope not asked', async () => {
    const bank = await buildBank();
    expect(bank.length).toBeGreaterThanOrEqual(150);
    const log = createLogger('silent');
    const results: { q: Question; verdict: Verdict; wrongScope: boolean; why: string }[] = [];
    for (const q of bank) {
      const res = await ask({ em: hub.em(), config: hub.config, log }, q.text, {}, { today: TODAY });
      results.push({ q, ...classify(q, res) });
    }
    const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
    const answerable = bank.filter((q) => !q.decline).length;
    const share = (n: number) => `${((n / bank.length) * 100).toFixed(1)}%`;
    const of = (n: number, total: number) => `${n} of ${total} (${total ? ((n / total) * 100).toFixed(1) : '0.0'}%)`;
    console.log(
      `assistant bank: ${bank.length} questions (${answerable} answerable, ${bank.length - answerable} to decline). Shares of the whole bank: ` +
        `answered correctly ${share(count('correct'))}, declined correctly ${share(count('declined'))}, wrong ${share(count('wrong'))}. ` +
        `Answerable ones answered correctly: ${of(count('correct'), answerable)}; decline-worthy ones declined: ` +
        `${of(results.filter((r) => r.q.decline && r.verdict === 'declined').length, bank.length - answerable)}; ` +
        `figures for a scope not asked: ${results.filter((r) => r.wrongScope).length}`,
    );
    for (const r of results.filter((x) => x.verdict === 'wrong')) console.log(`  wrong [${r.q.shape}] ${r.q.text}\n    ${r.why.replace(/\n/g, ' | ')}`);
    expect(count('correct') / answerable).toBeGreaterThanOrEqual(0.9);
    expect(count('declined')).toBe(bank.length - answerable);
    expect(results.filter((r) => r.wrongScope).map((r) => r.q.text)).toEqual([]);
  }, 300_000);
});
