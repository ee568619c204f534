import { readAll, type Sql } from '../../infra/db.ts';
import { addDays } from '../../infra/time.ts';
import { employees } from '../employees/index.ts';
import { assignments, holidayOn, holidays, planDay, schedules, shiftsOn, STANDARD_WEEK, versionOn, type DayPlan, type PlanSubject } from '../schedules/index.ts';
import { teams, type MissingCheckOutPolicy } from '../teams/index.ts';

export type TeamSettings = { team_id: number; team_name: string; schedule_id: number | null; timezone: string | null; weekly_hours: number; missing_check_out: MissingCheckOutPolicy };

/** A team's day or a person's day that someone is expected at work: the grid absences and rates are counted on. */
export type ExpectedGrid = { teamDays: { team_id: number; day: string }[]; personDays: { employee_id: number; day: string }[] };

/**
 * What deciding people's days needs for a period, loaded once (a few statements, whatever the number of people):
 * every team's settings, the schedule assignments overlapping the period, the versions of every schedule involved,
 * and the holidays. Then each day's plan is computed in memory, once per person and day.
 */
export type Planning = {
  from: string;
  to: string;
  team(teamId: number | null): TeamSettings | null;
  /** The zone of a team's dates (the organisation's for people without a team). */
  tzOf(teamId: number | null): string;
  subject(employeeId: number, teamId: number | null): PlanSubject;
  plan(employeeId: number, teamId: number | null, date: string): DayPlan;
  /**
   * Who is expected on each day of [from, to]: whole team-days for people who follow their team's schedule, and the
   * days of each person on an assignment (the statements leave those people out of their team's days).
   */
  expectedGrid(from: string, to: string, teamId: number | null): Promise<ExpectedGrid>;
};

/** Loads the planning of a period; `people`: only their assignments (default: everyone's overlapping the period). */
export async function loadPlanning(sql: Sql, orgTz: string, from: string, to: string, people: number[] | null = null): Promise<Planning> {
  const [teamRows, assigned, holidayList] = await readAll(sql, [() => teams.allSettings(sql), () => assignments.overlapping(sql, from, to, people), () => holidays.between(sql, from, to)] as const);
  const teamById = new Map(teamRows.map((t) => [t.team_id, t]));
  const scheduleIds = new Set<number>();
  for (const t of teamRows) if (t.schedule_id !== null) scheduleIds.add(t.schedule_id);
  for (const list of assigned.values()) for (const a of list) scheduleIds.add(a.schedule_id);
  const versions = await schedules.versions(sql, [...scheduleIds]);
  const plans = new Map<string, DayPlan>();
  const tzOf = (teamId: number | null) => (teamId !== null ? teamById.get(teamId)?.timezone : null) ?? orgTz;
  const subject = (employeeId: number, teamId: number | null): PlanSubject => ({
    employee_id: employeeId,
    team_id: teamId,
    team_schedule_id: teamId !== null ? (teamById.get(teamId)?.schedule_id ?? null) : null,
    assignments: assigned.get(employeeId) ?? [],
  });
  const plan = (employeeId: number, teamId: number | null, date: string) => {
    const key = `${employeeId}|${teamId}|${date}`;
    let p = plans.get(key);
    if (!p) plans.set(key, (p = planDay({ date, tz: tzOf(teamId), subject: subject(employeeId, teamId), versions, holidays: holidayList })));
    return p;
  };
  /** Whether a schedule has a shift on a date (no instants needed: this runs for every team and day of a report). */
  const works = (scheduleId: number | null, date: string) => {
    const version = (scheduleId !== null ? versionOn(versions.get(scheduleId) ?? [], date) : null) ?? STANDARD_WEEK;
    return shiftsOn(version, date).length > 0;
  };
  return {
    from,
    to,
    team: (teamId) => (teamId !== null ? (teamById.get(teamId) ?? null) : null),
    tzOf,
    subject,
    plan,
    async expectedGrid(gridFrom, gridTo, teamId) {
      const grid: ExpectedGrid = { teamDays: [], personDays: [] };
      const teamList = teamId === null ? teamRows : teamRows.filter((t) => t.team_id === teamId);
      for (let day = gridFrom; day <= gridTo; day = addDays(day, 1)) {
        for (const t of teamList) if (works(t.schedule_id, day) && !holidayOn(holidayList, day, t.team_id)) grid.teamDays.push({ team_id: t.team_id, day });
      }
      const withAssignments = [...assigned.keys()];
      if (withAssignments.length) {
        const people = await employees.teamsOf(sql, withAssignments);
        for (const [id, person] of people) {
          if (person.team_id === null || !person.active || (teamId !== null && person.team_id !== teamId)) continue;
          const own = assigned.get(id)!;
          for (let day = gridFrom; day <= gridTo; day = addDays(day, 1)) {
            const covered = own.some((a) => a.valid_from <= day && (a.valid_to === null || a.valid_to >= day));
            if (covered && plan(id, person.team_id, day).expected) grid.personDays.push({ employee_id: id, day });
          }
        }
      }
      return grid;
    },
  };
}
