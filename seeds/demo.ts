/**
 * The demo organisation: teams, employees and months of believable attendance (late Mondays,
 * remote Fridays, sick days, leave, forgotten check-outs). Deterministic for a given seed.
 * Rows go in as multi-row INSERT statements in batches; values are generated here, never user input.
 */
import type { Em } from '../src/infra/db.ts';
import { addDays, isoWeekday, localParts, minutesOf, zonedTimeToInstant } from '../src/infra/time.ts';

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

export type SeedSummary = { teams: number; employees: number; records: number; punches: number; managers: { email: string; team: string }[] };

const TEAM_DEFS = [
  { name: 'Engineering', start: '09:00', grace: 10, roles: ['Developer', 'Senior Developer', 'QA Engineer', 'DevOps Engineer', 'Designer'] },
  { name: 'Support', start: '08:00', grace: 5, roles: ['Support Agent', 'Support Specialist', 'Technical Support'] },
  { name: 'Sales', start: '09:00', grace: 5, roles: ['Account Executive', 'Sales Representative', 'Business Developer'] },
  { name: 'Operations', start: '08:30', grace: 5, roles: ['Operations Analyst', 'Logistics Coordinator', 'Facilities Officer'] },
  { name: 'Finance', start: '09:00', grace: 5, roles: ['Accountant', 'Financial Analyst', 'Payroll Officer'] },
  { name: 'Marketing', start: '09:30', grace: 10, roles: ['Marketing Specialist', 'Content Writer', 'SEO Analyst'] },
  { name: 'People', start: '09:00', grace: 5, roles: ['HR Generalist', 'Recruiter'] },
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
const ts = (d: Date | null) => (d === null ? 'null' : `'${d.toISOString()}'`);

type Person = {
  employee_id: number;
  team: number;
  teamIndex: number;
  punctuality: number;
  remoteFriday: boolean;
  forgetful: number;
  leave: Set<string>;
};

/** Inserts the demo organisation into an empty database. */
export async function seedDemo(em: Em, opts: SeedOptions): Promise<SeedSummary> {
  const rand = prng(opts.seed ?? 20261124);
  const now = opts.now ?? new Date();
  const tz = opts.timezone;
  const batchSize = opts.batchSize ?? 5000;
  const withPunches = opts.punches ?? opts.employees <= 1000;
  const teamCount = Math.min(opts.teams ?? Math.max(5, Math.min(TEAM_DEFS.length, Math.ceil(opts.employees / 1500))), TEAM_DEFS.length);

  const teamRows = await em.execute<{ team_id: number; team_name: string }[]>(
    `insert into teams (team_name, workday_start, grace_minutes, working_weekdays, created_at, updated_at) values ${TEAM_DEFS.slice(0, teamCount)
      .map((t) => `(${q(t.name)}, ${q(t.start)}, ${t.grace}, '[1,2,3,4,5]', now(), now())`)
      .join(', ')} returning team_id, team_name`,
  );
  const teams = teamRows.map((row, i) => ({ ...TEAM_DEFS[i], team_id: Number(row.team_id) }));

  const today = localParts(now, tz).date;
  const firstDay = addDays(today, -opts.days);
  // Everyone joined before the history starts, so every day of it expects them.
  const joined = `'${addDays(firstDay, -1)}T00:00:00Z'`;

  // Employees, spread over the teams; the first of each team manages it.
  const people: Person[] = [];
  const managers: SeedSummary['managers'] = [];
  for (let start = 0; start < opts.employees; start += batchSize) {
    const values: string[] = [];
    const meta: Omit<Person, 'employee_id'>[] = [];
    for (let i = start; i < Math.min(opts.employees, start + batchSize); i++) {
      const teamIndex = i % teamCount;
      const team = teams[teamIndex];
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
      meta.push({
        team: team.team_id,
        teamIndex,
        punctuality: rand(),
        remoteFriday: rand() < 0.35,
        forgetful: rand() * 0.04,
        leave: new Set(),
      });
    }
    const ids = await em.execute<{ employee_id: number }[]>(
      `insert into employees (name, email, team_id, role, access, password_hash, badge_id, active, created_at, updated_at) values ${values.join(', ')} returning employee_id`,
    );
    ids.forEach((row, k) => people.push({ employee_id: Number(row.employee_id), ...meta[k] }));
  }

  // Leave blocks: one or two runs of 2–5 working days per person over the period.
  for (const person of people) {
    const blocks = rand() < 0.6 ? 1 : 2;
    for (let b = 0; b < blocks && opts.days > 10; b++) {
      const begin = Math.floor(rand() * (opts.days - 5));
      const length = 2 + Math.floor(rand() * 4);
      for (let d = 0; d < length; d++) person.leave.add(addDays(firstDay, begin + d));
    }
  }

  const dates: string[] = [];
  for (let d = 0; d <= opts.days; d++) {
    const date = addDays(firstDay, d);
    if (isoWeekday(date) <= 5) dates.push(date);
  }
  const total = dates.length * people.length;
  let done = 0;
  let records = 0;
  let punches = 0;
  const nowMinutes = localParts(now, tz).minutes;
  let rows: string[] = [];
  let punchRows: { employee_id: number; date: string; at: Date; action: 'check_in' | 'check_out' }[] = [];

  const flush = async () => {
    if (!rows.length) return;
    const inserted = await em.execute<{ record_id: number; employee_id: number; attendance_date: string | Date }[]>(
      `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out, created_at, updated_at) values ${rows.join(', ')}` +
        (withPunches ? ' returning record_id, employee_id, attendance_date' : ''),
    );
    records += rows.length;
    if (withPunches && punchRows.length) {
      const key = (e: number, d: string | Date) => `${e}|${d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10)}`;
      const ids = new Map(inserted.map((r) => [key(Number(r.employee_id), r.attendance_date), Number(r.record_id)]));
      const values = punchRows.map(
        (p) => `(${p.employee_id}, ${ts(p.at)}, ${ts(p.at)}, 'kiosk', 'Demo kiosk', null, '${p.action}', ${ids.get(key(p.employee_id, p.date)) ?? 'null'})`,
      );
      for (let i = 0; i < values.length; i += batchSize) {
        await em.execute(
          `insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, action, record_id) values ${values.slice(i, i + batchSize).join(', ')}`,
        );
      }
      punches += punchRows.length;
    }
    rows = [];
    punchRows = [];
  };

  for (const date of dates) {
    const weekday = isoWeekday(date);
    const isToday = date === today;
    for (const person of people) {
      done++;
      const team = teams[person.teamIndex];
      const startMin = minutesOf(team.start);
      let status: string;
      let inMin: number | null = null;
      let outMin: number | null = null;
      let notes: string | null = null;
      if (person.leave.has(date)) {
        status = 'On Leave';
        notes = LEAVE_NOTES[Math.floor(rand() * LEAVE_NOTES.length)];
      } else if (rand() < 0.03) {
        status = 'Absent';
        notes = SICK_NOTES[Math.floor(rand() * SICK_NOTES.length)];
      } else if (weekday === 5 && person.remoteFriday && rand() < 0.8) {
        status = 'Remote';
      } else {
        // Arrival jitter around the start; Mondays and the less punctual run later.
        const lateBias = (weekday === 1 ? 7 : 0) + person.punctuality * 9;
        inMin = Math.round(startMin - 20 + rand() * 25 + lateBias + (rand() < 0.05 ? 30 * rand() : 0));
        const half = rand() < 0.015;
        outMin = half ? inMin + 240 + Math.round(rand() * 30) : inMin + 480 + Math.round(rand() * 75);
        status = half ? 'Half Day' : inMin > startMin + team.grace ? 'Late' : 'Present';
        if (rand() < person.forgetful) outMin = null;
      }
      if (isToday) {
        // Today is in progress: only those who have arrived by now have a record, none has left yet.
        if (inMin === null || inMin > nowMinutes) continue;
        outMin = null;
      }
      const checkIn = inMin === null ? null : zonedTimeToInstant(date, `${String(Math.floor(inMin / 60)).padStart(2, '0')}:${String(inMin % 60).padStart(2, '0')}`, tz);
      const checkOut =
        outMin === null || checkIn === null ? null : new Date(checkIn.getTime() + (outMin - (inMin ?? 0)) * 60_000);
      // A past day's forgotten check-out was flagged by that day's end-of-day rule.
      const forgotten = !isToday && checkIn !== null && checkOut === null;
      if (forgotten) notes = 'Missing check-out';
      rows.push(
        `(${person.employee_id}, ${person.team}, '${date}', '${status}', ${ts(checkIn)}, ${ts(checkOut)}, ${q(notes)}, '${checkIn ? 'kiosk' : 'system'}', ${forgotten}, now(), now())`,
      );
      if (withPunches && checkIn) {
        punchRows.push({ employee_id: person.employee_id, date, at: checkIn, action: 'check_in' });
        if (checkOut) punchRows.push({ employee_id: person.employee_id, date, at: checkOut, action: 'check_out' });
      }
      if (rows.length >= batchSize) {
        await flush();
        opts.onProgress?.(done, total);
      }
    }
  }
  await flush();
  opts.onProgress?.(total, total);
  return { teams: teams.length, employees: people.length, records, punches, managers };
}
