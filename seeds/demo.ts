/**
 * The demo organisation: teams on their schedules (a day team with lunch breaks, a rotating two-week team, a team in
 * another time zone, a night-shift team), holidays, employees and months of believable attendance (in and out for
 * lunch, late Mondays, remote Fridays, sick days, leave, forgotten check-outs, half days). Deterministic for a seed.
 * Every record carries its intervals and figures, computed by the hub's own rules; rows go in as multi-row INSERT
 * statements in batches (values generated here, never user input).
 */
import { sqlOf, type Em } from '../src/infra/db.ts';
import { addDays, localParts } from '../src/infra/time.ts';
import { figures, type Interval } from '../src/modules/attendance/day.rules.ts';
import { punchPartitions } from '../src/modules/attendance/punch.partitions.ts';
import { mondayOf, planDay, type DayPlan, type Holiday, type ScheduleVersion, type Shift } from '../src/modules/schedules/schedule.rules.ts';

export type SeedOptions = {
  employees: number;
  days: number;
  teams?: number;
  timezone: string;
  passwordHash: string;
  /** Also write the raw punches behind each record (on by default up to 1,000 employees). */
  punches?: boolean;
  seed?: number;
  now?: Date;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
};

export type SeedSummary = { teams: number; employees: number; records: number; punches: number; holidays: number; managers: { email: string; team: string }[] };

type TeamDef = { name: string; grace: number; weeks: [string, string, number][]; timezone?: string; weekly?: number; roles: string[] };

/** One shift per weekday, Monday to Friday, for each week of the cycle: [start, end, break minutes]. */
const TEAM_DEFS: TeamDef[] = [
  { name: 'Engineering', grace: 10, weeks: [['09:00', '17:30', 30]], roles: ['Developer', 'Senior Developer', 'QA Engineer', 'DevOps Engineer', 'Designer'] },
  // A rotation: early shifts one week, late shifts the next.
  { name: 'Support', grace: 5, weeks: [['07:00', '15:30', 30], ['13:00', '21:30', 30]], roles: ['Support Agent', 'Support Specialist', 'Technical Support'] },
  // A site in another time zone: its dates, lateness and shifts are local to it.
  { name: 'Sales', grace: 5, weeks: [['09:00', '17:30', 30]], timezone: 'America/New_York', roles: ['Account Executive', 'Sales Representative', 'Business Developer'] },
  // Nights: one record per shift, dated the evening it starts.
  { name: 'Operations', grace: 10, weeks: [['22:00', '06:00', 30]], weekly: 37.5, roles: ['Operations Analyst', 'Logistics Coordinator', 'Facilities Officer'] },
  { name: 'Finance', grace: 5, weeks: [['09:00', '17:00', 60]], roles: ['Accountant', 'Financial Analyst', 'Payroll Officer'] },
  { name: 'Marketing', grace: 10, weeks: [['09:30', '18:00', 30]], roles: ['Marketing Specialist', 'Content Writer', 'SEO Analyst'] },
  { name: 'People', grace: 5, weeks: [['09:00', '17:30', 30]], roles: ['HR Generalist', 'Recruiter'] },
];

const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Donald', 'Hedy', 'John',
  'Katherine', 'Tim', 'Sophie', 'Guido', 'Anita', 'Bjarne', 'Joan', 'James', 'Mary', 'Niklaus', 'Shafi', 'Leslie', 'Fran', 'Robin', 'Carol', 'Vint',
  'Yukihiro', 'Lynn', 'Whitfield', 'Jean', 'Ivan', 'Adele', 'Brian', 'Evelyn', 'Rasmus', 'Susan', 'Omar', 'Amara', 'Chen', 'Priya', 'Mateo', 'Ines'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman', 'Knuth',
  'Lamarr', 'McCarthy', 'Johnson', 'Berners-Lee', 'Wilson', 'van Rossum', 'Borg', 'Stroustrup', 'Clarke', 'Gosling', 'Keller', 'Wirth',
  'Goldwasser', 'Lamport', 'Bilas', 'Milner', 'Shaw', 'Cerf', 'Matsumoto', 'Conway', 'Diffie', 'Sammet', 'Sutherland', 'Goldberg', 'Kernighan',
  'Boyes', 'Lerdorf', 'Kare', 'Haddad', 'Okafor', 'Wei', 'Raman', 'Silva', 'Moreau'];
const SICK_NOTES = ['Sick', 'Flu', 'Doctor appointment', null];
const LEAVE_NOTES = ['Annual leave', 'Family leave', 'Training', null];

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const q = (s: string | null) => (s === null ? 'null' : `'${s.replace(/'/g, "''")}'`);
const ts = (d: Date | string | null) => (d === null ? 'null' : `'${typeof d === 'string' ? d : d.toISOString()}'`);
const MIN = 60_000;

type Team = TeamDef & { team_id: number; schedule_id: number; version: ScheduleVersion; tz: string };
type Person = { employee_id: number; team: Team; punctuality: number; remoteFriday: boolean; forgetful: number; leave: Set<string>; week: string; worked: number };

/** A week of shifts for each week of a cycle, Monday to Friday. */
const shiftsOf = (def: TeamDef): Shift[] =>
  def.weeks.flatMap(([start, end, breakMinutes], w) => [1, 2, 3, 4, 5].map((weekday) => ({ week: w + 1, weekday, start, end, break_minutes: breakMinutes })));

/** The day's stays of someone who came: in, out for lunch and back on a long shift, out at the end (or not: forgotten). */
function stays(plan: DayPlan, p: Person, date: string, rand: () => number, halfDay: boolean): Interval[] {
  const start = plan.start!.getTime();
  const end = plan.end!.getTime();
  const lateBias = (new Date(`${date}T00:00:00Z`).getUTCDay() === 1 ? 7 : 0) + p.punctuality * 9;
  const arrive = start + Math.round(-20 + rand() * 25 + lateBias + (rand() < 0.05 ? 30 * rand() : 0)) * MIN;
  if (halfDay) return [{ check_in_time: new Date(arrive).toISOString(), check_out_time: new Date(arrive + (240 + Math.round(rand() * 30)) * MIN).toISOString() }];
  const leave = end + Math.round(-10 + rand() * 55 - (rand() < 0.04 ? 60 + rand() * 60 : 0)) * MIN;
  const breakMinutes = Math.round((end - start) / MIN) >= 6 * 60 ? 20 + Math.round(rand() * 45) : 0;
  if (!breakMinutes) return [{ check_in_time: new Date(arrive).toISOString(), check_out_time: new Date(leave).toISOString() }];
  const lunch = start + Math.round((end - start) * 0.45) + Math.round(-20 + rand() * 40) * MIN;
  return [
    { check_in_time: new Date(arrive).toISOString(), check_out_time: new Date(lunch).toISOString() },
    { check_in_time: new Date(lunch + breakMinutes * MIN).toISOString(), check_out_time: new Date(leave).toISOString() },
  ];
}

/** Inserts the demo organisation into an empty database. */
export async function seedDemo(em: Em, opts: SeedOptions): Promise<SeedSummary> {
  const rand = prng(opts.seed ?? 20261124);
  const now = opts.now ?? new Date();
  const batchSize = opts.batchSize ?? 5000;
  const withPunches = opts.punches ?? opts.employees <= 1000;
  const teamCount = Math.min(opts.teams ?? Math.max(5, Math.min(TEAM_DEFS.length, Math.ceil(opts.employees / 1500))), TEAM_DEFS.length);
  const defs = TEAM_DEFS.slice(0, teamCount);
  const orgToday = localParts(now, opts.timezone).date;
  const firstDay = addDays(orgToday, -opts.days);
  const startsOn = mondayOf(firstDay);

  // Schedules (each with its first version), then the teams on them.
  const scheduleRows = await em.execute<{ schedule_id: number; name: string }[]>(
    `insert into schedules (name, cycle_weeks, starts_on, grace_minutes, shifts, version, valid_from, created_at, updated_at) values ${defs
      .map((t) => `(${q(`${t.name} hours`)}, ${t.weeks.length}, '${startsOn}', ${t.grace}, ${q(JSON.stringify(shiftsOf(t)))}, 1, '1900-01-01', now(), now())`)
      .join(', ')} returning schedule_id, name`,
  );
  await em.execute(`insert into schedule_versions select schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, now() from schedules`);
  const teamRows = await em.execute<{ team_id: number; team_name: string }[]>(
    `insert into teams (team_name, schedule_id, timezone, weekly_hours, missing_check_out, created_at, updated_at) values ${defs
      .map((t, i) => `(${q(t.name)}, ${scheduleRows[i].schedule_id}, ${q(t.timezone ?? null)}, ${t.weekly ?? 40}, 'flag', now(), now())`)
      .join(', ')} returning team_id, team_name`,
  );
  await em.execute(`update schedules s set owner_team_id = t.team_id from teams t where t.schedule_id = s.schedule_id`);
  const teams: Team[] = defs.map((def, i) => {
    const schedule_id = Number(scheduleRows[i].schedule_id);
    return {
      ...def, team_id: Number(teamRows[i].team_id), schedule_id, tz: def.timezone ?? opts.timezone,
      version: { schedule_id, version: 1, valid_from: '1900-01-01', cycle_weeks: def.weeks.length, starts_on: startsOn, grace_minutes: def.grace, shifts: shiftsOf(def) },
    };
  });

  // Two days off for everyone and one for the site abroad, on weekdays within the history.
  const weekdayNear = (daysAgo: number) => {
    let d = addDays(orgToday, -daysAgo);
    while (new Date(`${d}T00:00:00Z`).getUTCDay() % 6 === 0) d = addDays(d, -1);
    return d;
  };
  const holidays: Holiday[] = [];
  if (opts.days > 40) holidays.push({ date: weekdayNear(33), name: 'Founders Day', team_id: null });
  if (opts.days > 70) holidays.push({ date: weekdayNear(61), name: 'Company day off', team_id: null });
  const abroad = teams.find((t) => t.timezone);
  if (abroad && opts.days > 15) holidays.push({ date: weekdayNear(12), name: 'Local holiday', team_id: abroad.team_id });
  if (holidays.length) {
    await em.execute(`insert into holidays (date, name, team_id, created_at) values ${holidays.map((h) => `('${h.date}', ${q(h.name)}, ${h.team_id ?? 'null'}, now())`).join(', ')}`);
  }

  // Everyone joined before the history starts, so every day of it expects them.
  const joined = `'${addDays(firstDay, -2)}T00:00:00Z'`;
  const people: Person[] = [];
  const managers: SeedSummary['managers'] = [];
  for (let start = 0; start < opts.employees; start += batchSize) {
    const values: string[] = [];
    const meta: Omit<Person, 'employee_id'>[] = [];
    for (let i = start; i < Math.min(opts.employees, start + batchSize); i++) {
      const team = teams[i % teamCount];
      const first = FIRST[i % FIRST.length];
      const last = LAST[(i + Math.floor(i / FIRST.length)) % LAST.length];
      const suffix = i >= FIRST.length * LAST.length ? `.${Math.floor(i / (FIRST.length * LAST.length))}` : '';
      const email = `${first}.${last}${suffix}@example.com`.toLowerCase().replace(/[^a-z0-9.@-]/g, '');
      const isManager = i < teamCount;
      if (isManager) managers.push({ email, team: team.name });
      const role = isManager ? `${team.name} Manager` : team.roles[Math.floor(rand() * team.roles.length)];
      values.push(
        `(${q(`${first} ${last}`)}, ${q(email)}, ${team.team_id}, ${q(role)}, '${isManager ? 'manager' : 'employee'}', ${q(opts.passwordHash)}, ${q(`B${String(100000 + i)}`)}, true, ${joined}, ${joined})`,
      );
      meta.push({ team, punctuality: rand(), remoteFriday: rand() < 0.35, forgetful: rand() * 0.04, leave: new Set(), week: '', worked: 0 });
    }
    const ids = await em.execute<{ employee_id: number }[]>(
      `insert into employees (name, email, team_id, role, access, password_hash, badge_id, active, created_at, updated_at) values ${values.join(', ')} returning employee_id`,
    );
    ids.forEach((row, k) => people.push({ employee_id: Number(row.employee_id), ...meta[k] }));
  }

  // Leave blocks: one or two runs of 2–5 days per person over the period.
  for (const person of people) {
    const blocks = rand() < 0.6 ? 1 : 2;
    for (let b = 0; b < blocks && opts.days > 10; b++) {
      const begin = Math.floor(rand() * (opts.days - 5));
      const length = 2 + Math.floor(rand() * 4);
      for (let d = 0; d < length; d++) person.leave.add(addDays(firstDay, begin + d));
    }
  }

  // Each team's plan of a day (people follow their team's schedule), computed once.
  const versions = new Map(teams.map((t) => [t.schedule_id, [t.version]]));
  const plans = new Map<string, DayPlan>();
  const planOf = (team: Team, date: string) => {
    const key = `${team.team_id}|${date}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = planDay({ date, tz: team.tz, subject: { employee_id: 0, team_id: team.team_id, team_schedule_id: team.schedule_id, assignments: [] }, versions, holidays });
      plans.set(key, plan);
    }
    return plan;
  };

  // The months of the history get their partitions of `punches` first (else their punches would all wait in the
  // default partition for the daily job to move them).
  if (withPunches) await punchPartitions.ensure(sqlOf(em), { from: new Date(`${addDays(firstDay, -1)}T00:00:00Z`), to: now });
  const dates: string[] = [];
  for (let d = 0; d <= opts.days; d++) dates.push(addDays(firstDay, d));
  const total = dates.length * people.length;
  let done = 0;
  let records = 0;
  let punches = 0;
  let rows: string[] = [];
  let punchRows: { employee_id: number; date: string; at: string; action: 'check_in' | 'check_out' }[] = [];

  const flush = async () => {
    if (!rows.length) return;
    const inserted = await em.execute<{ record_id: number; employee_id: number; attendance_date: string | Date }[]>(
      `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out,
         intervals, worked_minutes, break_minutes, overtime_minutes, weekly_overtime_minutes, planned_minutes, left_early, shift_start, shift_end,
         schedule_id, schedule_version, timezone, last_punch_at, created_at, updated_at) values ${rows.join(', ')}` + (withPunches ? ' returning record_id, employee_id, attendance_date' : ''),
    );
    records += rows.length;
    if (withPunches && punchRows.length) {
      const key = (e: number, d: string | Date) => `${e}|${d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10)}`;
      const ids = new Map(inserted.map((r) => [key(Number(r.employee_id), r.attendance_date), Number(r.record_id)]));
      const values = punchRows.map((p) => `(${p.employee_id}, ${ts(p.at)}, ${ts(p.at)}, 'kiosk', 'Demo kiosk', null, 'auto', '${p.action}', ${ids.get(key(p.employee_id, p.date)) ?? 'null'})`);
      for (let i = 0; i < values.length; i += batchSize) {
        await em.execute(
          `insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, intent, action, record_id) values ${values.slice(i, i + batchSize).join(', ')}`,
        );
      }
      punches += punchRows.length;
    }
    rows = [];
    punchRows = [];
  };

  for (const date of dates) {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    for (const person of people) {
      done++;
      const team = person.team;
      const plan = planOf(team, date);
      if (!plan.expected) continue;
      const today = localParts(now, team.tz).date;
      if (date > today) continue;
      let status: 'Present' | 'Late' | 'Absent' | 'Remote' | 'On Leave' | 'Half Day' | null = null;
      let notes: string | null = null;
      let intervals: Interval[] = [];
      if (person.leave.has(date)) {
        status = 'On Leave';
        notes = LEAVE_NOTES[Math.floor(rand() * LEAVE_NOTES.length)];
      } else if (rand() < 0.03) {
        status = 'Absent';
        notes = SICK_NOTES[Math.floor(rand() * SICK_NOTES.length)];
      } else if (weekday === 5 && person.remoteFriday && rand() < 0.8) {
        status = 'Remote';
      } else {
        const half = rand() < 0.015;
        if (half) status = 'Half Day';
        intervals = stays(plan, person, date, rand, half);
        // Forgotten check-outs: the last stay stays open.
        if (rand() < person.forgetful) intervals[intervals.length - 1] = { ...intervals[intervals.length - 1], check_out_time: null };
      }
      // The day in progress: only what has happened by now (nothing yet: no record).
      if (intervals.length) {
        const t = now.getTime();
        intervals = intervals.filter((i) => Date.parse(i.check_in_time) <= t).map((i) => (i.check_out_time && Date.parse(i.check_out_time) > t ? { ...i, check_out_time: null } : i));
        if (!intervals.length) continue;
      } else if (date === today && status !== 'On Leave' && status !== 'Remote') {
        continue;
      }
      const open = intervals.length > 0 && intervals[intervals.length - 1].check_out_time === null;
      const over = plan.end !== null && now.getTime() > plan.end.getTime() + 6 * 3_600_000;
      // A past day's forgotten check-out was flagged by that day's end-of-day rule.
      const forgotten = open && over;
      if (forgotten) notes = 'Missing check-out';
      const fig = figures(intervals, plan, status);
      const monday = mondayOf(date);
      if (person.week !== monday) {
        person.week = monday;
        person.worked = 0;
      }
      const limit = (team.weekly ?? 40) * 60;
      const weekly = Math.max(0, person.worked + fig.worked_minutes - limit) - Math.max(0, person.worked - limit);
      person.worked += fig.worked_minutes;
      const lastPunch = intervals.length ? (intervals[intervals.length - 1].check_out_time ?? intervals[intervals.length - 1].check_in_time) : null;
      rows.push(
        `(${person.employee_id}, ${team.team_id}, '${date}', '${fig.status}', ${ts(fig.check_in_time)}, ${ts(fig.check_out_time)}, ${q(notes)}, '${intervals.length ? 'kiosk' : 'system'}', ${forgotten}, ` +
          `${q(JSON.stringify(intervals))}, ${fig.worked_minutes}, ${fig.break_minutes}, ${fig.overtime_minutes}, ${weekly}, ${fig.planned_minutes ?? 'null'}, ${fig.left_early}, ` +
          `${ts(plan.start)}, ${ts(plan.end)}, ${team.schedule_id}, 1, ${q(team.tz)}, ${ts(lastPunch)}, now(), now())`,
      );
      if (withPunches) {
        for (const i of intervals) {
          punchRows.push({ employee_id: person.employee_id, date, at: i.check_in_time, action: 'check_in' });
          if (i.check_out_time) punchRows.push({ employee_id: person.employee_id, date, at: i.check_out_time, action: 'check_out' });
        }
      }
      if (rows.length >= batchSize) {
        await flush();
        opts.onProgress?.(done, total);
      }
    }
  }
  await flush();
  opts.onProgress?.(total, total);
  return { teams: teams.length, employees: people.length, records, punches, holidays: holidays.length, managers };
}
