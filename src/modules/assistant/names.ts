/**
 * Who and which team a question is about: names in any form (first, last, full, lower case, possessive, small typos),
 * two people sharing a name (the candidates, never a guess), and names that match nobody ("I don't know …").
 * Ordinary words are never names: a word of the question's vocabulary is taken for a name only when it is written
 * with a capital inside the sentence and matches somebody.
 */
import { similarity } from './tools.ts';

export type Team = { team_id: number; team_name: string; members: number };
export type Person = { employee_id: number; name: string; team_id: number | null; team_name: string | null };
export type Unknown = { said: string; kind: 'team' | 'person' };
export type Entities = { teams: Team[]; people: Person[]; ambiguous: { said: string; candidates: Person[] }[]; unknown: Unknown[] };

/** Words of attendance questions (and ordinary English): never taken for an unknown name. */
const VOCABULARY = new Set(
  `a about above absence absences absent absentee absentees absenteeism across actual actually add added admin admins after afternoon again against
  all allowed also always am amount an and annual another answer any anybody anyone anything approve approved april are area around arrival arrivals
  arrive arrived arrives arriving as ask at attend attendance attended august average averages avg away back bad badge based be because been before
  begin beginning behind being below best better between biggest board both break breaks building business but by calendar call can cancel cannot
  change changed check checked checking checkin checkins checkout checkouts clock clocked close closed come comes coming company compare compared
  comparison compute corrected correction corrections could count counts create current currently daily data date dates day days december decline
  delete department departments dept desk did didn't differ difference do does doesn't doing done down during each earliest early edit either
  else employee employees end ended entire entry ever every everybody everyone exact exactly expected explain february few fewest figure figures
  find finish first fix for forget forgot forgotten fortnight friday from full gave get give given go going good got group groups had half
  has hasn't have haven't he headcount her here hers high higher highest him his hold holiday holidays home hour hours how however i if improve
  improved improving in include including increase individual individually info information into is isn't issue issues it its january july june
  just keep kind know largest last late lately latecomer latecomers later latest least leave leaves left length less let list long longer
  longest look low lower lowest made make many march mark marked may maybe me mean median member members might minute minutes miss missed
  missing month monthly months more morning most mostly much must my name named names need needs never new next night no nobody none nor
  not note notes nothing november now number numbers o'clock october of off office often on once one ones only onsite open or order
  other others our out over overall overdue overtime own part past pattern patterns pending people per percent percentage period person
  personnel please point poor poorest possible present presence previous prior punch punched punctual punctuality quarter question rank ranked
  ranking rate rates rather record recorded records regular remote remotely remove report request requests right room same saturday say
  schedule scheduled second see september set shift shifts should show showed shown since site size so some somebody someone something
  sort spent staff start started state status stay stayed stays still stop summary sunday sure table take team teams tell than that the their
  them then there these they thing think third this those thought three through thursday till time times to today together told too top total
  totals tracked trend trends tuesday turn turnout twice two typical typically under until up update us usual usually versus very vs was
  wasn't way we wednesday week weekday weekdays weekend weekly weeks well went were weren't what whats what's when where whether which while
  who whole whom who's whose why will with within without work worked worker workers working works worse worst would year years yes
  yesterday yet you your tardy tardiness clocking leaver leavers sick ill vacation holiday wfh home-office employee's team's person's
  unit division squad crew workforce organisation organization org company's companies figure check-in check-ins check-out check-outs
  hr admin please thanks thank hi hello hey ok okay tomorrow tonight currently sofar fewer greatest smallest largest highest lowest
  biggest trending trendline improvement decline declining deteriorating getting got become became weekly monthly quarterly yearly
  ytd mtd wtd q1 q2 q3 q4 h1 h2 ago so-far far anyone's everybody's nobody's someone's them they're there's here's it's let's
  arrive leave leaving came stayed hours' minutes' compare comparing vs. against between among amongst across inside outside
  give list tell show display return provide fetch print summarise summarize break-down breakdown split each every per by how's
  delete erase wipe drop update modify edit change set mark approve reject deny cancel add create insert register record fix correct
  adjust move assign reassign rename deactivate activate reset punch clock enter log perfect flawless spotless clean full good bad great
  poor excellent regular consistent reliable frequent frequently rare rarely habitual chronic chronically repeat repeated repeatedly
  anybody's stat stats statistic statistics metric metrics kpi kpis numbers overview summary report reports detail details mondays tuesdays wednesdays thursdays fridays
  saturdays sundays weekends mornings afternoons evenings nights`.split(/\s+/),
);

const NAME_CUES = new Set(['for', 'of', 'did', 'does', 'has', 'had', 'was', 'is', 'about', 'by', 'were', 'show', 'when']);
const TEAM_WORDS = new Set(['team', 'teams', 'department', 'departments', 'dept', 'group', 'division', 'squad', 'unit', 'crew']);
const NOT_TEAM_NAME = new Set(['the', 'a', 'my', 'our', 'each', 'every', 'which', 'what', 'whole', 'entire', 'per', 'by', 'one', 'any', 'that', 'this', 'their', 'your', 'his', 'her', 'same', 'other', 'all', 'best', 'worst', 'other']);

type Token = { raw: string; word: string; at: number; capital: boolean; possessive: boolean; initial: boolean };

function tokens(question: string): Token[] {
  const out: Token[] = [];
  let initial = true;
  for (const m of question.matchAll(/[\p{L}][\p{L}'’-]*|[.?!;:]/gu)) {
    if (/^[.?!;:]$/.test(m[0])) {
      initial = true;
      continue;
    }
    const raw = m[0].replace(/[’]/g, "'");
    const possessive = /'s?$/i.test(raw);
    const word = raw.replace(/'s?$/i, '').toLowerCase();
    out.push({ raw, word, at: m.index ?? 0, capital: /^\p{Lu}/u.test(raw), possessive, initial });
    initial = false;
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isOrdinary = (word: string) => VOCABULARY.has(word) || /^\d/.test(word);

/** Endings of English nouns and adjectives that people's names hardly ever have ("lateness", "punctuality"). */
const ENGLISH_ENDING = /(ness|ity|ities|tion|tions|sion|sions|ment|ments|ism|ship|ships|ful|less|ous|ive|ives|ance|ances|ence|ences|ality|ility|ical|able|ible|ology|graphy|istics?)$/;
/** Inflections of a word of the vocabulary ("arrivals", "improved", "clocking", "quickly"). */
const inflectionOf = (word: string) =>
  ['s', 'es', 'ed', 'd', 'ing', 'ly', 'er', 'ers', 'ies'].some((end) => word.endsWith(end) && word.length > end.length + 2 && (VOCABULARY.has(word.slice(0, -end.length)) || VOCABULARY.has(`${word.slice(0, -end.length)}e`) || (end === 'ies' && VOCABULARY.has(`${word.slice(0, -3)}y`))));
/**
 * A word written in lower case that reads as English rather than as a name: never taken for an unknown person or
 * team (a known name in lower case is still found above, before this is asked).
 */
const readsAsEnglish = (word: string) => ENGLISH_ENDING.test(word) || inflectionOf(word) || ROLES.has(word) || ROLES.has(word.replace(/s$/, ''));

/** What people are called at work: "engineers", "agents", "interns"… are nobody's name. */
const ROLES = new Set(
  `engineer developer designer manager supervisor lead director agent rep representative intern contractor consultant analyst accountant
  clerk assistant officer operator technician nurse doctor driver cashier associate colleague coworker co-worker teammate member staffer
  worker employee newcomer hire joiner starter trainee apprentice volunteer freelancer temp executive admin administrator boss head
  salesperson salespeople folk folks guy guys`.split(/\s+/),
);

/**
 * Finds the teams and people a question names, the names shared by several people, and the names that match
 * nobody. `skip`: words already read as something else (periods), left out.
 */
export function findEntities(question: string, teams: Team[], people: Person[], skip: Set<string> = new Set()): Entities {
  const q = question.replace(/[’]/g, "'");
  const lower = q.toLowerCase();
  const toks = tokens(q);
  const used = new Set<number>();
  const out: Entities = { teams: [], people: [], ambiguous: [], unknown: [] };
  const cover = (from: number, to: number) => toks.forEach((t, i) => t.at >= from && t.at < to && used.add(i));

  // Teams: their whole name (case aside, possessive or plural allowed), longest names first.
  for (const team of [...teams].sort((a, b) => b.team_name.length - a.team_name.length)) {
    const re = new RegExp(`(?<![\\p{L}\\d])${escape(team.team_name.toLowerCase())}(?:'s|s)?(?![\\p{L}\\d])`, 'gu');
    for (const m of lower.matchAll(re)) {
      const start = m.index ?? 0;
      if (toks.some((t, i) => used.has(i) && t.at >= start && t.at < start + m[0].length)) continue;
      cover(start, start + m[0].length);
      if (!out.teams.includes(team)) out.teams.push(team);
    }
  }
  // People by full name, then first name + a near last name, then a near full name.
  const split = people.map((p) => {
    const parts = p.name.toLowerCase().split(/\s+/);
    return { p, full: p.name.toLowerCase(), first: parts[0], last: parts.slice(1).join(' ') || parts[0] };
  });
  const addPerson = (p: Person) => {
    if (!out.people.some((x) => x.employee_id === p.employee_id)) out.people.push(p);
  };
  for (const s of [...split].sort((a, b) => b.full.length - a.full.length)) {
    const re = new RegExp(`(?<![\\p{L}\\d])${escape(s.full)}(?:'s?)?(?![\\p{L}\\d])`, 'gu');
    for (const m of lower.matchAll(re)) {
      const start = m.index ?? 0;
      if (toks.some((t, i) => used.has(i) && t.at >= start && t.at < start + m[0].length)) continue;
      cover(start, start + m[0].length);
      addPerson(s.p);
    }
  }
  for (let i = 0; i + 1 < toks.length; i++) {
    if (used.has(i) || used.has(i + 1)) continue;
    const pair = `${toks[i].word} ${toks[i + 1].word}`;
    const scored = split
      .map((s) => ({ s, score: toks[i].word === s.first && s.last ? similarity(toks[i + 1].word, s.last) : similarity(pair, s.full) - 0.08 }))
      .filter((x) => x.score >= 0.75 && !(isOrdinary(toks[i].word) && isOrdinary(toks[i + 1].word)))
      .sort((a, b) => b.score - a.score);
    if (scored.length && (scored.length === 1 || scored[0].score > scored[1].score)) {
      used.add(i).add(i + 1);
      addPerson(scored[0].s.p);
    }
  }
  // One word: a first or last name (several people: ambiguous), or a near one (a typo), or a name of nobody.
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (used.has(i) || skip.has(t.word) || t.word.length < 2) continue;
    const ordinary = isOrdinary(t.word);
    const namedLike = t.capital && !t.initial;
    if (ordinary && !namedLike) continue;
    const nearTeam = !ordinary && t.word.length >= 5 ? teams.find((tm) => !/\s/.test(tm.team_name) && tm.team_name.length >= 5 && similarity(t.word, tm.team_name.toLowerCase()) >= 0.8) : undefined;
    if (nearTeam) {
      used.add(i);
      if (!out.teams.includes(nearTeam)) out.teams.push(nearTeam);
      continue;
    }
    let candidates = split.filter((s) => s.first === t.word || s.last === t.word);
    if (!candidates.length && !ordinary && t.word.length >= 4) {
      const scored = split
        .map((s) => ({ s, score: Math.max(similarity(t.word, s.first), similarity(t.word, s.last)) }))
        .filter((x) => x.score >= 0.75);
      const best = Math.max(0, ...scored.map((x) => x.score));
      candidates = scored.filter((x) => x.score === best).map((x) => x.s);
    }
    const next = toks[i + 1];
    const prev = toks[i - 1];
    const teamish = (next && TEAM_WORDS.has(next.word)) || (prev && TEAM_WORDS.has(prev.word) && !NOT_TEAM_NAME.has(t.word));
    if (candidates.length && !(teamish && !candidates.some((c) => c.first === t.word || c.last === t.word))) {
      used.add(i);
      const unique = [...new Map(candidates.map((c) => [c.p.employee_id, c.p])).values()];
      if (unique.length === 1) addPerson(unique[0]);
      else out.ambiguous.push({ said: t.raw.replace(/'s?$/, ''), candidates: unique.sort((a, b) => a.name.localeCompare(b.name)) });
      continue;
    }
    if (ordinary) continue;
    if (!t.capital && readsAsEnglish(t.word)) continue;
    // A word that is not ordinary and matches nobody: a name we do not know, when it reads as one.
    const cue = prev && NAME_CUES.has(prev.word);
    const verbAfter = next && /^(was|is|has|had|did|does|worked|arrived|checked|came|left|been)$/.test(next.word);
    const readsAsName = t.possessive || teamish || (t.capital && (!t.initial || verbAfter)) || cue;
    if (!readsAsName || NOT_TEAM_NAME.has(t.word)) continue;
    // Take the neighbouring capitalised words with it ("Customer Success").
    let j = i;
    const words = [t.raw.replace(/'s?$/, '')];
    while (toks[j + 1] && toks[j + 1].capital && !isOrdinary(toks[j + 1].word) && !used.has(j + 1)) {
      words.push(toks[j + 1].raw.replace(/'s?$/, ''));
      used.add(++j);
    }
    used.add(i);
    const said = words.join(' ');
    const isTeam = teamish || (toks[j + 1] && TEAM_WORDS.has(toks[j + 1].word));
    if (!out.unknown.some((u) => u.said.toLowerCase() === said.toLowerCase())) out.unknown.push({ said, kind: isTeam ? 'team' : 'person' });
  }
  const at = (t: Team) => lower.search(new RegExp(`(?<![\\p{L}\\d])${escape(t.team_name.toLowerCase())}`, 'u'));
  out.teams.sort((a, b) => at(a) - at(b));
  return out;
}
