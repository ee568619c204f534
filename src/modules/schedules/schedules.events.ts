/** The schedules module's events: a change of working time that past records must be recomputed for. */

/**
 * Who and which days a change of working time affects (a schedule's new version, an assignment, a holiday, a team's
 * settings): the records of those days are recomputed, in a job, never the whole history.
 */
export type WorkdayChanged = {
  from: string;
  to: string;
  /** Everyone following this schedule (by their team or an assignment). */
  schedule_id?: number;
  employee_ids?: number[];
  /** A team's members; null with `all` unset: nobody. */
  team_id?: number;
  all?: boolean;
  reason: string;
};

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    'workday.changed': WorkdayChanged;
  }
}
