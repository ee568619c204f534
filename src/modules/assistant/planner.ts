/**
 * The offline planner: reads a question without a language model (periods.ts, names.ts, intents.ts), calls the same
 * tools as the agent, and writes the answer from templates (answers.ts). The rules every answer follows live here:
 * it states its scope; a part it cannot resolve (an unknown team or person, a shared first name, a future date, a
 * period it cannot read) is named and gets no figure; every part of a compound question is answered; a request to
 * change data is declined in words. A follow-up ("and last month?", "who were they?") continues the previous turn.
 */
import { sqlOf } from '../../infra/db.ts';
import { addDays } from '../../infra/time.ts';
import { employees } from '../employees/index.ts';
import { dailyStats, weekdayName } from '../summaries/index.ts';
import { runPlan, list, type Part, type Plan, type Scope, type Table, type ToolUse } from './answers.ts';
import examples from './examples.json' with { type: 'json' };
import { detectStatuses, isWriteRequest, readAsk, type Ask } from './intents.ts';
import { findEntities, type Person, type Team } from './names.ts';
import { normalise, readPeriods, type FoundPeriod, type Period } from './periods.ts';
import { runTool, type ToolContext } from './tools.ts';

export type { ToolUse, Table, Scope } from './answers.ts';
export type PlannerEvents = { onStep?: (step: ToolUse) => void };

/** What a follow-up question continues from: the previous turn's reading. */
export type Turn = { ask: Ask; periods: Period[]; teamIds: number[]; personId: number | null; at: number };

export type Answer = {
  response: string;
  tools_used: ToolUse[];
  /** The tool results the answer rests on. */
  data: unknown;
  table: Table | null;
  scope: Scope;
  understood: boolean;
  /** Nothing was answered: every part was declined (or not understood). */
  declined: boolean;
  turn?: Turn;
};

/** Questions the planner answers, shown to people whose question it did not understand (the load suite asks them too). */
export const EXAMPLES: string[] = examples;

export const WRITE_DECLINE =
  'I can only read attendance; I cannot change anything. To change a record use the board (/board) or PUT /attendance/{record_id}; ' +
  'to approve or reject a correction, the corrections inbox on /board or POST /attendance/corrections/{id}/approve (or /reject); ' +
  'people, teams and schedules are changed on /admin.';

const NOT_UNDERSTOOD = `I did not understand that question. I answer questions about attendance, for example:\n${EXAMPLES.map((e) => `- ${e}`).join('\n')}`;

/** Words that say a period we could not read: better to say so than to answer for another period. */
const UNREAD_PERIOD =
  /\b(january|february|march|april|june|july|august|september|october|november|december|quarter|fortnight|semester|weekend|ago|since|until|till|\d{1,2}(?:st|nd|rd|th)|\d{1,2}\/\d{1,2}(?:\/\d{2,4})?|20\d\d|(?:last|past|previous|next|this)\s+(?:summer|winter|spring|autumn|fall|few|couple|several|season)|(?:first|second|third|fourth|fifth|sixth|\d(?:st|nd|rd|th))\s+week)\b/;

const ORG_WORDS = /\b(company|organi[sz]ation|org|everyone|everybody|whole|overall|all teams|across)\b/;
const FOLLOW_START = /^(?:and|but|also|what about|how about|same (?:for|but|in)|now for|ok(?:ay)?|then|plus)\b/;
const WHO_THEY = /^(?:and\s+|ok(?:ay)?,?\s+)?(?:who (?:were|are|was) (?:they|those|these|them|that|it)|which ones|which (?:people|employees) (?:were they|was it)|name them|list them|(?:what are )?their names|names|who|show (?:me )?(?:them|the names|who))\s*\??$/;

type Decline = { declined: true; text: string; scope?: Scope };
type Outcome = Part | Decline | null;
type Known = { teams: Team[]; people: Person[] };

/** Answers a question with the offline planner (optionally continuing the previous turn of a conversation). */
export async function answerOffline(question: string, ctx: ToolContext, events: PlannerEvents = {}, opts: { previous?: Turn | null } = {}): Promise<Answer> {
  const tools_used: ToolUse[] = [];
  const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const use = { name, args };
    tools_used.push(use);
    events.onStep?.(use);
    return (await runTool(name, args, ctx)) as T;
  };
  const noScope: Scope = { period: null, team: null, employee: null, timezone: ctx.config.timezone };
  const q = normalise(question);
  const done = (text: string, understood: boolean, declined: boolean): Answer => ({ response: text, tools_used, data: null, table: null, scope: noScope, understood, declined });
  if (!q) return done(NOT_UNDERSTOOD, false, true);
  if (isWriteRequest(q)) return done(WRITE_DECLINE, true, true);

  const known: Known = { teams: (await runTool('find_teams', {}, ctx)) as Team[], people: await employees.activeWithTeams(sqlOf(ctx.em)) };
  const previous = opts.previous ?? null;
  const outcomes: { outcome: Outcome; plan?: Plan }[] = [];

  if (previous && WHO_THEY.test(q)) {
    const plan = planOfTurn(previous, known, ctx);
    if (plan) {
      if (plan.ask.intent === 'count' || plan.ask.intent === 'rate') plan.ask = { ...plan.ask, intent: 'who', statuses: plan.ask.statuses.length ? plan.ask.statuses : ['Absent'] };
      outcomes.push({ outcome: await runPlan(plan, call, ctx), plan });
    }
  }
  if (!outcomes.length) {
    const followUp = previous && FOLLOW_START.test(q) ? previous : null;
    let inherited: Inherited = { periods: [], teams: [], person: null, ask: followUp?.ask ?? null, loose: Boolean(previous) };
    if (followUp) {
      const plan = planOfTurn(followUp, known, ctx);
      inherited = { ...inherited, periods: followUp.periods.map((p) => ({ ...p, start: 0, end: 0 })), teams: plan?.teams ?? [], person: plan?.person ?? null, follow: true };
    } else if (previous) {
      // A question without its own intent ("and in Sales?", "last month?") continues the previous one.
      const plan = planOfTurn(previous, known, ctx);
      inherited = { ...inherited, periods: previous.periods.map((p) => ({ ...p, start: 0, end: 0 })), teams: plan?.teams ?? [], person: plan?.person ?? null, ask: previous.ask };
    }
    for (const clause of splitClauses(question)) {
      const result = await answerClause(clause, inherited, known, call, ctx);
      outcomes.push(...result.map((r) => ({ outcome: r.outcome, plan: r.plan })));
      const first = result.find((r) => r.plan)?.plan;
      if (first) inherited = { periods: [first.period as FoundPeriod], teams: first.teams, person: first.person, ask: first.ask, loose: false, follow: true };
    }
  }

  const answered = outcomes.filter((o): o is { outcome: Part; plan?: Plan } => o.outcome !== null && !('declined' in o.outcome));
  const declined = outcomes.filter((o) => o.outcome !== null && 'declined' in o.outcome);
  if (!answered.length && !declined.length) return done(NOT_UNDERSTOOD, false, true);
  const texts = [...new Set(outcomes.filter((o) => o.outcome !== null).map((o) => (o.outcome as Part | Decline).text))];
  const scopes = [...new Map(answered.map((o) => [scopeLine(o.outcome.scope), o.outcome.scope])).keys()];
  const response = `${texts.join('\n')}${scopes.length ? `\n\nScope: ${scopes.join('; ')}.` : ''}`;
  const firstPlan = answered.find((o) => o.plan)?.plan;
  const data = answered.length === 1 ? answered[0].outcome.data : answered.map((o) => o.outcome.data);
  return {
    response,
    tools_used,
    data,
    table: answered.find((o) => o.outcome.table?.rows.length)?.outcome.table ?? answered[0]?.outcome.table ?? null,
    scope: answered[0]?.outcome.scope ?? declined.find((o) => (o.outcome as Decline).scope)?.outcome?.scope ?? noScope,
    understood: true,
    declined: !answered.length,
    ...(firstPlan ? { turn: { ask: firstPlan.ask, periods: [stripPeriod(firstPlan.period)], teamIds: firstPlan.teams.map((t) => t.team_id), personId: firstPlan.person?.employee_id ?? null, at: Date.now() } } : {}),
  };
}

const stripPeriod = (p: Period): Period => ({ from: p.from, to: p.to, label: p.label });

/** "Scope: Support · last week (…) · times in UTC". */
function scopeLine(s: Scope): string {
  const who = s.employee ? `${s.employee.name}${s.team ? ` (${s.team.team_name})` : ''}` : s.team ? `team ${s.team.team_name}` : s.teams ? `teams ${list(s.teams.map((t) => t.team_name))}` : 'the whole organisation';
  return `${who} · ${s.period ? s.period.label : 'as of now'} · time zone ${s.timezone}`;
}

function planOfTurn(turn: Turn, known: Known, ctx: ToolContext): Plan | null {
  const teams = known.teams.filter((t) => turn.teamIds.includes(t.team_id));
  const person = turn.personId === null ? null : (known.people.find((p) => p.employee_id === turn.personId) ?? null);
  const period = turn.periods[0] ?? { from: ctx.today, to: ctx.today, label: `today (${ctx.today})` };
  return { ask: turn.ask, period, periodSaid: true, teams, person };
}

/** Splits a compound question into its parts: "How many were late, and who was absent?" → two parts. */
export function splitClauses(question: string): string[] {
  const parts = question
    .split(/\?\s+(?=\S)|;\s*|,?\s+(?:and|also|plus|as well as)\s+(?=(?:how|who|what|which|when|whether|is|are|was|were|did|does|do|list|show|give|tell)\b)|\.\s+(?=[A-Z])/i)
    .map((s) => s.trim())
    .filter((s) => /[a-z0-9]/i.test(s));
  return parts.length ? parts : [question];
}

type Inherited = { periods: FoundPeriod[]; teams: Team[]; person: Person | null; ask: Ask | null; loose: boolean; follow?: boolean };

/** Reads and answers one part of a question; several results when it asks for several statuses or periods. */
async function answerClause(clause: string, inherited: Inherited, known: Known, call: <T>(name: string, args: Record<string, unknown>) => Promise<T>, ctx: ToolContext): Promise<{ outcome: Outcome; plan?: Plan }[]> {
  const q = normalise(clause);
  if (isWriteRequest(q)) return [{ outcome: { declined: true, text: WRITE_DECLINE } }];
  const reading = readPeriods(clause, ctx.today);
  const periodWords = new Set(reading.periods.flatMap((p) => q.slice(p.start, p.end).split(/[^a-z0-9']+/)));
  const found = findEntities(clause, known.teams, known.people, periodWords);
  const hasOwn = reading.periods.length > 0 || found.teams.length > 0 || found.people.length > 0;
  let ask = readAsk(q, { period: reading.periods.length > 0, team: found.teams.length > 0, person: found.people.length > 0, teams: found.teams.length, periods: reading.periods.length });
  const continuing = inherited.ask && (inherited.follow || (!ask && inherited.loose && (hasOwn || found.unknown.length > 0 || found.ambiguous.length > 0)));
  if (!ask && !continuing && !found.unknown.length && !found.ambiguous.length) return [{ outcome: null }];

  if (found.unknown.length) {
    const text = found.unknown
      .map((u) => (u.kind === 'team' ? `I don't know a team called "${u.said}" (the teams are ${list(known.teams.map((t) => t.team_name))}).` : `I don't know anyone called "${u.said}".`))
      .join(' ');
    return [{ outcome: { declined: true, text: `${text} So I give no figure for it.` } }];
  }
  if (found.ambiguous.length) {
    const a = found.ambiguous[0];
    return [{ outcome: { declined: true, text: `"${a.said}" could be ${list(a.candidates.map((c) => `${c.name}${c.team_name ? ` (${c.team_name})` : ''}`)).replace(/ and ([^,]*)$/, ' or $1')}. Which one do you mean?` } }];
  }
  if (!ask && continuing) {
    const statuses = detectStatuses(q);
    ask = { ...inherited.ask!, ...(statuses.length ? { statuses } : {}) };
    // "and Ada?" after a team question: the person's own figures.
    if (found.people.length && !['person', 'hours', 'times', 'intervals'].includes(ask.intent)) ask = { ...ask, intent: 'person' };
    if (found.teams.length && ask.intent === 'person') ask = { ...ask, intent: statuses.length ? 'count' : 'rate' };
  }
  if (!ask) return [{ outcome: null }];
  const future = reading.periods.find((p) => p.future);
  if (future) {
    return [{ outcome: { declined: true, text: `That date is in the future (${future.from === future.to ? future.from : `${future.from} to ${future.to}`}; today is ${ctx.today}): there is no attendance for it yet, so I give no figure.` } }];
  }
  const unread = reading.rest.replace(/\bmay\b/g, ' ').match(UNREAD_PERIOD);
  if (unread && !['live', 'on_site', 'headcount', 'corrections'].includes(ask.intent)) {
    const at = unread.index ?? 0;
    const phrase = reading.rest.slice(Math.max(0, at - 20), at + 30).replace(/\s+/g, ' ').trim();
    return [{ outcome: { declined: true, text: `I could not work out the period in "…${phrase}…". Ask with dates (2026-03-02 to 2026-03-06), a month, a quarter, a week ("the week of March 9") or "last week".` } }];
  }

  const orgWide = ORG_WORDS.test(q);
  const teams = found.teams.length ? found.teams : found.people.length || orgWide || !continuing ? [] : inherited.teams;
  const people = found.people.length ? found.people : found.teams.length || orgWide || !continuing ? [] : inherited.person ? [inherited.person] : [];
  if (!people.length && ['person', 'intervals'].includes(ask.intent)) ask = { ...ask, intent: ask.statuses.length ? 'who' : 'rate' };
  let periods: FoundPeriod[] = reading.periods.length ? reading.periods : continuing || inherited.follow ? inherited.periods : [];
  const periodSaid = periods.length > 0;
  if (!periods.length) periods = [defaultPeriod(q, ask, ctx.today)];
  periods = await Promise.all(periods.map((p) => finishPeriod(p, teams[0]?.team_id ?? null, ctx)));
  const statuses = ['count', 'who', 'top'].includes(ask.intent) && ask.statuses.length > 1 ? ask.statuses.map((s) => [s]) : [ask.statuses];

  const out: { outcome: Outcome; plan?: Plan }[] = [];
  for (const person of people.length ? people : [null]) {
    for (const st of statuses) {
      const parts: { part: Part; plan: Plan }[] = [];
      for (const period of periods) {
        const plan: Plan = { ask: { ...ask, statuses: st }, period, periodSaid, teams, person };
        parts.push({ part: await runPlan(plan, call, ctx), plan });
      }
      out.push(...parts.map(({ part, plan }) => ({ outcome: part, plan })));
      if (parts.length >= 2) out.push({ outcome: comparison(parts, ctx) });
    }
  }
  return out;
}

/** The period a question means when it names none: now for live questions, else this month so far. */
function defaultPeriod(q: string, ask: Ask, today: string): FoundPeriod {
  const at = { start: 0, end: 0 };
  if (['live', 'absent_today', 'on_site', 'headcount', 'corrections'].includes(ask.intent)) return { from: today, to: today, label: `today (${today})`, ...at };
  if (ask.intent === 'trend') {
    const monday = addDays(today, 1 - (((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7) + 1));
    const from = addDays(monday, -28);
    return { from, to: addDays(monday, -1), label: `over the last 4 weeks (${from} to ${addDays(monday, -1)})`, ...at };
  }
  if (ask.intent === 'weekday') {
    const from = addDays(today, -89);
    return { from, to: today, label: `over the last 90 days (${from} to ${today})`, ...at };
  }
  if (/\b(is|are|isn't|aren't|hasn't|haven't|has not|have not)\b/.test(q) && !/\bwas\b|\bwere\b|\bhave been\b|\bhas been\b/.test(q) && ['who', 'count', 'top'].includes(ask.intent)) return { from: today, to: today, label: `today (${today})`, ...at };
  const from = `${today.slice(0, 8)}01`;
  return { from, to: today, label: `this month so far (${from} to ${today})`, ...at };
}

/** "Yesterday" is the last working day before today; "the last N working days" follow the schedules. */
async function finishPeriod(p: FoundPeriod, teamId: number | null, ctx: ToolContext): Promise<FoundPeriod> {
  if (!p.needs) return p;
  const n = 'workingDays' in p.needs ? p.needs.workingDays : 1;
  const back = addDays(ctx.today, -(n * 3 + 14));
  const days = (await dailyStats(sqlOf(ctx.em), ctx.config.timezone, back, addDays(ctx.today, -1), teamId, ctx.today)).filter((d) => d.expected > 0);
  const chosen = days.slice(-n);
  if (!chosen.length) return p;
  const from = chosen[0].date;
  const to = chosen[chosen.length - 1].date;
  if ('workingDays' in p.needs) return { ...p, from, to, label: `in the last ${n} working ${n === 1 ? 'day' : 'days'} (${from === to ? from : `${from} to ${to}`})` };
  const label = to === addDays(ctx.today, -1) ? `yesterday (${to})` : `yesterday, the last working day (${weekdayName(to)} ${to})`;
  return { ...p, from: to, to, label };
}

/** The line that sets two periods' figures side by side. */
function comparison(parts: { part: Part; plan: Plan }[], _ctx: ToolContext): Part | null {
  const withFigures = parts.filter((p) => typeof p.part.figure === 'number');
  if (withFigures.length < 2) return null;
  const [a, b] = withFigures;
  const isRate = a.plan.ask.intent === 'rate';
  const show = (x: number) => (isRate ? `${Number.isInteger(x) ? x : x.toFixed(1)}%` : String(x));
  const diff = Math.round((b.part.figure! - a.part.figure!) * 10) / 10;
  const text = diff === 0
    ? `Compared: the same (${show(a.part.figure!)}) ${a.plan.period.label} and ${b.plan.period.label}.`
    : `Compared: ${show(a.part.figure!)} ${a.plan.period.label} against ${show(b.part.figure!)} ${b.plan.period.label}.`;
  return {
    text,
    table: { columns: [{ key: 'period', label: 'Period' }, { key: 'from', label: 'From' }, { key: 'to', label: 'To' }, { key: 'value', label: isRate ? 'Rate %' : 'Figure' }], rows: withFigures.map((p) => ({ period: p.plan.period.label, from: p.plan.period.from, to: p.plan.period.to, value: p.part.figure })) },
    data: null,
    scope: a.part.scope,
  };
}

