import { AppError } from '../../infra/errors.ts';
import type { AuthUser } from '../../infra/http.ts';

/**
 * Who may do what to whom: the access rules, in one place. Every check takes the caller (`null` for a kiosk or the
 * system, which act for the organisation) and the person or team concerned, and answers yes or no.
 */

/** A person as the rules see them: who they are and which team they belong to (null: none). */
export type Person = { employee_id: number; team_id: number | null };

/** The caller manages this team (a manager without a team manages nothing). */
const manages = (user: AuthUser, teamId: number | null) => user.access === 'manager' && user.team_id !== null && user.team_id === teamId;

/** Admins and the team's managers may see a team: its members, records, board and figures. */
export const canSeeTeam = (user: AuthUser, teamId: number | null) => user.access === 'admin' || manages(user, teamId);

/** A team's live board: admins and the team's managers. */
export const canWatchBoard = canSeeTeam;

/** Admins everyone; managers their team's members; everyone themselves. */
export const canSeePerson = (user: AuthUser, person: Person) => user.employee_id === person.employee_id || canSeeTeam(user, person.team_id);

/** Kiosks and admins punch for anyone; managers for their team; everyone for themselves. */
export const canPunchFor = (user: AuthUser | null, person: Person) => user === null || canSeePerson(user, person);

/**
 * Corrections (creating or changing a record, or a punch at a time of the caller's choosing): admins for anyone;
 * managers for their team's members but not themselves (separation of duties).
 */
export const canCorrect = (user: AuthUser, person: Person) =>
  user.access === 'admin' || (manages(user, person.team_id) && user.employee_id !== person.employee_id);

/**
 * May the caller send `occurred_at` on a punch for this person? Kiosks may (an offline queue replays its punches
 * with their times), and whoever may correct the person's records. Everyone else punches at the server's clock.
 */
export const canChoosePunchTime = (user: AuthUser | null, person: Person) => user === null || canCorrect(user, person);

export const forbiddenPunch = () => new AppError(403, 'forbidden', 'You may only punch for yourself');

export const occurredAtNotAllowed = () =>
  new AppError(403, 'occurred_at_not_allowed', 'A punch for yourself takes the server’s time: leave out occurred_at, or ask your manager for a correction');

export const selfCorrection = () =>
  new AppError(403, 'self_correction', 'Managers may not correct their own attendance; ask an admin or another manager');
