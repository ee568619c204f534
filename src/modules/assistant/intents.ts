/**
 * What one question (or one part of a compound question) asks: the intent, the statuses, the thresholds. Periods
 * come from periods.ts and names from names.ts; this file only reads the words that say what is wanted.
 */
import { numberFrom } from './periods.ts';
import type { StatusKey } from './tools.ts';

export type Intent =
  | 'live' | 'absent_today' | 'rate' | 'compare_teams' | 'issues' | 'who' | 'count' | 'top' | 'person' | 'weekday'
  | 'hours' | 'times' | 'intervals' | 'headcount' | 'trend' | 'on_site' | 'corrections' | 'perfect';

export type Ask = {
  intent: Intent;
  statuses: StatusKey[];
  minCount: number;
  countPeople: boolean;
  topN: number;
  liveWho: 'in' | 'not_in' | null;
  metric: 'worked' | 'overtime' | 'breaks';
  timeOf: 'check_in' | 'check_out';
  order: 'most' | 'least';
  /** A ranking of people is wanted ("who worked the longest hours", "top 3"). */
  rank: boolean;
  /** An average per day is wanted ("average hours per day"), not a total. */
  average: boolean;
  /** The share of arrivals that were on time is wanted, not the attendance rate. */
  onTime: boolean;
  /** The absence rate (absences ÷ expected) is wanted, not the attendance rate. */
  absenceRate: boolean;
  /** A threshold on hours ("more than 45 hours"): the people above or below it. */
  hoursLimit: { op: 'more' | 'less'; hours: number; said: string } | null;
};

const STATUS_WORDS: [RegExp, StatusKey][] = [
  [/\b(forgot|forgotten|forget|forgetting|missing|missed|no|without|never)\b.{0,30}\b(check|clock|sign)(ed)?[- ]?(outs?|off)\b|\b(check|clock)[- ]?outs?\b.{0,20}\b(missing|forgot|forgotten|missed)\b|\bdid(n't| not) (check|clock|sign) (out|off)\b|\bunclosed\b|\bopen (stays|records|shifts)\b/, 'missing_check_out'],
  [/\blate(ness|comers?|r)?\b|\btard(y|iness)\b|\barrived after\b|\bcame in late\b/, 'Late'],
  [/\babsen(t|ces?|teeism|tees?)\b|\bno[- ]shows?\b|\bdid(n't| not) (come|show)\b|\bmissed work\b/, 'Absent'],
  [/\bremote(ly)?\b|\bfrom home\b|\bwfh\b|\bhome office\b|\bhome-office\b/, 'Remote'],
  [/\bon leave\b|\bleave days?\b|\bdays? of leave\b|\bvacation\b|\btime off\b|\bpto\b/, 'On Leave'],
  [/\bhalf[- ]days?\b/, 'Half Day'],
];

/** Every status a text names, in the order of the list (several: a compound question). */
export function detectStatuses(q: string): StatusKey[] {
  const out: StatusKey[] = [];
  for (const [re, status] of STATUS_WORDS) if (re.test(q)) out.push(status);
  // "missing a check-out" is not an absence; "late check-out" is not lateness.
  if (out.includes('missing_check_out')) return out.filter((s) => s !== 'Absent' || /\babsen/.test(q));
  return out;
}

/** "three times", "at least 3 times", "more than 2 times", "3+ times" → the minimum count. */
export function detectMinCount(question: string): number | null {
  const q = question.replace(/\b(last|past|previous|next)\s+(\d+|[a-z]+)\s+(working\s+|business\s+)?(days?|weeks?|months?)\b/g, ' ');
  let m = q.match(/\b(more than|over|above)\s+(\d+|[a-z]+)\s*(times|days|occasions)\b/) ?? q.match(/\b(more than|over|above)\s+(once|twice|thrice)\b/);
  if (m && numberFrom(m[2]) !== null) return numberFrom(m[2])! + 1;
  m = q.match(/\b(at least|min(?:imum)?(?: of)?|no fewer than)\s+(\d+|[a-z]+)\b/);
  if (m && numberFrom(m[2]) !== null) return numberFrom(m[2])!;
  m = q.match(/\b(\d+|[a-z]+)\+?\s+(or more\s+)?(times|occasions)\b/);
  if (m && numberFrom(m[1]) !== null && m[1] !== 'a') return numberFrom(m[1])!;
  m = q.match(/\b(\d+)\+?\s+(or more\s+)?days\b/);
  if (m && /\b(at least|or more|\+)/.test(q)) return Number(m[1]);
  m = q.match(/\b(twice|thrice)\b/);
  if (m) return numberFrom(m[1]);
  return null;
}

const TOP = /\btop\s+(\d+|[a-z]+)\b/;

/** "more than 45 hours", "under 30 hours", "at least 40 hours" → the threshold. */
function hoursLimitOf(q: string): Ask['hoursLimit'] {
  const m = q.match(/\b(more than|over|above|at least|in excess of|less than|fewer than|under|below|at most)\s+(\d+(?:\.\d+)?)\s*(?:hours?|hrs?|h)\b/);
  if (!m) return null;
  const hours = Number(m[2]);
  const said = `${m[1]} ${m[2]} hours`;
  if (m[1] === 'at least') return { op: 'more', hours: hours - 0.001, said };
  if (m[1] === 'at most') return { op: 'less', hours: hours + 0.001, said };
  return { op: /more|over|above|excess/.test(m[1]) ? 'more' : 'less', hours, said };
}

const POLITE = String.raw`^(?:(?:please|pls|kindly|hey|ok|okay|now|assistant|quick(?:ly)?)[,!\s]+)*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|i\s+(?:want|need|would like)\s+(?:you\s+)?to\s+|(?:i|we)\s+(?:want|need)\s+|let's\s+|go\s+ahead\s+and\s+|you\s+(?:must|should)\s+)?`;
const WRITE_VERBS = String.raw`(?:delete|erase|wipe|drop|remove|purge|update|modify|edit|change|set|mark|approve|reject|deny|decline|cancel|add|create|insert|register|record|fix|correct|adjust|move|assign|reassign|rename|deactivate|activate|reset|clock|punch|undo|revert|overwrite|replace|log|grant|excuse|close|reopen|transfer|promote|fire|hire|check\s+\S+\s+(?:in|out))`;
const WRITE_START = new RegExp(`${POLITE}${WRITE_VERBS}\\b`);
const WRITE_ANYWHERE =
  /\b(?:mark|set|change|update|make)\s+(?:\S+\s+){1,4}(?:as|to)\s+(?:present|late|absent|remote|on leave|half[- ]day|excused|on time)\b|\b(?:delete|erase|wipe|remove|purge|truncate|drop)\b.*\b(?:records?|attendance|employees?|teams?|data|everything|table|all|punch(?:es)?|history|logs?)\b|\b(?:approve|reject)\b.*\b(?:corrections?|requests?)\b|\b(?:change|update|edit|modify|fix|correct)\b.*\b(?:check[- ]?in|check[- ]?out|status|record|time|hours)s?\b.*\b(?:to|into)\b|\bhow (?:do|can) i (?:delete|change|edit|update|fix|correct|approve|reject|add|mark|remove)\b/;

/** A request to change data (declined in words, with where to do it). */
export function isWriteRequest(q: string): boolean {
  return WRITE_START.test(q) || WRITE_ANYWHERE.test(q);
}

/** Reads the words of a question (lower case) into what it asks; null when it asks nothing we know. */
export function readAsk(q: string, has: { period: boolean; team: boolean; person: boolean; teams: number; periods?: number }): Ask | null {
  const statuses = detectStatuses(q);
  const status = statuses[0] ?? null;
  const base: Ask = {
    intent: 'rate', statuses, minCount: detectMinCount(q) ?? 1, countPeople: true, topN: numberFrom(q.match(TOP)?.[1] ?? '') ?? 5, liveWho: null,
    metric: /\bover ?time\b/.test(q) ? 'overtime' : /\bbreaks?\b/.test(q) && !/\bbreak ?down\b/.test(q) ? 'breaks' : 'worked',
    timeOf: /\b(check(ed)?[- ]?outs?|clock(ed)?[- ]?outs?|leave|left|go home|went home|finish(ed)?|depart\w*)\b/.test(q) && !/\b(check(ed)?[- ]?ins?|arriv\w*)\b/.test(q) ? 'check_out' : 'check_in',
    order: /\b(least|fewest|lowest|shortest|minimum|earliest)\b|\bfirst to (arrive|check in|clock in|come in)\b|\b(arrived|came in|checked in|clocked in) first\b/.test(q) ? 'least' : 'most',
    average: /\b(average|avg|mean|per day|a day|each day|daily|typical(ly)?)\b/.test(q),
    onTime: /\bon[- ]time\b|\bpunctual(ly|ity)?\b/.test(q) && !/\blate\b/.test(q),
    absenceRate: /\babsen(ce|teeism) (rate|percentage|ratio|share)\b|\b(rate|percentage|share|ratio) of absen(ce|ces|teeism)\b|\b% (of )?(people )?absent\b|\bpercent(age)? absent\b/.test(q),
    hoursLimit: hoursLimitOf(q) ?? (/\bover ?time\b/.test(q) && /\bhow many\b|\bwho\b|\bwhich (employees|people|staff|members)\b|\banyone\b|\banybody\b/.test(q) && !/\b(most|least|top|longest|rank)\b/.test(q) ? { op: 'more', hours: 0, said: '' } : null),
    rank: /\bwho\b|\bwhich (employees?|persons?|people|staff|members?)\b|\btop\s|\bmost\b|\bleast\b|\blongest\b|\bshortest\b|\bfewest\b|\brank/.test(q),
  };
  const now = /\b(right now|now|currently|at the moment|at present|presently)\b/.test(q);
  if (/\b(perfect|flawless|spotless|clean|100%|full) (attendance|record|records)\b|\bnever (been )?(late|absent)\b.*\bnever (been )?(late|absent)\b|\b(no|zero|without (any)?) (absences?|late arrivals?|lateness) (and|or|nor) (no |zero )?(absences?|late arrivals?|lateness)\b/.test(q) && !has.person) {
    return { ...base, intent: 'perfect' };
  }
  if (/\b(pending|waiting|open|outstanding|unresolved|awaiting)\b.*\b(corrections?|requests?)\b|\b(corrections?|requests?)\b.*\b(pending|waiting|outstanding|to (approve|review)|awaiting)\b/.test(q)) return { ...base, intent: 'corrections' };
  if (/\b(on[- ]?site|in the building|on the premises|roll ?call|fire (drill|alarm|roll))\b/.test(q) && !has.person) return { ...base, intent: 'on_site' };
  if (/\b(head ?count|how many (people|employees|staff|members|persons|workers) (are there|do we have|work\b|are (in|on))|how many (people|employees|staff|members|workers) (does|do)\b.*\bhave\b|how (big|large) is|size of|number of (employees|people|staff|members)\b(?!.*\b(late|absent|remote|leave|were|was)\b)|team sizes?|how many (employees|people|staff|members)\b(?!.*\b(were|was|did|late|absent|remote|leave|checked|arrived|came|missing|forgot|worked|overtime)\b))/.test(q) && !status) {
    return { ...base, intent: 'headcount' };
  }
  if ((/\b(trend(ing|s)?|week[- ]over[- ]week|week[- ]on[- ]week|week by week|each week|per week|weekly|improv(e|ed|es|ing)|wors(en|ening|ened)|getting (better|worse)|deteriorat\w*|going (up|down)|evolv(e|ed|ing))\b/.test(q) || /\bhow (has|have|did)\b.*\b(chang(e|ed)|develop(ed)?|evolv(e|ed)|mov(e|ed))\b/.test(q)) && !has.person) {
    return { ...base, intent: 'trend' };
  }
  if (/\b(stays?|intervals?|sessions?|in and out|ins and outs|comings? and goings?|punches)\b/.test(q) && has.person) return { ...base, intent: 'intervals' };
  const timeWords = /\b((checked|clocked|came|got) in|arrived|checked out|clocked out|left) (the )?(earliest|latest|first)\b|\b(first|last) to (arrive|check in|clock in|come in|leave|check out|clock out)\b|\b(what time|which time|(average|avg|mean|typical|usual|earliest|latest)\b.{0,30}\b(check[- ]?in|check[- ]?out|clock[- ]?in|clock[- ]?out|arrival|arrive|start|leave|leaving|departure|finish|time)s?|when do(es)?\b.*\b(arrive|come in|check in|start|leave|check out|go home)|arrival times?|check[- ]?in times?|check[- ]?out times?|clock[- ]?in times?|start times?)\b/;
  if (timeWords.test(q) && !/\bhow many\b/.test(q)) return { ...base, intent: 'times' };
  if (/\b(hours?|over ?time|worked the (most|least|longest)|longest (days?|shifts?)|breaks?)\b/.test(q) && !/\bbreak ?down\b/.test(q) && !(status && !/\bhours?\b/.test(q))) return { ...base, intent: 'hours' };
  if (status === 'Absent' && /\b(today|right now|now|currently|so far today)\b/.test(q) && /\b(is|are|anyone|anybody|who|how many)\b/.test(q) && !/\b(was|were)\b/.test(q)) return { ...base, intent: 'absent_today' };
  const notInYet = /\b((?:has|have|had)(?: not|n't) (?:yet )?(?:checked|clocked|signed|badged|punched|come|shown up|turned up) in|(?:has|have)(?: not|n't) (?:yet )?(?:come|shown up|turned up)|not (?:yet )?(?:checked|clocked|signed|badged) in|yet to (?:check|clock|sign|badge) in|still not in|not in yet|hasn't arrived|haven't arrived|has not arrived|have not arrived|not arrived|yet to arrive|still out|overdue|not here yet)\b/.test(q);
  const live = now || notInYet || /\b(in the office today|here today|in today)\b/.test(q);
  if (live && (!status || status === 'Absent' || notInYet || /\b(not in|hasn't|haven't|has not|have not)\b/.test(q))) {
    if (/\bwho('s| is| are)?\b|\bhow many\b|\banyone\b|\banybody\b|\b(not in yet|hasn't|haven't|overdue|board|in the office|here)\b/.test(q) || notInYet) {
      const notIn = notInYet || /\b(not in|hasn't|haven't|has not|have not|not arrived|yet to arrive|missing|overdue|not here)\b/.test(q);
      return { ...base, intent: 'live', liveWho: notIn ? 'not_in' : 'in' };
    }
  }
  if (has.person) return { ...base, intent: 'person' };
  if (/\b(which|what) (week)?day\b|\bday of the week\b|\bweekdays?\b|\bby weekday\b|\bmondays|tuesdays|wednesdays|thursdays|fridays\b/.test(q)) return { ...base, intent: 'weekday' };
  const whichTeamRanking = /\b(which|what) (team|department|group)\b.*\b(worst|lowest|poorest)\b/.test(q);
  if (!whichTeamRanking && /\b(issues?|problems?|concerns?|struggling|below average|needs? attention|under ?perform\w*)\b/.test(q) && /\b(team|teams|department|departments|group|groups)\b/.test(q)) {
    return { ...base, intent: 'issues' };
  }
  if (/\b(which|what) (team|department|group)s?\b|\bcompare\b|\bcomparison\b|\brank(ing|ed)?\b|\b(teams|departments)\b.*\b(best|worst|highest|lowest|most|least|by|vs|versus)\b|\b(best|worst|highest|lowest)\b.*\b(teams?|departments?)\b|\b(each|every|per|by|all) (team|department)s?\b|\bteams?\b.*\b(vs|versus|against|compared)\b/.test(q)) {
    const periodsCompared = (has.periods ?? 0) >= 2 && !/\b(teams?|departments?|groups?)\b/.test(q);
    if (!periodsCompared && (has.teams !== 1 || /\b(each|every|per|by|all|which|what) (team|department)s?\b|\bteams\b/.test(q))) return { ...base, intent: 'compare_teams' };
  }
  if (status && /\b(most|the most|most often|top|worst offenders?|frequently|the highest number|rank)\b/.test(q) && /\bwho\b|\bwhich (employee|person|people|employees|staff)\b|\btop\b|\bwho's\b/.test(q)) {
    return { ...base, intent: 'top' };
  }
  if (/\bhow many\b|\bnumber of\b|\bcount\b|\bhow often\b|\btotal\b/.test(q)) {
    const countPeople = !/\b(times|occurrences|arrivals|absences|days|instances|check-?outs|cases)\b/.test(q) || /\b(people|employees|persons|staff|members|who)\b/.test(q);
    if (status) return { ...base, intent: 'count', countPeople };
    if (/\b(present|came in|showed up|attended|in the office|checked in)\b/.test(q)) return { ...base, intent: 'rate' };
  }
  if (status && /\bwho\b|\bwhich (employees|people|staff|members|persons?)\b|\blist\b|\bshow\b|\bnames?\b|\banyone\b|\banybody\b|\bwho's\b/.test(q)) return { ...base, intent: 'who' };
  if (/\b(rate|attendance|turnout|presence|percentage|percent|punctual(ity)?|on[- ]time)\b|\bhow (was|is|did|were)\b|\bperformance\b/.test(q)) return { ...base, intent: 'rate' };
  if (status) return { ...base, intent: 'who' };
  if (has.team && /\b(how|what|show|tell|summary|summarise|summarize|overview)\b/.test(q)) return { ...base, intent: 'rate' };
  // Two periods side by side with nothing else named ("compare this week with last week"): their attendance.
  if ((has.periods ?? 0) >= 2 && /\b(compare|comparison|vs|versus|against|with|and)\b/.test(q)) return { ...base, intent: 'rate' };
  return null;
}
