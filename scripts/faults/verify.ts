// Checks after the drain: every ordinary punch stored once, poison ones never, records consistent with their punches,
// fresh boards and summaries equal to the database; then the report.
import { io } from 'socket.io-client';
import type { Sql } from '../../src/infra/db.ts';
import { figures, loadPlanning, rebuild, type DayPunch, type Interval } from '../../src/modules/attendance/index.ts';
import { BOARD_STATES, type BoardSnapshot } from '../../src/modules/boards/index.ts';
import { api, type Client, RUN_ID, waitFor, withTimeout } from '../../harness/index.ts';
import { faults } from './injections.ts';
import { errorCodes, punches } from './kiosks.ts';
import {
  API_TIMEOUT_MS,
  DB_URL,
  EVENT_PREFIX,
  KIOSKS,
  LOG_DIR,
  POISON_CODES,
  PUNCHES,
  SECONDS,
  TZ,
} from './options.ts';
import { unexpectedExits } from './processes.ts';
import { everyProc, extraSockets, hubs, state, watchers } from './state.ts';
import { fmt, log, query } from './util.ts';

export type RunResult = { adminToken: string; employees: { employee_id: number; badge_id: string; team_id: number | null }[]; teams: number[]; deleted: number[]; drainedAt: string };

export async function verify({ adminToken, employees, teams, deleted, drainedAt }: RunResult): Promise<number> {
  const today = (await query<{ d: string }>(DB_URL, `select (now() at time zone '${TZ}')::date::text as d`))[0].d;
  const all = [...punches.values()];
  const stored = await query<{ client_event_id: string; employee_id: number; occurred_at: Date; record_id: number | null }>(
    DB_URL,
    `select client_event_id, employee_id, occurred_at, record_id from punches where client_event_id like $1`,
    [`${EVENT_PREFIX}%`],
  );
  const storedIds = new Map<string, number>();
  for (const s of stored) storedIds.set(s.client_event_id, (storedIds.get(s.client_event_id) ?? 0) + 1);
  const acked = all.filter((p) => p.acked);
  // Every ordinary punch must be stored; poison ones never; those of deleted employees went with them.
  const good = all.filter((p) => p.kind === 'good');
  const ackedNotStored = acked.filter((p) => p.kind === 'good' && !storedIds.has(p.id));
  const generatedNotStored = good.filter((p) => !storedIds.has(p.id));
  const poison = all.filter((p) => p.kind === 'nul' || p.kind === 'refused');
  const poisonWrong = poison.filter((p) => p.acked || storedIds.has(p.id) || p.rejected?.split(':')[0] !== POISON_CODES[p.kind as 'nul' | 'refused']);
  const doomedPunches = all.filter((p) => p.kind === 'doomed');
  const doomedWrong = doomedPunches.filter((p) => !p.acked && !['unknown_badge', 'not_found'].includes(p.rejected?.split(':')[0] ?? ''));
  const unknownStored = stored.filter((s) => !punches.has(s.client_event_id));
  const dupIds = [...storedIds.values()].filter((n) => n > 1).length;
  const storedTwice = (await query<{ n: string }>(
    DB_URL,
    `select count(*) as n from (select employee_id, occurred_at from punches where client_event_id like $1 group by 1, 2 having count(*) > 1) d`,
    [`${EVENT_PREFIX}%`],
  ))[0].n;
  const appliedTwice = all.filter((p) => p.ackedNew > 1).length;
  const wrongPlace = stored.filter((s) => {
    const p = punches.get(s.client_event_id);
    return p && (Number(s.employee_id) !== p.employeeId || new Date(s.occurred_at).toISOString() !== p.at);
  }).length;
  const duplicates = dupIds + Number(storedTwice) + appliedTwice;
  const lost = ackedNotStored.length + generatedNotStored.length;

  // Every attendance record with punches on the days this run punched (and the day before each, for shifts across
  // midnight) against all of its punches (the run's and the seed's), by the hub's own rule (day.rules.ts `rebuild`):
  // the punches in time order, whatever the order they arrived in, give the record's intervals and each punch's
  // action (a double scan within PUNCH_DEBOUNCE_SECONDS is ignored); Present or Late follow the first arrival against
  // the person's shift. A record changed by hand (audit log) is skipped.
  type Check = { record_id: number; employee_id: number; team_id: number | null; day: string; status: string | null; intervals: Interval[] | string; hand_changes: string };
  const checks = await query<Check>(
    DB_URL,
    `with days as (
       select distinct (occurred_at at time zone '${TZ}')::date as day from punches where client_event_id like $1
     ),
     touched as (
       select distinct p.record_id from punches p join attendance a on a.record_id = p.record_id
        where a.attendance_date between (select min(day) - 2 from days) and (select max(day) + 1 from days)
     )
     select a.record_id, a.employee_id, a.team_id, a.attendance_date::text as day, a.status, a.intervals,
            (select count(*) from audit_log l where l.entity_type = 'attendance' and l.entity_id = a.record_id) as hand_changes
       from touched t join attendance a on a.record_id = t.record_id`,
    [`${EVENT_PREFIX}%`],
  );
  const recordPunches = await query<{ record_id: number; punch_id: number; occurred_at: Date; intent: string | null; action: string }>(
    DB_URL,
    'select record_id, punch_id, occurred_at, intent, action from punches where record_id = any($1::int[]) order by occurred_at, punch_id',
    [checks.map((c) => c.record_id)],
  );
  const punchesOf = new Map<number, typeof recordPunches>();
  for (const p of recordPunches) (punchesOf.get(Number(p.record_id)) ?? punchesOf.set(Number(p.record_id), []).get(Number(p.record_id))!).push(p);
  const misplaced = await query<{ client_event_id: string; employee_id: number; occurred_at: Date; record_id: number | null; record_employee: number | null; record_day: string | null }>(
    DB_URL,
    `select p.client_event_id, p.employee_id, p.occurred_at, p.record_id, a.employee_id as record_employee, a.attendance_date::text as record_day
       from punches p left join attendance a on a.record_id = p.record_id
      where p.client_event_id like $1
        and (a.record_id is null or a.employee_id <> p.employee_id
             or a.attendance_date not in ((p.occurred_at at time zone coalesce(a.timezone, '${TZ}'))::date, (p.occurred_at at time zone coalesce(a.timezone, '${TZ}'))::date - 1))`,
    [`${EVENT_PREFIX}%`],
  );
  const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());
  const problems: string[] = misplaced.map((m) =>
    `punch ${m.client_event_id} (employee ${m.employee_id}, ${iso(m.occurred_at)}) is on record ${m.record_id} (employee ${m.record_employee}, ${m.record_day})`);
  const days = checks.map((c) => c.day).sort();
  const planning = days.length ? await loadPlanning({ query: (text, params = []) => query(DB_URL, text, [...params]) } as Sql, TZ, days[0], days[days.length - 1]) : null;
  let handChanged = 0;
  const show = (list: Interval[]) => list.map((i) => `${i.check_in_time}–${i.check_out_time ?? 'open'}`).join(', ') || 'none';
  for (const c of checks) {
    const where = `record ${c.record_id} (employee ${c.employee_id}, ${c.day})`;
    if (Number(c.hand_changes) > 0) {
      handChanged++;
      continue;
    }
    const own = punchesOf.get(Number(c.record_id)) ?? [];
    const rebuilt = rebuild(own.map((p) => ({ at: new Date(p.occurred_at), intent: (p.intent ?? (p.action === 'ignored' ? 'auto' : p.action)) as DayPunch['intent'] })), { debounceMs: 60_000 });
    const stored = (typeof c.intervals === 'string' ? JSON.parse(c.intervals) : c.intervals) as Interval[];
    const open = stored.map((i) => (i.auto_closed ? { ...i, check_out_time: null, auto_closed: undefined } : { check_in_time: i.check_in_time, check_out_time: i.check_out_time }));
    if (show(open) !== show(rebuilt.intervals)) problems.push(`${where}: intervals ${show(stored)} ≠ from its punches ${show(rebuilt.intervals)}`);
    own.forEach((p, k) => {
      if (p.action !== rebuilt.actions[k]) problems.push(`${where}: punch ${p.punch_id} at ${iso(p.occurred_at)} stored as ${p.action}, its place in the day makes it ${rebuilt.actions[k]}`);
    });
    if ((c.status === 'Present' || c.status === 'Late') && planning && rebuilt.intervals.length) {
      const want = figures(rebuilt.intervals, planning.plan(Number(c.employee_id), c.team_id == null ? null : Number(c.team_id), c.day), c.status).status;
      if (want !== c.status) problems.push(`${where}: status ${c.status} ≠ ${want} for a first arrival at ${rebuilt.intervals[0].check_in_time}`);
    }
  }

  // Live boards (informational): what the boards that stayed open through the faults show, once the changes settle.
  const dbBoard = async () => {
    const rows = await query<{ employee_id: number; team_id: number; status: string | null; check_in_time: Date | null; check_out_time: Date | null }>(
      DB_URL,
      `select e.employee_id, e.team_id, a.status, a.check_in_time, a.check_out_time from employees e
         left join attendance a on a.employee_id = e.employee_id and a.attendance_date = $1
        where e.active and e.team_id is not null`,
      [today],
    );
    return rows;
  };
  const staleLive = async () => {
    const rows = await dbBoard();
    const stale: string[] = [];
    for (const [i, w] of watchers.entries()) {
      for (const r of rows) {
        const m = w.boards.get(Number(r.team_id))?.members.get(Number(r.employee_id));
        if (!m || m.status !== r.status || m.check_in_time !== iso(r.check_in_time) || m.check_out_time !== iso(r.check_out_time)) {
          stale.push(`live board on ${i === 0 ? 'A' : 'B'}, employee ${r.employee_id}: board ${m ? `${m.status} ${m.check_in_time}–${m.check_out_time}` : 'missing'}, ` +
            `database ${r.status} ${iso(r.check_in_time)}–${iso(r.check_out_time)}; last changes seen: ${(w.history.get(Number(r.employee_id)) ?? []).join('; ')}`);
        }
      }
    }
    return stale;
  };
  let liveStale: string[] = [];
  await waitFor('live boards converged', async () => (liveStale = await staleLive()).length === 0, 10_000, 500).catch(() => undefined);
  for (const w of watchers) w.close();
  log(`live boards: ${liveStale.length} stale members; ${watchers.map((w, i) => `${i === 0 ? 'A' : 'B'} applied ${w.applied} changes, joined ${w.rejoins} times`).join(', ')}`);

  // Boards: a fresh board:join snapshot of every team, on both instances, against the database.
  const boardProblems: string[] = [];
  for (const [i, hub] of hubs.entries()) {
    const label = i === 0 ? 'A' : 'B';
    if (!hub?.url) {
      boardProblems.push(`hub ${label} is not running`);
      continue;
    }
    const socket: Client = io(hub.url, { transports: ['websocket'], auth: { token: adminToken }, reconnection: false, forceNew: true });
    extraSockets.push(socket);
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (error) => reject(error));
      }), 10_000, `admin socket to hub ${label}`);
      for (const team_id of teams) {
        const ack = await socket.timeout(10_000).emitWithAck('board:join', { team_id });
        if (!ack.ok) {
          boardProblems.push(`hub ${label} team ${team_id}: board:join ${ack.error.code}`);
          continue;
        }
        const snap = ack as { ok: true } & BoardSnapshot;
        const rows = await query<{ employee_id: number; status: string | null; check_in_time: Date | null; check_out_time: Date | null }>(
          DB_URL,
          // Today's record, or a stay begun yesterday that is still under way (as the board shows it).
          `select e.employee_id, a.status, a.check_in_time, a.check_out_time from employees e
             left join lateral (
               select * from attendance a where a.employee_id = e.employee_id
                  and (a.attendance_date = $1 or (a.attendance_date = $1::date - 1 and a.intervals -> -1 ->> 'check_out_time' is null
                       and jsonb_array_length(a.intervals) > 0 and not a.missing_check_out
                       and (a.intervals -> -1 ->> 'check_in_time')::timestamptz > now() - interval '16 hours'))
                order by a.attendance_date desc limit 1) a on true
            where e.team_id = $2 and e.active order by e.employee_id`,
          [today, team_id],
        );
        if (snap.date !== today) boardProblems.push(`hub ${label} team ${team_id}: board date ${snap.date} ≠ ${today}`);
        const members = new Map(snap.members.map((m) => [m.employee_id, m]));
        if (members.size !== rows.length) boardProblems.push(`hub ${label} team ${team_id}: ${members.size} members on the board, ${rows.length} in the database`);
        for (const r of rows) {
          const m = members.get(Number(r.employee_id));
          if (!m) {
            boardProblems.push(`hub ${label} team ${team_id}: employee ${r.employee_id} missing from the board`);
            continue;
          }
          if (m.status !== r.status || m.check_in_time !== iso(r.check_in_time) || m.check_out_time !== iso(r.check_out_time)) {
            boardProblems.push(
              `hub ${label} team ${team_id} employee ${r.employee_id}: board ${m.status} ${m.check_in_time}–${m.check_out_time}, ` +
                `database ${r.status} ${iso(r.check_in_time)}–${iso(r.check_out_time)}`,
            );
          }
        }
        // One state per member; in_now and late count across states.
        const total = BOARD_STATES.reduce((s, k) => s + snap.counts[k], 0);
        if (total !== rows.length) boardProblems.push(`hub ${label} team ${team_id}: counts add up to ${total}, not ${rows.length}`);
      }
    } catch (error) {
      boardProblems.push(`hub ${label}: ${(error as Error).message}`);
    } finally {
      socket.close();
    }
  }

  // Summaries: close yesterday through the worker (POST /attendance/end-of-day), then cause a recompute of every team
  // (the expected people counted here straight from the schedules' weekdays and the holidays: the seed's rotation has
  // the same weekdays in both weeks and nobody is on an assignment)
  // with a REST change (a note on an earlier record of the team: attendance.changed → summaries:recompute), and wait
  // until GET /summarize_attendance/ agrees with a direct count of today, or a deadline passes.
  const summaryProblems: string[] = [];
  const base = hubs[1]?.url ?? hubs[0]?.url;
  let summariesChecked = 0;
  if (!base) summaryProblems.push('no hub running');
  else {
    const yesterday = (await query<{ d: string }>(DB_URL, `select ($1::date - 1)::text as d`, [today]))[0].d;
    try {
      const { body: closed } = await api<{ days?: unknown }>(base, 'POST', '/attendance/end-of-day', { token: adminToken, json: { date: yesterday }, timeoutMs: API_TIMEOUT_MS });
      log(`end of day ${yesterday} through the worker: ${JSON.stringify(closed).slice(0, 200)}`);
    } catch (error) {
      summaryProblems.push(`POST /attendance/end-of-day ${yesterday}: ${(error as Error).message}`);
    }
    const touched: string[] = [];
    for (const team_id of teams) {
      const [record] = await query<{ record_id: number }>(
        DB_URL,
        'select record_id from attendance where team_id = $1 and attendance_date < $2 order by attendance_date desc, record_id limit 1',
        [team_id, today],
      );
      if (!record) {
        summaryProblems.push(`team ${team_id}: no earlier record to touch`);
        continue;
      }
      await api(base, 'PUT', `/attendance/${record.record_id}`, { token: adminToken, json: { notes: `fault run ${RUN_ID}: recompute` }, timeoutMs: API_TIMEOUT_MS });
      touched.push(`team ${team_id} → record ${record.record_id}`);
    }
    log(`summaries: recompute caused by a note on ${touched.join(', ')}`);
    type Counts = { expected: string; present: string; late: string; checked_out: string };
    const sqlToday = async (teamId: number | null) =>
      (await query<Counts>(
        DB_URL,
        `select count(*) filter (where a.status is distinct from 'On Leave') as expected,
                count(*) filter (where a.status in ('Present', 'Late', 'Half Day', 'Remote')) as present,
                count(*) filter (where a.status = 'Late') as late,
                count(*) filter (where a.check_out_time is not null and a.status in ('Present', 'Late', 'Half Day')) as checked_out
           from employees e join teams t on t.team_id = e.team_id
           left join attendance a on a.employee_id = e.employee_id and a.attendance_date = $1::date
          where e.active
            and exists (select 1 from schedules s, jsonb_array_elements(s.shifts) x
                         where s.schedule_id = t.schedule_id and (x ->> 'weekday')::int = extract(isodow from $1::date)::int)
            and not exists (select 1 from holidays h where h.date = $1::date and (h.team_id is null or h.team_id = t.team_id))
            and (e.created_at at time zone coalesce(t.timezone, '${TZ}'))::date <= $1::date
            and ($2::int is null or e.team_id = $2::int)`,
        [today, teamId],
      ))[0];
    for (const teamId of [...teams, null]) {
      const what = teamId === null ? 'organisation' : `team ${teamId}`;
      let last = '';
      const matched = await waitFor(`summary of ${what}`, async () => {
        const want = await sqlToday(teamId);
        const { body: got } = await api<{ today: { date: string; expected: number; present: number; late: number; checked_out: number } }>(
          base, 'GET', `/summarize_attendance/${teamId === null ? '' : `?team_id=${teamId}`}`, { token: adminToken, timeoutMs: API_TIMEOUT_MS },
        );
        last = `summary ${got.today.date} expected ${got.today.expected} present ${got.today.present} late ${got.today.late} checked out ${got.today.checked_out}; ` +
          `SQL ${today} expected ${want.expected} present ${want.present} late ${want.late} checked out ${want.checked_out}`;
        return got.today.date === today && got.today.present === Number(want.present) && got.today.expected === Number(want.expected) &&
          got.today.late === Number(want.late) && got.today.checked_out === Number(want.checked_out);
      }, 30_000, 500).then(() => true, () => false);
      summariesChecked++;
      if (!matched) summaryProblems.push(`${what}: ${last}`);
      else log(`summary of ${what} correct: ${last}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Report

  const hubErrors = everyProc.reduce((s, p) => s + p.errorLines.length, 0);
  const inconsistencies = problems.length + boardProblems.length + summaryProblems.length + state.ackMismatches + wrongPlace + poisonWrong.length + doomedWrong.length;
  const rows: [string, string, string][] = [
    ['faults injected', String(faults.length), faults.map((f) => f.name).join('; ')],
    ['punches sent (generated)', fmt(all.length), `${fmt(all.reduce((s, p) => s + p.attempts, 0))} emits in all (resends included)`],
    ['acked', fmt(acked.length), `${fmt(all.filter((p) => p.ackedDuplicate > 0).length)} acked with duplicate: true at least once`],
    ['refused for good', fmt(all.filter((p) => p.rejected).length), [...new Set(all.flatMap((p) => (p.rejected ? [p.rejected] : [])))].slice(0, 3).join('; ')],
    ['stored', fmt(stored.length), `punches rows with this run's client_event_ids${unknownStored.length ? `; ${unknownStored.length} never generated!` : ''}`],
    ['duplicates', fmt(duplicates), `${dupIds} client_event_ids stored more than once, ${storedTwice} punches stored twice, ${appliedTwice} acked as new twice`],
    ['lost', fmt(lost), `of ${fmt(good.length)} ordinary punches: ${ackedNotStored.length} acked but not stored, ${generatedNotStored.length} generated but never stored`],
    ['poison punches answered wrongly', fmt(poisonWrong.length), `${fmt(poison.length)} poison punches (${poison.filter((p) => p.kind === 'nul').length} with a NUL byte → validation_error, ${poison.filter((p) => p.kind === 'refused').length} refused by the database → punch_refused); none may be acked or stored`],
    ['deleted employees’ punches answered wrongly', fmt(doomedWrong.length), `${deleted.length} employees deleted during the run; ${fmt(doomedPunches.length)} punches for them, each acked (before) or unknown_badge (after)`],
    ['inconsistent records', fmt(problems.length), `${fmt(checks.length)} records with punches on the run's days (and the day before) checked against all their punches, ${handChanged} changed by hand skipped`],
    ['board mismatches', fmt(boardProblems.length), `fresh board:join of ${teams.length} teams on both instances vs the database`],
    ['live boards stale (informational)', fmt(liveStale.length), `members of boards kept open through the faults (${watchers.map((w, i) => `${i === 0 ? 'A' : 'B'}: ${w.applied} changes applied, ${w.rejoins} joins`).join('; ')}) that differ from the database 10 s after the drain`],
    ['summary mismatches', fmt(summaryProblems.length), `${summariesChecked} summaries (each team, the organisation) vs SQL for ${today}`],
    ['ack mismatches', fmt(state.ackMismatches + wrongPlace), 'ack for another employee, or a stored punch with another employee/time'],
    ['unexpected process exits', fmt(unexpectedExits.length), unexpectedExits.join('; ')],
    ['error log lines (hubs, worker)', fmt(hubErrors), `logs in ${LOG_DIR}`],
  ];
  const out: string[] = [];
  out.push(`# Fault injection, run ${RUN_ID}`, '');
  out.push(`${fmt(PUNCHES)} punches for ${employees.length} employees from ${KIOSKS} kiosks over ~${SECONDS} s; 2 API instances + 1 worker; drained at ${drainedAt}.`, '');
  out.push('| fault | started | ended | ms | detail |', '|---|---|---|---:|---|');
  for (const f of faults) out.push(`| ${f.name} | ${f.started} | ${f.ended} | ${fmt(f.ms)} | ${f.detail} |`);
  out.push('', '| count | value | notes |', '|---|---:|---|');
  for (const [name, value, note] of rows) out.push(`| ${name} | ${value} | ${note.replaceAll('|', '\\|')} |`);
  out.push('', `Kiosk errors seen before an ack (all retried unless refused for good): ${Object.entries(errorCodes).map(([c, n]) => `${c} ${fmt(n)}`).join(', ') || 'none'}.`);
  const ackTimes = acked.map((p) => p.ackedAt - p.generatedAt).sort((x, y) => x - y);
  if (ackTimes.length) {
    const q = (f: number) => ackTimes[Math.min(ackTimes.length - 1, Math.floor(f * ackTimes.length))];
    out.push(`Generation to ack: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${ackTimes[ackTimes.length - 1]} ms.`);
  }
  const details = [...ackedNotStored.slice(0, 5).map((p) => `acked but not stored: ${p.id}`), ...generatedNotStored.slice(0, 5).map((p) => `never stored: ${p.id} (${p.attempts} attempts)`),
    ...poisonWrong.slice(0, 5).map((p) => `poison punch ${p.id} (${p.kind}): ${p.acked ? 'acked' : p.rejected ?? 'never answered'}${storedIds.has(p.id) ? ', stored' : ''}`),
    ...doomedWrong.slice(0, 5).map((p) => `punch ${p.id} for deleted employee ${p.employeeId}: ${p.rejected ?? 'never answered'}`),
    ...problems.slice(0, 10), ...boardProblems.slice(0, 10), ...summaryProblems.slice(0, 10), ...liveStale.slice(0, 5)];
  if (details.length) out.push('', 'Details:', ...details.map((d) => `- ${d}`));
  const failed = lost > 0 || duplicates > 0 || inconsistencies > 0;
  out.push('', failed ? 'RESULT: FAIL' : 'RESULT: PASS (nothing lost, nothing doubled, everything consistent)');
  process.stdout.write(`${out.join('\n')}\n`);
  return failed ? 1 : 0;
}
