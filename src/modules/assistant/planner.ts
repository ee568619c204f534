/**
 * The offline planner: understands the common shapes of attendance questions without a language model, calls the
 * same tools as the agent, and writes the answer from templates. Every number in an answer comes from a tool result.
 */
import { sqlOf } from '../../infra/db.ts';
import { addDays } from '../../infra/time.ts';
import { employees } from '../employees/index.ts';
import examples from './examples.json' with { type: 'json' };
import { numberFrom, resolvePeriod, type Period } from './dates.ts';
import { runTool, similarity, type StatusKey, type ToolContext } from './tools.ts';

export type ToolUse = { name: string; args: Record<string, unknown> };
export type PlannerEvents = { onStep?: (step: ToolUse) => void };
export type Answer = { response: string; tools_used: ToolUse[]; data: unknown; understood: boolean };

/** Questions the planner answers, shown to people whose question it did not understand (the load suite asks them too). */
export const EXAMPLES: string[] = examples;

type Team = { team_id: number; team_name: string; members: number };
type Person = { employee_id: number; name: string; team_id: number | null; team_name: string | null };

const STATUS_WORDS: [RegExp, StatusKey][] = [
  [/\b(forgot|forgotten|forget|missing|missed|no|without)\b.*\bcheck[- ]?outs?\b|\bcheck[- ]?outs?\b.*\b(missing|forgot|forgotten)\b|\bdid(n't| not) check (out|off)\b|\bnever checked out\b/, 'missing_check_out'],
  [/\blate(ness|comers?)?\b|\btardy\b|\barrived after\b/, 'Late'],
  [/\babsen(t|ces?|teeism)\b|\bmissing\b|\bno[- ]shows?\b|\bdid(n't| not) (come|show)\b/, 'Absent'],
  [/\bremote(ly)?\b|\bfrom home\b|\bwfh\b|\bhome office\b/, 'Remote'],
  [/\bon leave\b|\bleave\b|\bvacation\b|\bholidays?\b|\btime off\b/, 'On Leave'],
  [/\bhalf[- ]days?\b/, 'Half Day'],
];

const STATUS_PHRASE: Record<StatusKey, string> = {
  Late: 'late',
  Absent: 'absent',
  Remote: 'remote',
  'On Leave': 'on leave',
  'Half Day': 'on a half day',
  Present: 'present',
  missing_check_out: 'missing a check-out',
};
const STATUS_NOUN: Record<StatusKey, [string, string]> = {
  Late: ['late arrival', 'late arrivals'],
  Absent: ['absence', 'absences'],
  Remote: ['remote day', 'remote days'],
  'On Leave': ['day of leave', 'days of leave'],
  'Half Day': ['half day', 'half days'],
  Present: ['day present', 'days present'],
  missing_check_out: ['missing check-out', 'missing check-outs'],
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const pct = (rate: number | null | undefined) => (rate === null || rate === undefined ? 'n/a' : `${Number.isInteger(rate) ? rate : rate.toFixed(1)}%`);
const list = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

function detectStatus(q: string): StatusKey | null {
  for (const [re, status] of STATUS_WORDS) if (re.test(q)) return status;
  return null;
}

/** "three times", "at least 3 times", "more than 2 times", "3+ times" → the minimum count. */
function detectMinCount(question: string): number | null {
  // "the last 7 days" is a period, not a threshold.
  const q = question.replace(/\b(last|past|previous)\s+(\d+|[a-z]+)\s+(days?|weeks?|months?)\b/g, ' ');
  let m = q.match(/\b(more than|over|above)\s+(\d+|[a-z]+)\s*(times|days|occasions)?\b/);
  if (m && numberFrom(m[2]) !== null) return numberFrom(m[2])! + 1;
  m = q.match(/\b(at least|min(?:imum)?(?: of)?|no fewer than)\s+(\d+|[a-z]+)\b/);
  if (m && numberFrom(m[2]) !== null) return numberFrom(m[2])!;
  m = q.match(/\b(\d+|[a-z]+)\+?\s+(or more\s+)?(times|days|occasions)\b/);
  if (m && numberFrom(m[1]) !== null) return numberFrom(m[1])!;
  m = q.match(/\b(once|twice|thrice)\b/);
  if (m) return numberFrom(m[1]);
  return null;
}

function detectTopN(q: string): number | null {
  const m = q.match(/\btop\s+(\d+|[a-z]+)\b/);
  return m ? numberFrom(m[1]) : null;
}

function mentionedTeams(q: string, teams: Team[]): Team[] {
  const words = q.split(/[^a-z0-9]+/).filter(Boolean);
  const found: Team[] = [];
  for (const team of teams) {
    const name = team.team_name.toLowerCase();
    const exact = new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(q);
    const fuzzy = name.length >= 5 && !name.includes(' ') && words.some((w) => w.length >= 5 && similarity(w, name) >= 0.8);
    if (exact || fuzzy) found.push(team);
  }
  return found.sort((a, b) => q.indexOf(a.team_name.toLowerCase()) - q.indexOf(b.team_name.toLowerCase()));
}

function mentionedPeople(q: string, people: Person[]): Person[] {
  const found = people.filter((p) => q.includes(p.name.toLowerCase()));
  if (found.length) return found;
  // A unique last name, or a first name with a near-miss last name ("Ada Lovelac").
  const words = q.split(/[^a-z'-]+/).filter((w) => w.length >= 3);
  const scored = people
    .map((p) => {
      const [first, ...rest] = p.name.toLowerCase().split(/\s+/);
      const last = rest.join(' ');
      let score = 0;
      for (let i = 0; i < words.length; i++) {
        if (words[i] === first && i + 1 < words.length && similarity(words[i + 1], last) >= 0.75) score = Math.max(score, 0.95);
        if (last.length >= 5 && words[i] === last) score = Math.max(score, 0.8);
      }
      return { p, score };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  if (!scored.length) return [];
  const best = scored.filter((s) => s.score === scored[0].score);
  return best.length === 1 ? [best[0].p] : [];
}

type Plan = {
  intent: 'live' | 'rate' | 'compare' | 'issues' | 'who' | 'count' | 'top' | 'person' | 'weekday';
  status: StatusKey | null;
  period: Period;
  teams: Team[];
  person: Person | null;
  minCount: number;
  countPeople: boolean;
  topN: number;
  liveWho: 'in' | 'not_in' | null;
};

function defaultPeriod(q: string, today: string): Period {
  if (/\b(is|are|isn't|aren't|hasn't|haven't|has not|have not)\b/.test(q) && !/\bwas\b|\bwere\b/.test(q)) return { from: today, to: today, label: 'today' };
  const from = `${today.slice(0, 8)}01`;
  return { from, to: today, label: `this month (${from} to ${today})` };
}

/** Reads a question into a plan, or null when it is not an attendance question we know how to answer. */
export function understand(question: string, today: string, teams: Team[], people: Person[]): Plan | null {
  const q = question.toLowerCase().replace(/[’]/g, "'").replace(/\s+/g, ' ').trim();
  if (!q) return null;
  const explicit = resolvePeriod(q, today);
  const period = explicit ?? defaultPeriod(q, today);
  const status = detectStatus(q);
  const foundTeams = mentionedTeams(q, teams);
  const foundPeople = mentionedPeople(q, people);
  const person = foundPeople[0] ?? null;
  const base = { status, period, teams: foundTeams, person, minCount: detectMinCount(q) ?? 1, countPeople: true, topN: detectTopN(q) ?? 5, liveWho: null };
  const aboutAttendance =
    status !== null || person !== null || foundTeams.length > 0 ||
    /\b(attendance|present|presence|in the office|office|check(ed)?[- ]?in|arriv|absen|late|team|department|who|rate|turnout|show(ed)? up|came in|weekday|day of the week)\b/.test(q);
  if (!aboutAttendance) return null;

  const live = period.from === today && period.to === today;
  if (live && (/\bwho('s| is| are)\b.*\b(in|here|present|at work|in the office|checked in|arrived)\b/.test(q) || /\b(not in yet|hasn't arrived|haven't arrived|has not arrived|have not arrived|not arrived|yet to arrive|still out|live|board|right now|currently|at the moment)\b/.test(q))) {
    const notIn = /\b(not in|hasn't|haven't|has not|have not|not arrived|yet to arrive|missing)\b/.test(q);
    if (!status || status === 'Absent' || notIn) return { ...base, intent: 'live', liveWho: notIn ? 'not_in' : 'in' };
  }
  if (person) return { ...base, intent: 'person' };
  if (/\b(which|what) (week)?day\b|\bday of the week\b|\bweekdays?\b|\bby weekday\b|\bmondays|tuesdays|wednesdays|thursdays|fridays\b/.test(q)) return { ...base, intent: 'weekday' };
  const whichTeamRanking = /\b(which|what) (team|department|group)\b.*\b(worst|lowest|poorest)\b/.test(q);
  if (!whichTeamRanking && /\b(issues?|problems?|concerns?|struggling|below average|worst|poor|low(est)? attendance|needs? attention)\b/.test(q) && /\b(team|teams|department|departments|group|groups)\b/.test(q)) {
    return { ...base, intent: 'issues' };
  }
  if (/\b(which|what) (team|department|group)\b|\bcompare\b|\bcomparison\b|\brank(ing)?\b|\b(teams|departments)\b.*\b(best|worst|highest|lowest|most|least|by)\b|\b(best|worst|highest|lowest)\b.*\b(teams?|departments?)\b|\beach (team|department)\b|\bper (team|department)\b|\bby (team|department)\b/.test(q)) {
    return { ...base, intent: 'compare' };
  }
  if (status && /\b(most|the most|most often|top|worst offenders?|frequently|the highest number)\b/.test(q) && /\bwho\b|\bwhich (employee|person|people|employees)\b|\btop\b/.test(q)) {
    return { ...base, intent: 'top' };
  }
  if (/\bhow many\b|\bnumber of\b|\bcount\b/.test(q)) {
    const countPeople = !/\b(times|occurrences|arrivals|absences|days|instances)\b/.test(q) || /\b(people|employees|persons|staff|members)\b/.test(q);
    if (status) return { ...base, intent: 'count', countPeople };
    if (/\b(present|came in|showed up|attended|in the office|checked in)\b/.test(q)) return { ...base, intent: foundTeams.length >= 2 ? 'compare' : 'rate' };
  }
  if (status && /\bwho\b|\bwhich (employees|people|staff|members)\b|\blist\b|\bshow\b|\bnames?\b/.test(q)) return { ...base, intent: 'who' };
  // The rate of two or more named teams is a comparison of them.
  if (/\brate\b|\battendance\b|\bturnout\b|\bpresence\b|\bhow (was|is|did)\b/.test(q)) return { ...base, intent: foundTeams.length >= 2 ? 'compare' : 'rate' };
  if (status) return { ...base, intent: 'who' };
  return null;
}

const teamPhrase = (team: Team | null) => (team ? ` in ${team.team_name}` : '');

/** Answers a question with the offline planner. */
export async function answerOffline(question: string, ctx: ToolContext, events: PlannerEvents = {}): Promise<Answer> {
  const tools_used: ToolUse[] = [];
  const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const use = { name, args };
    tools_used.push(use);
    events.onStep?.(use);
    return (await runTool(name, args, ctx)) as T;
  };
  const teams = (await runTool('find_teams', {}, ctx)) as Team[];
  const people: Person[] = await employees.activeWithTeams(sqlOf(ctx.em));
  const plan = understand(question, ctx.today, teams, people);
  if (!plan) {
    return {
      understood: false,
      tools_used,
      data: null,
      response: `I did not understand that question. I answer questions about attendance, for example:\n${EXAMPLES.map((e) => `- ${e}`).join('\n')}`,
    };
  }
  const team = plan.teams[0] ?? null;
  const manyTeams = plan.teams.length >= 2;
  const { period } = plan;
  const range = { from: period.from, to: period.to };

  switch (plan.intent) {
    case 'live': {
      const board = await call<{ date: string; boards: { team_name: string; counts: Record<string, number>; members: { name: string; state: string; status: string | null; check_in_time: string | null }[] }[] }>('live_board', { team_id: manyTeams ? null : (team?.team_id ?? null) });
      // Several named teams: every board, keeping theirs.
      const data = manyTeams ? { ...board, boards: board.boards.filter((b) => plan.teams.some((t) => t.team_name === b.team_name)) } : board;
      const total = (k: string) => data.boards.reduce((s, b) => s + (b.counts[k] ?? 0), 0);
      const where = team ? `in ${list(plan.teams.map((t) => t.team_name))}` : 'across all teams';
      const members = data.boards.flatMap((b) => b.members.map((m) => ({ ...m, team: b.team_name })));
      // In: in the building now; not in yet: expected and not arrived (overdue or not); checked out: gone for a break or the day.
      const lateIn = members.filter((m) => m.state === 'in' && m.status === 'Late').length;
      const summary =
        `${total('in')} in (${lateIn} late), ${total('remote')} remote, ${total('not_in_yet') + total('overdue')} not in yet, ${total('absent')} absent, ` +
        `${total('on_leave')} on leave, ${total('out') + total('done')} checked out`;
      const wanted = plan.liveWho === 'not_in' ? members.filter((m) => m.state === 'not_in_yet' || m.state === 'overdue') : members.filter((m) => m.state === 'in');
      const names = wanted.slice(0, 30).map((m) => (m.check_in_time ? `${m.name} (${m.check_in_time}${m.status === 'Late' ? ', late' : ''})` : m.name));
      const who = plan.liveWho === 'not_in'
        ? wanted.length ? `Not in yet: ${list(names)}${wanted.length > 30 ? ` and ${wanted.length - 30} more` : ''}.` : 'Everyone expected is in.'
        : wanted.length ? `In now: ${list(names)}${wanted.length > 30 ? ` and ${wanted.length - 30} more` : ''}.` : 'Nobody is in yet.';
      const totals = {
        in: total('in'), late: lateIn, remote: total('remote'), not_in_yet: total('not_in_yet') + total('overdue'), absent: total('absent'), on_leave: total('on_leave'),
        checked_out: total('out') + total('done'), off: total('off'),
      };
      return { understood: true, tools_used, data: { ...data, totals }, response: `Today (${data.date}) ${where}: ${summary}. ${who}` };
    }
    case 'rate': {
      const data = await call<{ rate: number | null; present: number; expected: number; working_days: number; late: number; absent: number }>('attendance_rate', { ...range, team_id: team?.team_id ?? null });
      const scope = team ? team.team_name : 'the organisation';
      const response = data.rate === null
        ? `There were no working days with expected employees for ${scope} ${period.label}.`
        : `The attendance rate for ${scope} ${period.label} was ${pct(data.rate)}: ${data.present} of ${data.expected} expected attendances over ${plural(data.working_days, 'working day', 'working days')} (${plural(data.late, 'late arrival', 'late arrivals')}, ${plural(data.absent, 'absence', 'absences')}).`;
      return { understood: true, tools_used, data, response };
    }
    case 'compare':
    case 'issues': {
      const rows = await call<{ team_name: string; rate: number | null; late: number; absent: number; expected: number }[]>('compare_teams', range);
      const chosen = plan.teams.length >= 2 ? rows.filter((r) => plan.teams.some((t) => t.team_name === r.team_name)) : rows;
      const rated = chosen.filter((r) => r.rate !== null);
      if (!rated.length) return { understood: true, tools_used, data: rows, response: `There were no working days with expected employees ${period.label}.` };
      if (plan.intent === 'issues') {
        const org = await call<{ rate: number | null }>('attendance_rate', range);
        const below = rated.filter((r) => org.rate !== null && r.rate! < org.rate).sort((a, b) => a.rate! - b.rate!);
        const response = below.length
          ? `Teams below the organisation's attendance rate of ${pct(org.rate)} ${period.label}: ${below.map((r) => `${r.team_name} ${pct(r.rate)} (${plural(r.late, 'late arrival', 'late arrivals')}, ${plural(r.absent, 'absence', 'absences')})`).join('; ')}.`
          : `No team was below the organisation's attendance rate of ${pct(org.rate)} ${period.label}.`;
        return { understood: true, tools_used, data: { organisation_rate: org.rate, teams: rows, below }, response };
      }
      const countKey = plan.status === 'Late' ? 'late' : plan.status === 'Absent' ? 'absent' : null;
      if (countKey) {
        // "Which team had the most absences?": teams by that count, most first.
        const byCount = [...rated].sort((a, b) => b[countKey] - a[countKey] || a.team_name.localeCompare(b.team_name));
        const noun = countKey === 'late' ? ['Late arrivals', 'late arrival', 'late arrivals'] : ['Absences', 'absence', 'absences'];
        const most = byCount[0][countKey];
        const fewest = byCount[byCount.length - 1][countKey];
        const at = (n: number) => {
          const names = byCount.filter((r) => r[countKey] === n).map((r) => r.team_name);
          return `${list(names)} (${plural(n, noun[1], noun[2])}${names.length > 1 ? ' each' : ''})`;
        };
        const response = `${noun[0]} by team ${period.label}: ${byCount.map((r) => `${r.team_name} ${r[countKey]}`).join(', ')}.` +
          (most > fewest ? ` Most: ${at(most)}; fewest: ${at(fewest)}.` : '');
        return { understood: true, tools_used, data: byCount, response };
      }
      const best = rated[0];
      const worst = rated[rated.length - 1];
      const response = `Attendance by team ${period.label}: ${rated.map((r) => `${r.team_name} ${pct(r.rate)}`).join(', ')}. Highest: ${best.team_name} (${pct(best.rate)}); lowest: ${worst.team_name} (${pct(worst.rate)}).`;
      return { understood: true, tools_used, data: chosen, response };
    }
    case 'who':
    case 'count':
    case 'top': {
      const status = plan.status ?? 'Late';
      type PeopleResult = { people_count: number; occurrences: number; people: { name: string; team_name: string | null; count: number; dates: string[] }[]; truncated: boolean };
      const min_count = plan.intent === 'top' ? 1 : plan.minCount;
      // Several named teams: one call for each, put together.
      const parts: PeopleResult[] = [];
      for (const t of manyTeams ? plan.teams : [team]) parts.push(await call<PeopleResult>('people_by_status', { status, ...range, team_id: t?.team_id ?? null, min_count }));
      const data: PeopleResult = parts.length === 1 ? parts[0] : {
        status, ...range, team_ids: plan.teams.map((t) => t.team_id), min_count,
        people_count: parts.reduce((s, p) => s + p.people_count, 0),
        occurrences: parts.reduce((s, p) => s + p.occurrences, 0),
        people: parts.flatMap((p) => p.people).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
        truncated: parts.some((p) => p.truncated),
      } as PeopleResult;
      const inTeams = manyTeams ? ` in ${list(plan.teams.map((t) => t.team_name))}` : teamPhrase(team);
      const oneTeam = plan.teams.length === 1;
      const phrase = STATUS_PHRASE[status];
      const atLeast = plan.minCount > 1 ? ` at least ${plural(plan.minCount, 'time', 'times')}` : '';
      if (plan.intent === 'count') {
        const response = plan.countPeople
          ? `${plural(data.people_count, 'person', 'people')}${inTeams} ${data.people_count === 1 ? 'was' : 'were'} ${phrase}${atLeast} ${period.label}; ${plural(data.occurrences, STATUS_NOUN[status][0], STATUS_NOUN[status][1])} in all.`
          : `There ${data.occurrences === 1 ? 'was' : 'were'} ${plural(data.occurrences, STATUS_NOUN[status][0], STATUS_NOUN[status][1])}${inTeams} ${period.label}, by ${plural(data.people_count, 'person', 'people')}.`;
        return { understood: true, tools_used, data, response };
      }
      if (!data.people.length) {
        return { understood: true, tools_used, data, response: `Nobody${inTeams} was ${phrase}${atLeast} ${period.label}.` };
      }
      if (plan.intent === 'top') {
        const top = data.people.slice(0, plan.topN);
        return { understood: true, tools_used, data: { ...data, people: top }, response: `Most often ${phrase}${inTeams} ${period.label}: ${top.map((p) => `${p.name} (${p.count})`).join(', ')}.` };
      }
      const single = period.from === period.to;
      const names = data.people.map((p) => (single ? `${p.name}${oneTeam ? '' : p.team_name ? ` (${p.team_name})` : ''}` : `${p.name} (${p.count}${p.team_name && !oneTeam ? `, ${p.team_name}` : ''})`));
      const response = `${plural(data.people_count, 'person', 'people')}${inTeams} ${data.people_count === 1 ? 'was' : 'were'} ${phrase}${atLeast} ${period.label}: ${list(names)}${data.people_count > data.people.length ? ` and ${data.people_count - data.people.length} more` : ''}.`;
      return { understood: true, tools_used, data, response };
    }
    case 'person': {
      const person = plan.person!;
      const lookup = await call<Person[]>('find_employees', { query: person.name });
      const target = lookup.find((p) => p.employee_id === person.employee_id) ?? person;
      const history = await call<{
        days_recorded: number;
        counts: Record<string, number>;
        average_arrival: string | null;
        late_by_weekday: Record<string, number>;
        records: { date: string; status: string; missing_check_out: boolean }[];
      }>('employee_history', { employee_id: target.employee_id, ...range });
      const who = `${target.name}${target.team_name ? ` (${target.team_name})` : ''}`;
      if (plan.status === 'Absent') {
        // An absence is an expected working day with an Absent record or with no record at all, which the person's
        // records alone cannot show: the team's absences (same rule as everywhere else) say which days those were.
        const absences = target.team_id === null
          ? null
          : await call<{ people: { employee_id: number; count: number; dates: string[] }[] }>('people_by_status', { status: 'Absent', ...range, team_id: target.team_id, min_count: 1 });
        const mine = absences?.people.find((p) => p.employee_id === target.employee_id);
        const n = mine?.count ?? 0;
        const dates = mine?.dates ?? [];
        const response = `${who} was absent ${plural(n, 'time', 'times')} ${period.label}${dates.length ? `: ${list(dates)}` : ''}.`;
        return { understood: true, tools_used, data: { ...history, absences: { count: n, dates } }, response };
      }
      if (plan.status) {
        const n = plan.status === 'missing_check_out' ? (history.counts.missing_check_out ?? 0) : (history.counts[plan.status] ?? 0);
        const dates = history.records.filter((r) => (plan.status === 'missing_check_out' ? r.missing_check_out : r.status === plan.status)).map((r) => r.date);
        const response = `${who} was ${STATUS_PHRASE[plan.status]} ${plural(n, 'time', 'times')} ${period.label}${dates.length ? `: ${list(dates)}` : ''}.`;
        return { understood: true, tools_used, data: history, response };
      }
      const parts = Object.entries(history.counts)
        .filter(([k]) => k !== 'missing_check_out')
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${n} ${k}`);
      const lateDays = Object.entries(history.late_by_weekday).sort((a, b) => b[1] - a[1]);
      const topLateDays = lateDays.filter(([, n]) => n === lateDays[0][1]);
      const response = history.days_recorded
        ? `${who} ${period.label}: ${plural(history.days_recorded, 'day', 'days')} recorded — ${parts.join(', ')}` +
          `${history.average_arrival ? `; average arrival ${history.average_arrival}` : ''}` +
          `${lateDays.length ? `; late most often on ${list(topLateDays.map(([d]) => d))} (${lateDays[0][1]}${topLateDays.length > 1 ? ' each' : ''})` : ''}` +
          `${history.counts.missing_check_out ? `; ${plural(history.counts.missing_check_out, 'missing check-out', 'missing check-outs')}` : ''}.`
        : `${who} has no attendance records ${period.label}.`;
      return { understood: true, tools_used, data: history, response };
    }
    case 'weekday': {
      const weekRange = resolvePeriod(question, ctx.today) ? range : { from: addDays(ctx.today, -89), to: ctx.today };
      const label = resolvePeriod(question, ctx.today) ? period.label : `over the last 90 days (${weekRange.from} to ${weekRange.to})`;
      const rows = await call<{ weekday: string; rate: number | null; late: number; absent: number }[]>('weekday_pattern', { ...weekRange, team_id: team?.team_id ?? null });
      if (!rows.length) return { understood: true, tools_used, data: rows, response: `There were no working days ${label}.` };
      const status = plan.status;
      const key = status === 'Late' ? 'late' : status === 'Absent' ? 'absent' : null;
      let headline: string;
      if (key) {
        const most = Math.max(...rows.map((r) => r[key]));
        const tops = rows.filter((r) => r[key] === most).map((r) => r.weekday);
        headline = `Most ${key === 'late' ? 'late arrivals' : 'absences'}${teamPhrase(team)} ${label}: ${list(tops)} (${most}${tops.length > 1 ? ' each' : ''}).`;
      } else {
        const rated = rows.filter((r) => r.rate !== null);
        const lowest = [...rated].sort((a, b) => a.rate! - b.rate!)[0];
        const highest = [...rated].sort((a, b) => b.rate! - a.rate!)[0];
        headline = `Attendance by weekday${teamPhrase(team)} ${label}: highest on ${highest.weekday} (${pct(highest.rate)}), lowest on ${lowest.weekday} (${pct(lowest.rate)}).`;
      }
      const detail = rows.map((r) => `${r.weekday} ${pct(r.rate)} (${r.late} late, ${r.absent} absent)`).join('; ');
      return { understood: true, tools_used, data: rows, response: `${headline} ${detail}.` };
    }
  }
}
