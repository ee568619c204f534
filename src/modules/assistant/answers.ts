/**
 * The offline planner's answers: for each intent, the tools it calls and the sentence and table it writes from their
 * results. Every number in a sentence comes from a tool result; every answer says its scope.
 */
import type { Ask } from './intents.ts';
import type { Person, Team } from './names.ts';
import type { Period } from './periods.ts';
import type { StatusKey, ToolContext } from './tools.ts';

export type ToolUse = { name: string; args: Record<string, unknown> };
export type Column = { key: string; label: string };
export type Table = { columns: Column[]; rows: Record<string, unknown>[] };
export type Scope = {
  period: Period | null;
  team: { team_id: number; team_name: string } | null;
  employee: { employee_id: number; name: string } | null;
  timezone: string;
  /** When several teams are asked about. */
  teams?: { team_id: number; team_name: string }[];
};
export type Plan = { ask: Ask; period: Period; periodSaid: boolean; teams: Team[]; person: Person | null };
export type Part = { text: string; table: Table | null; data: unknown; scope: Scope; figure?: number | null; names?: string[] };
export type Call = <T>(name: string, args: Record<string, unknown>) => Promise<T>;

const STATUS_PHRASE: Record<StatusKey, string> = {
  Late: 'late', Absent: 'absent', Remote: 'remote', 'On Leave': 'on leave', 'Half Day': 'on a half day', Present: 'present', missing_check_out: 'missing a check-out',
};
const STATUS_NOUN: Record<StatusKey, [string, string]> = {
  Late: ['late arrival', 'late arrivals'], Absent: ['absence', 'absences'], Remote: ['remote day', 'remote days'], 'On Leave': ['day of leave', 'days of leave'],
  'Half Day': ['half day', 'half days'], Present: ['day present', 'days present'], missing_check_out: ['missing check-out', 'missing check-outs'],
};

export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
export const pct = (rate: number | null | undefined) => (rate === null || rate === undefined ? 'n/a' : `${Number.isInteger(rate) ? rate : rate.toFixed(1)}%`);
export const list = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);
const hours = (h: number) => h.toFixed(1);
const cols = (...pairs: [string, string][]): Column[] => pairs.map(([key, label]) => ({ key, label }));
/** The columns of a rate's table, one row per day. */
const RATE_BY_DAY = cols(['date', 'Day'], ['weekday', 'Weekday'], ['rate', 'Rate %'], ['present', 'Present'], ['expected', 'Expected']);
/** Names inline when few, one a line when many (the page shows those as a list). */
const names = (items: string[]) => (items.length > 8 ? `\n${items.map((i) => `- ${i}`).join('\n')}` : ` ${list(items)}`);

export function scopeOf(plan: Plan, ctx: ToolContext, period: Period | null = plan.period): Scope {
  const team = plan.person ? null : plan.teams.length === 1 ? { team_id: plan.teams[0].team_id, team_name: plan.teams[0].team_name } : null;
  return {
    period: period ? { from: period.from, to: period.to, label: period.label } : null,
    team: plan.person && plan.person.team_id !== null ? { team_id: plan.person.team_id, team_name: plan.person.team_name ?? '' } : team,
    employee: plan.person ? { employee_id: plan.person.employee_id, name: plan.person.name } : null,
    timezone: ctx.config.timezone,
    ...(!plan.person && plan.teams.length > 1 ? { teams: plan.teams.map((t) => ({ team_id: t.team_id, team_name: t.team_name })) } : {}),
  };
}

type Board = { date: string; boards: { team_id: number; team_name: string; counts: Record<string, number>; members: { name: string; state: string; status: string | null; check_in_time: string | null }[] }[] };

/** Runs one plan (one intent, one period) and writes its part of the answer. */
export async function runPlan(plan: Plan, call: Call, ctx: ToolContext): Promise<Part> {
  const { ask, period } = plan;
  const team = plan.teams[0] ?? null;
  const manyTeams = plan.teams.length >= 2;
  const range = { from: period.from, to: period.to };
  const scope = scopeOf(plan, ctx);
  const teamPhrase = manyTeams ? ` in ${list(plan.teams.map((t) => t.team_name))}` : team ? ` in ${team.team_name}` : '';
  const status = ask.statuses[0] ?? 'Late';

  switch (ask.intent) {
    case 'live':
    case 'absent_today': {
      const board = await call<Board>('live_board', { team_id: manyTeams ? null : (team?.team_id ?? null) });
      const data = manyTeams ? { ...board, boards: board.boards.filter((b) => plan.teams.some((t) => t.team_id === b.team_id)) } : board;
      const total = (k: string) => data.boards.reduce((s, b) => s + (b.counts[k] ?? 0), 0);
      const where = team ? `in ${list(plan.teams.map((t) => t.team_name))}` : 'across all teams';
      const members = data.boards.flatMap((b) => b.members.map((m) => ({ ...m, team: b.team_name })));
      const liveScope = { ...scope, period: { from: data.date, to: data.date, label: `today (${data.date})` } };
      const table: Table = { columns: cols(['name', 'Name'], ['team', 'Team'], ['state', 'State'], ['check_in_time', 'Checked in']), rows: members.map((m) => ({ name: m.name, team: m.team, state: m.state.replace(/_/g, ' '), check_in_time: m.check_in_time })) };
      const lateIn = members.filter((m) => m.state === 'in' && m.status === 'Late').length;
      const totals = {
        in: total('in'), late: lateIn, remote: total('remote'), not_in_yet: total('not_in_yet') + total('overdue'), absent: total('absent'),
        on_leave: total('on_leave'), checked_out: total('out') + total('done'), off: total('off'),
      };
      if (ask.intent === 'absent_today') {
        const absent = members.filter((m) => m.state === 'absent').map((m) => m.name);
        const overdue = members.filter((m) => m.state === 'overdue').map((m) => m.name);
        const notDue = members.filter((m) => m.state === 'not_in_yet').map((m) => m.name);
        const close = ctx.config.jobs.endOfDayTime;
        const text =
          `Today (${data.date}) ${where}: ${absent.length ? `${plural(absent.length, 'person is', 'people are')} marked absent: ${list(absent)}.` : 'nobody is marked absent yet.'}` +
          ` ${overdue.length ? `${plural(overdue.length, 'person is', 'people are')} overdue (past their start, not in yet): ${list(overdue)}.` : 'Nobody is overdue.'}` +
          `${notDue.length ? ` ${plural(notDue.length, 'more is', 'more are')} expected later.` : ''} The day closes at ${close}; whoever is still missing then is marked absent.`;
        const rows = members.filter((m) => ['absent', 'overdue', 'not_in_yet'].includes(m.state)).map((m) => ({ name: m.name, team: m.team, state: m.state.replace(/_/g, ' ') }));
        return { text, table: { columns: cols(['name', 'Name'], ['team', 'Team'], ['state', 'State']), rows }, data: { ...data, totals, day_closes_at: close }, scope: liveScope, figure: absent.length, names: [...absent, ...overdue] };
      }
      const summary =
        `${total('in')} in (${lateIn} late), ${total('remote')} remote, ${total('not_in_yet') + total('overdue')} not in yet, ${total('absent')} absent, ` +
        `${total('on_leave')} on leave, ${total('out') + total('done')} checked out`;
      const wanted = ask.liveWho === 'not_in' ? members.filter((m) => m.state === 'not_in_yet' || m.state === 'overdue') : members.filter((m) => m.state === 'in');
      const listed = wanted.slice(0, 30).map((m) => (m.check_in_time ? `${m.name} (${m.check_in_time}${m.status === 'Late' ? ', late' : ''})` : m.state === 'overdue' ? `${m.name} (overdue)` : m.name));
      const more = wanted.length > 30 ? ` and ${wanted.length - 30} more` : '';
      const who = ask.liveWho === 'not_in'
        ? wanted.length ? `Not in yet:${names(listed)}${more}.` : 'Everyone expected is in.'
        : wanted.length ? `In now:${names(listed)}${more}.` : 'Nobody is in yet.';
      return { text: `Today (${data.date}) ${where}: ${summary}. ${who}`, table, data: { ...data, totals }, scope: liveScope, figure: wanted.length, names: wanted.map((m) => m.name) };
    }
    case 'on_site': {
      const r = await call<{ on_site: number; people: { name: string; team_name: string | null; since: string }[] }>('on_site_now', { team_id: team?.team_id ?? null });
      const text = r.on_site
        ? `${plural(r.on_site, 'person is', 'people are')} on site now${teamPhrase}:${names(r.people.map((p) => `${p.name} (since ${p.since})`))}.`
        : `Nobody is on site now${teamPhrase}.`;
      return { text, table: { columns: cols(['name', 'Name'], ['team_name', 'Team'], ['since', 'In since']), rows: r.people }, data: r, scope: { ...scope, period: { from: ctx.today, to: ctx.today, label: `now (${ctx.today})` } }, figure: r.on_site, names: r.people.map((p) => p.name) };
    }
    case 'corrections': {
      const r = await call<{ pending: number; requests: { name: string; date: string; requested_by: string | null }[] }>('pending_corrections', { team_id: team?.team_id ?? null });
      const text = r.pending
        ? `${plural(r.pending, 'correction request is', 'correction requests are')} pending${teamPhrase}:${names(r.requests.map((c) => `${c.name} (${c.date})`))}. Approve or reject them on the corrections page or with POST /attendance/corrections/{id}/approve.`
        : `No correction requests are pending${teamPhrase}.`;
      return { text, table: { columns: cols(['name', 'Name'], ['date', 'Day'], ['requested_by', 'Asked by']), rows: r.requests.map(({ name, date, requested_by }) => ({ name, date, requested_by })) }, data: r, scope: { ...scope, period: null }, figure: r.pending, names: r.requests.map((c) => c.name) };
    }
    case 'headcount': {
      const r = await call<{ active_employees: number; without_team?: number; team_name?: string; teams: Team[] }>('headcount', { team_id: manyTeams ? null : (team?.team_id ?? null) });
      const shown = manyTeams ? r.teams.filter((t) => plan.teams.some((p) => p.team_id === t.team_id)) : r.teams;
      const text = team && !manyTeams
        ? `${team.team_name} has ${plural(r.active_employees, 'active employee', 'active employees')}.`
        : manyTeams
          ? `Active employees: ${shown.map((t) => `${t.team_name} ${t.members}`).join(', ')}.`
          : `The organisation has ${plural(r.active_employees, 'active employee', 'active employees')}${r.without_team ? ` (${r.without_team} without a team)` : ''} in ${plural(r.teams.length, 'team', 'teams')}: ${r.teams.map((t) => `${t.team_name} ${t.members}`).join(', ')}.`;
      return { text, table: { columns: cols(['team_name', 'Team'], ['members', 'Active employees']), rows: shown }, data: r, scope: { ...scope, period: null }, figure: r.active_employees };
    }
    case 'rate': {
      if (manyTeams) return runPlan({ ...plan, ask: { ...ask, intent: 'compare_teams' } }, call, ctx);
      const data = await call<{ rate: number | null; present: number; expected: number; working_days: number; late: number; absent: number; by_day: unknown[] }>('attendance_rate', { ...range, team_id: team?.team_id ?? null });
      const who = team ? team.team_name : 'the organisation';
      if (ask.absenceRate && data.rate !== null) {
        const share = data.expected ? Math.round((data.absent / data.expected) * 1000) / 10 : null;
        const text = `The absence rate for ${who} ${period.label} was ${pct(share)}: ${plural(data.absent, 'absence', 'absences')} of ${data.expected} expected attendances over ${plural(data.working_days, 'working day', 'working days')} (attendance rate ${pct(data.rate)}).`;
        return { text, table: { columns: RATE_BY_DAY, rows: data.by_day as Record<string, unknown>[] }, data: { ...data, absence_rate: share }, scope, figure: share };
      }
      if (ask.onTime && data.rate !== null) {
        // On time: the attendances that were not late arrivals, of all attendances.
        const onTime = data.present - data.late;
        const share = data.present ? Math.round((onTime / data.present) * 1000) / 10 : null;
        const text = share === null
          ? `Nobody in ${who} was present ${period.label}, so there is no on-time share.`
          : `${pct(share)} of the attendances in ${who} ${period.label} were on time: ${onTime} of ${data.present} (${plural(data.late, 'late arrival', 'late arrivals')}; attendance rate ${pct(data.rate)}, ${data.present} of ${data.expected} expected).`;
        return { text, table: { columns: RATE_BY_DAY, rows: data.by_day as Record<string, unknown>[] }, data: { ...data, on_time: onTime, on_time_share: share }, scope, figure: share };
      }
      const text = data.rate === null
        ? `There were no working days with expected employees for ${who} ${period.label}.`
        : `The attendance rate for ${who} ${period.label} was ${pct(data.rate)}: ${data.present} of ${data.expected} expected attendances over ${plural(data.working_days, 'working day', 'working days')} (${plural(data.late, 'late arrival', 'late arrivals')}, ${plural(data.absent, 'absence', 'absences')}).`;
      return { text, table: { columns: RATE_BY_DAY, rows: data.by_day as Record<string, unknown>[] }, data, scope, figure: data.rate };
    }
    case 'trend': {
      const data = await call<{ weeks: { week_of: string; from: string; to: string; rate: number | null; late: number; absent: number; present: number; expected: number }[] }>('weekly_trend', { ...range, team_id: team?.team_id ?? null });
      const weeks = data.weeks.filter((w) => w.rate !== null);
      const table = { columns: cols(['week_of', 'Week of'], ['rate', 'Rate %'], ['present', 'Present'], ['expected', 'Expected'], ['late', 'Late'], ['absent', 'Absent']), rows: data.weeks };
      if (weeks.length < 2) return { text: `There are not enough working weeks${teamPhrase} ${period.label} to see a trend.`, table, data, scope };
      const key = ask.statuses[0] === 'Late' ? 'late' : ask.statuses[0] === 'Absent' ? 'absent' : 'rate';
      const first = weeks[0];
      const last = weeks[weeks.length - 1];
      const a = Number(first[key]);
      const b = Number(last[key]);
      const better = key === 'rate' ? b - a : a - b;
      const verdict = Math.abs(better) < (key === 'rate' ? 0.5 : 1) ? 'steady' : better > 0 ? 'improving' : 'worsening';
      const show = (w: (typeof weeks)[number]) => (key === 'rate' ? pct(w.rate) : `${w[key]} ${key === 'late' ? 'late' : 'absent'}`);
      const text = `Week by week${teamPhrase} ${period.label}: ${weeks.map((w) => `week of ${w.week_of} ${show(w)}`).join(', ')}. ` +
        `${key === 'rate' ? 'Attendance' : key === 'late' ? 'Lateness' : 'Absence'} is ${verdict}: ${show(first)} in the week of ${first.week_of}, ${show(last)} in the week of ${last.week_of}.`;
      return { text, table, data, scope };
    }
    case 'compare_teams':
    case 'issues': {
      const rows = await call<{ team_id: number; team_name: string; rate: number | null; late: number; absent: number; expected: number; present: number; members: number }[]>('compare_teams', range);
      const chosen = manyTeams ? rows.filter((r) => plan.teams.some((t) => t.team_id === r.team_id)) : rows;
      const rated = chosen.filter((r) => r.rate !== null);
      const table = { columns: cols(['team_name', 'Team'], ['rate', 'Rate %'], ['present', 'Present'], ['expected', 'Expected'], ['late', 'Late'], ['absent', 'Absent']), rows: chosen };
      if (!rated.length) return { text: `There were no working days with expected employees ${period.label}.`, table, data: rows, scope };
      if (ask.intent === 'issues') {
        const org = await call<{ rate: number | null }>('attendance_rate', range);
        const below = rated.filter((r) => org.rate !== null && r.rate! < org.rate).sort((a, b) => a.rate! - b.rate!);
        const text = below.length
          ? `Teams below the organisation's attendance rate of ${pct(org.rate)} ${period.label}: ${below.map((r) => `${r.team_name} ${pct(r.rate)} (${plural(r.late, 'late arrival', 'late arrivals')}, ${plural(r.absent, 'absence', 'absences')})`).join('; ')}.`
          : `No team was below the organisation's attendance rate of ${pct(org.rate)} ${period.label}.`;
        return { text, table, data: { organisation_rate: org.rate, teams: rows, below }, scope: { ...scope, team: null } };
      }
      const countKey = ask.statuses[0] === 'Late' ? 'late' : ask.statuses[0] === 'Absent' ? 'absent' : null;
      if (countKey) {
        const byCount = [...rated].sort((a, b) => b[countKey] - a[countKey] || a.team_name.localeCompare(b.team_name));
        const noun = countKey === 'late' ? ['Late arrivals', 'late arrival', 'late arrivals'] : ['Absences', 'absence', 'absences'];
        const most = byCount[0][countKey];
        const fewest = byCount[byCount.length - 1][countKey];
        const at = (n: number) => {
          const teamNames = byCount.filter((r) => r[countKey] === n).map((r) => r.team_name);
          return `${list(teamNames)} (${plural(n, noun[1], noun[2])}${teamNames.length > 1 ? ' each' : ''})`;
        };
        const text = `${noun[0]} by team ${period.label}: ${byCount.map((r) => `${r.team_name} ${r[countKey]}`).join(', ')}.` + (most > fewest ? ` Most: ${at(most)}; fewest: ${at(fewest)}.` : '');
        return { text, table: { ...table, rows: byCount }, data: byCount, scope: { ...scope, team: null } };
      }
      const best = rated[0];
      const worst = rated[rated.length - 1];
      const text = `Attendance by team ${period.label}: ${rated.map((r) => `${r.team_name} ${pct(r.rate)}`).join(', ')}. Highest: ${best.team_name} (${pct(best.rate)}); lowest: ${worst.team_name} (${pct(worst.rate)}).`;
      return { text, table, data: chosen, scope: { ...scope, team: null } };
    }
    case 'who':
    case 'count':
    case 'top': {
      type PeopleResult = { people_count: number; occurrences: number; people: { name: string; team_name: string | null; count: number; dates: string[] }[]; truncated: boolean };
      const minCount = ask.intent === 'top' ? 1 : ask.minCount;
      const parts: PeopleResult[] = [];
      for (const t of manyTeams ? plan.teams : [team]) parts.push(await call<PeopleResult>('people_by_status', { status, ...range, team_id: t?.team_id ?? null, min_count: minCount }));
      const data: PeopleResult = parts.length === 1 ? parts[0] : ({
        status, ...range, team_ids: plan.teams.map((t) => t.team_id), min_count: minCount,
        people_count: parts.reduce((s, p) => s + p.people_count, 0),
        occurrences: parts.reduce((s, p) => s + p.occurrences, 0),
        people: parts.flatMap((p) => p.people).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
        truncated: parts.some((p) => p.truncated),
      } as PeopleResult);
      const oneTeam = plan.teams.length === 1;
      const phrase = STATUS_PHRASE[status];
      const atLeast = minCount > 1 ? ` at least ${plural(minCount, 'time', 'times')}` : '';
      const table = { columns: cols(['name', 'Name'], ['team_name', 'Team'], ['count', STATUS_NOUN[status][1].replace(/^./, (c) => c.toUpperCase())], ['dates', 'Dates']), rows: data.people.map((p) => ({ ...p, dates: p.dates.join(', ') })) };
      const peopleNames = data.people.map((p) => p.name);
      if (ask.intent === 'count') {
        const text = ask.countPeople
          ? `${plural(data.people_count, 'person', 'people')}${teamPhrase} ${data.people_count === 1 ? 'was' : 'were'} ${phrase}${atLeast} ${period.label}; ${plural(data.occurrences, STATUS_NOUN[status][0], STATUS_NOUN[status][1])} in all.`
          : `There ${data.occurrences === 1 ? 'was' : 'were'} ${plural(data.occurrences, STATUS_NOUN[status][0], STATUS_NOUN[status][1])}${teamPhrase} ${period.label}, by ${plural(data.people_count, 'person', 'people')}.`;
        return { text, table, data, scope, figure: ask.countPeople ? data.people_count : data.occurrences, names: peopleNames };
      }
      if (!data.people.length) return { text: `Nobody${teamPhrase} was ${phrase}${atLeast} ${period.label} (0 people).`, table, data, scope, figure: 0, names: [] };
      if (ask.intent === 'top') {
        const top = data.people.slice(0, ask.topN);
        return { text: `Most often ${phrase}${teamPhrase} ${period.label}: ${top.map((p) => `${p.name} (${p.count})`).join(', ')}.`, table: { ...table, rows: table.rows.slice(0, ask.topN) }, data: { ...data, people: top }, scope, names: top.map((p) => p.name) };
      }
      const single = period.from === period.to;
      const listed = data.people.map((p) => (single ? `${p.name}${oneTeam ? '' : p.team_name ? ` (${p.team_name})` : ''}` : `${p.name} (${p.count}${p.team_name && !oneTeam ? `, ${p.team_name}` : ''})`));
      const text = `${plural(data.people_count, 'person', 'people')}${teamPhrase} ${data.people_count === 1 ? 'was' : 'were'} ${phrase}${atLeast} ${period.label}:${names(listed)}${data.people_count > data.people.length ? ` and ${data.people_count - data.people.length} more` : ''}${listed.length > 8 ? '' : '.'}`;
      return { text, table, data, scope, figure: data.people_count, names: peopleNames };
    }
    case 'hours': {
      const metricKey = ask.metric === 'overtime' ? 'overtime_hours' : ask.metric === 'breaks' ? 'break_hours' : 'worked_hours';
      const metricWord = ask.metric === 'overtime' ? 'overtime' : ask.metric === 'breaks' ? 'on breaks' : 'worked';
      if (plan.person) {
        const h = await call<{ worked_hours: number; overtime_hours: number; weekly_overtime_hours: number; records: { worked_minutes: number; break_minutes: number }[] }>('employee_history', { employee_id: plan.person.employee_id, ...range });
        const days = h.records.filter((r) => r.worked_minutes > 0).length;
        const breakHours = Math.round(h.records.reduce((n, r) => n + r.break_minutes, 0) / 6) / 10;
        const who = `${plan.person.name}${plan.person.team_name ? ` (${plan.person.team_name})` : ''}`;
        const perDay = days ? Math.round((h.records.reduce((n, r) => n + r.worked_minutes, 0) / days) / 6) / 10 : null;
        const average = ask.average && perDay !== null ? `On average ${who} worked ${hours(perDay)} hours per day worked ${period.label}. ` : '';
        const text = `${average}${who} worked ${hours(h.worked_hours)} hours ${period.label} over ${plural(days, 'day', 'days')}; overtime ${hours(h.overtime_hours)} hours beyond the daily plan (${hours(h.weekly_overtime_hours)} beyond the weekly hours); breaks ${hours(breakHours)} hours.`;
        const rows = [{ name: plan.person.name, worked_hours: h.worked_hours, overtime_hours: h.overtime_hours, weekly_overtime_hours: h.weekly_overtime_hours, break_hours: breakHours, days }];
        return { text, table: { columns: cols(['name', 'Name'], ['days', 'Days worked'], ['worked_hours', 'Hours worked'], ['overtime_hours', 'Overtime (h)'], ['weekly_overtime_hours', 'Weekly overtime (h)'], ['break_hours', 'Breaks (h)']), rows }, data: h, scope, figure: ask.metric === 'overtime' ? h.overtime_hours : h.worked_hours };
      }
      if (ask.hoursLimit) {
        const limit = ask.hoursLimit;
        const of = ask.metric === 'overtime' ? 'overtime' : 'worked';
        const r = await call<{ people_in_scope: number; matching: number; people: { name: string; team_name: string | null; worked_hours: number; overtime_hours: number; days: number }[] }>(
          'hours_worked', { ...range, team_id: team?.team_id ?? null, ...(limit.op === 'more' ? { more_than_hours: limit.hours } : { less_than_hours: limit.hours }), of },
        );
        const key = of === 'overtime' ? 'overtime_hours' : 'worked_hours';
        const shown = r.people.map((p) => `${p.name}${team ? '' : ` (${p.team_name ?? 'no team'})`} ${hours(p[key])} h`);
        const what = of === 'overtime' ? (limit.said ? `had ${limit.said} of overtime` : 'worked overtime') : `worked ${limit.said}`;
        const text = r.matching
          ? `${plural(r.matching, 'person', 'people')} of ${r.people_in_scope} with hours${teamPhrase} ${what} ${period.label}${r.matching > r.people.length ? ` (the ${r.people.length} with the most shown)` : ''}:${names(shown)}${shown.length > 8 ? '' : '.'}`
          : `Nobody${teamPhrase} ${what} ${period.label} (of ${r.people_in_scope} people with hours).`;
        return { text, table: { columns: cols(['name', 'Name'], ['team_name', 'Team'], ['days', 'Days worked'], ['worked_hours', 'Hours worked'], ['overtime_hours', 'Overtime (h)']), rows: r.people }, data: r, scope, figure: r.matching, names: r.people.map((p) => p.name) };
      }
      const parts = [];
      for (const t of manyTeams ? plan.teams : [team]) parts.push(await call<{ totals: { people: number; days: number; worked_hours: number; overtime_hours: number; break_hours: number; worked_minutes: number; overtime_minutes: number }; people: { name: string; team_name: string | null; days: number; worked_hours: number; overtime_hours: number; break_hours: number; weekly_overtime_hours: number }[] }>('hours_worked', { ...range, team_id: t?.team_id ?? null }));
      const people = parts.flatMap((p) => p.people);
      const table = { columns: cols(['name', 'Name'], ['team_name', 'Team'], ['days', 'Days worked'], ['worked_hours', 'Hours worked'], ['overtime_hours', 'Overtime (h)'], ['break_hours', 'Breaks (h)']), rows: people };
      if (ask.rank) {
        const sorted = [...people].sort((a, b) => (ask.order === 'least' ? a[metricKey] - b[metricKey] : b[metricKey] - a[metricKey]) || a.name.localeCompare(b.name));
        const top = sorted.slice(0, ask.topN);
        const text = sorted.length
          ? `${ask.order === 'least' ? 'Fewest' : 'Most'} hours ${metricWord}${teamPhrase} ${period.label}: ${top.map((p) => `${p.name} ${hours(p[metricKey])} h`).join(', ')}.`
          : `Nobody${teamPhrase} has hours recorded ${period.label}.`;
        return { text, table: { ...table, rows: sorted }, data: parts.length === 1 ? parts[0] : parts, scope, names: top.map((p) => p.name) };
      }
      const minutes = parts.reduce((n, p) => n + (ask.metric === 'overtime' ? p.totals.overtime_minutes : p.totals.worked_minutes), 0);
      if (ask.average && ask.metric !== 'breaks') {
        const days = parts.reduce((n, p) => n + p.totals.days, 0);
        const perDay = days ? Math.round(minutes / days / 6) / 10 : null;
        const who = teamPhrase ? `people${teamPhrase}` : 'everyone';
        const text = perDay === null
          ? `Nobody${teamPhrase} has hours recorded ${period.label}.`
          : `On average ${who} ${ask.metric === 'overtime' ? 'worked' : 'spent'} ${hours(perDay)} hours ${ask.metric === 'overtime' ? 'of overtime' : 'at work'} per day worked ${period.label} (${hours(Math.round(minutes / 6) / 10)} hours over ${plural(days, 'day', 'days')} worked by ${plural(parts.reduce((n, p) => n + p.totals.people, 0), 'person', 'people')}).`;
        const data = { parts: parts.length === 1 ? parts[0] : parts, hours_per_day: perDay, total_hours: Math.round(minutes / 6) / 10, days };
        return { text, table, data, scope, figure: perDay };
      }
      const total = ask.metric === 'breaks' ? parts.reduce((n, p) => n + p.totals.break_hours, 0) : Math.round(minutes / 6) / 10;
      const count = parts.reduce((n, p) => n + p.totals.people, 0);
      const who = teamPhrase ? `People${teamPhrase}` : 'Everyone';
      const text = `${who} ${ask.metric === 'overtime' ? 'worked' : 'spent'} ${hours(total)} hours ${ask.metric === 'overtime' ? 'of overtime' : ask.metric === 'breaks' ? 'on breaks' : 'at work'} in total ${period.label} (${plural(count, 'person', 'people')} with records).`;
      return { text, table, data: parts.length === 1 ? parts[0] : parts, scope, figure: total };
    }
    case 'times': {
      type Stat = { average: string; earliest: string; latest: string; days: number } | null;
      const r = await call<{ check_in: Stat; check_out: Stat; people: { name: string; team_name: string | null; check_in: Stat; check_out: Stat }[] }>('check_times', { ...range, team_id: plan.person ? null : (team?.team_id ?? null), employee_id: plan.person?.employee_id ?? null });
      const key = ask.timeOf;
      const word = key === 'check_in' ? 'check-in' : 'check-out';
      const table = {
        columns: cols(['name', 'Name'], ['team_name', 'Team'], ['average', `Average ${word}`], ['earliest', 'Earliest'], ['latest', 'Latest'], ['days', 'Days']),
        rows: r.people.filter((p) => p[key]).map((p) => ({ name: p.name, team_name: p.team_name, ...p[key]! })),
      };
      const who = plan.person ? plan.person.name : team ? team.team_name : 'the organisation';
      if (ask.rank && !plan.person) {
        const early = ask.order === 'least';
        const sorted = [...table.rows].sort((a, b) => (early ? String(a.average).localeCompare(String(b.average)) : String(b.average).localeCompare(String(a.average))));
        const top = sorted.slice(0, ask.topN);
        const oneDay = period.from === period.to;
        const text = top.length
          ? `${early ? 'Earliest' : 'Latest'} ${oneDay ? `${word}s` : `average ${word} times`}${teamPhrase} ${period.label}: ${top.map((p) => `${p.name} ${p.average}`).join(', ')}.`
          : `No ${word} times are recorded${teamPhrase} ${period.label}.`;
        return { text, table: { ...table, rows: sorted }, data: r, scope, names: top.map((p) => String(p.name)) };
      }
      const s = r[key];
      const text = s
        ? `The average ${word} time for ${who} ${period.label} was ${s.average} (earliest ${s.earliest}, latest ${s.latest}, over ${plural(s.days, `day with a ${word}`, `days with a ${word}`)}).`
        : `There are no ${word} times for ${who} ${period.label}.`;
      return { text, table, data: r, scope };
    }
    case 'intervals': {
      const person = plan.person!;
      const h = await call<{ records: { date: string; status: string; intervals: string[]; worked_minutes: number; break_minutes: number }[] }>('employee_history', { employee_id: person.employee_id, ...range });
      const rows = h.records.map((r) => ({ date: r.date, status: r.status, stays: r.intervals.join(', '), worked_hours: Math.round(r.worked_minutes / 6) / 10, break_hours: Math.round(r.break_minutes / 6) / 10 }));
      const text = rows.length
        ? `${person.name}'s stays ${period.label}:${names(rows.map((r) => `${r.date}: ${r.stays || 'no stays'} (${hours(r.worked_hours)} h worked, ${hours(r.break_hours)} h break)`))}${rows.length > 8 ? '' : '.'}`
        : `${person.name} has no records ${period.label}.`;
      return { text, table: { columns: cols(['date', 'Day'], ['status', 'Status'], ['stays', 'Stays'], ['worked_hours', 'Worked (h)'], ['break_hours', 'Break (h)']), rows }, data: h, scope };
    }
    case 'perfect': {
      const r = await call<{ people_in_scope: number; perfect_count: number; people: { name: string; team_name: string | null }[] }>('perfect_attendance', { ...range, team_id: team?.team_id ?? null });
      const names = r.people.map((p) => (team ? p.name : `${p.name} (${p.team_name})`));
      const text = r.perfect_count
        ? `${plural(r.perfect_count, 'person', 'people')} of ${r.people_in_scope}${teamPhrase} had perfect attendance ${period.label} (no absence and no late arrival): ${list(names)}.`
        : `Nobody${teamPhrase} had perfect attendance ${period.label} (no absence and no late arrival), of ${r.people_in_scope} people.`;
      return { text, table: { columns: cols(['name', 'Name'], ['team_name', 'Team']), rows: r.people }, data: r, scope, figure: r.perfect_count, names: r.people.map((p) => p.name) };
    }
    case 'weekday': {
      const rows = await call<{ weekday: string; rate: number | null; late: number; absent: number; days: number }[]>('weekday_pattern', { ...range, team_id: team?.team_id ?? null });
      const table = { columns: cols(['weekday', 'Weekday'], ['days', 'Days'], ['rate', 'Rate %'], ['late', 'Late'], ['absent', 'Absent']), rows };
      if (!rows.length) return { text: `There were no working days ${period.label}.`, table, data: rows, scope };
      const key = ask.statuses[0] === 'Late' ? 'late' : ask.statuses[0] === 'Absent' ? 'absent' : null;
      let headline: string;
      if (key) {
        const most = Math.max(...rows.map((r) => r[key]));
        const tops = rows.filter((r) => r[key] === most).map((r) => r.weekday);
        headline = `Most ${key === 'late' ? 'late arrivals' : 'absences'}${teamPhrase} ${period.label}: ${list(tops)} (${most}${tops.length > 1 ? ' each' : ''}).`;
      } else {
        const rated = rows.filter((r) => r.rate !== null);
        const lowest = [...rated].sort((a, b) => a.rate! - b.rate!)[0];
        const highest = [...rated].sort((a, b) => b.rate! - a.rate!)[0];
        headline = `Attendance by weekday${teamPhrase} ${period.label}: highest on ${highest.weekday} (${pct(highest.rate)}), lowest on ${lowest.weekday} (${pct(lowest.rate)}).`;
      }
      return { text: `${headline} ${rows.map((r) => `${r.weekday} ${pct(r.rate)} (${r.late} late, ${r.absent} absent)`).join('; ')}.`, table, data: rows, scope };
    }
    case 'person': {
      const person = plan.person!;
      const lookup = await call<Person[]>('find_employees', { query: person.name });
      const target = lookup.find((p) => p.employee_id === person.employee_id) ?? person;
      const history = await call<{
        days_recorded: number; counts: Record<string, number>; average_arrival: string | null; late_by_weekday: Record<string, number>;
        records: { date: string; status: string; check_in: string | null; check_out: string | null; missing_check_out: boolean }[];
      }>('employee_history', { employee_id: target.employee_id, ...range });
      const who = `${target.name}${target.team_name ? ` (${target.team_name})` : ''}`;
      const table = { columns: cols(['date', 'Day'], ['status', 'Status'], ['check_in', 'In'], ['check_out', 'Out']), rows: history.records.map(({ date, status: s, check_in, check_out }) => ({ date, status: s, check_in, check_out })) };
      const st = ask.statuses[0];
      if (st === 'Absent') {
        const absences = target.team_id === null
          ? null
          : await call<{ people: { employee_id: number; count: number; dates: string[] }[] }>('people_by_status', { status: 'Absent', ...range, team_id: target.team_id, min_count: 1 });
        const mine = absences?.people.find((p) => p.employee_id === target.employee_id);
        const n = mine?.count ?? 0;
        const dates = mine?.dates ?? [];
        return { text: `${who} was absent ${plural(n, 'time', 'times')} ${period.label}${dates.length ? `: ${list(dates)}` : ''}.`, table, data: { ...history, absences: { count: n, dates } }, scope, figure: n };
      }
      if (st) {
        const n = st === 'missing_check_out' ? (history.counts.missing_check_out ?? 0) : (history.counts[st] ?? 0);
        const dates = history.records.filter((r) => (st === 'missing_check_out' ? r.missing_check_out : r.status === st)).map((r) => r.date);
        return { text: `${who} was ${STATUS_PHRASE[st]} ${plural(n, 'time', 'times')} ${period.label}${dates.length ? `: ${list(dates)}` : ''}.`, table, data: history, scope, figure: n };
      }
      const counts = Object.entries(history.counts).filter(([k]) => k !== 'missing_check_out').sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`);
      const lateDays = Object.entries(history.late_by_weekday).sort((a, b) => b[1] - a[1]);
      const topLateDays = lateDays.filter(([, n]) => n === lateDays[0][1]);
      const text = history.days_recorded
        ? `${who} ${period.label}: ${plural(history.days_recorded, 'day', 'days')} recorded — ${counts.join(', ')}` +
          `${history.average_arrival ? `; average arrival ${history.average_arrival}` : ''}` +
          `${lateDays.length ? `; late most often on ${list(topLateDays.map(([d]) => d))} (${lateDays[0][1]}${topLateDays.length > 1 ? ' each' : ''})` : ''}` +
          `${history.counts.missing_check_out ? `; ${plural(history.counts.missing_check_out, 'missing check-out', 'missing check-outs')}` : ''}.`
        : `${who} has no attendance records ${period.label}.`;
      return { text, table, data: history, scope };
    }
  }
}

