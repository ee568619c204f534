import { AppError } from '../../infra/errors.ts';
import type { AuthUser } from '../../infra/context.ts';

/**
 * Who may do what to whom: the access rules, in one place. Every check takes the caller (`null` for a kiosk or the
 * system, which act for the organisation) and the person or team concerned, and answers yes or no. Nothing else in
 * the code compares access levels.
 */

/** A person as the rules see them: who they are and which team they belong to (null: none). */
export type Person = { employee_id: number; team_id: number | null };

/** The caller manages this team (a manager without a team manages nothing). */
const manages = (user: AuthUser, teamId: number | null) => user.access === 'manager' && user.team_id !== null && user.team_id === teamId;

/** An admin (of a caller, or of a person's record). */
export const isAdmin = (user: { access: string } | null) => user?.access === 'admin';

/** Admins and the team's managers may see a team: its members, records, board and figures. */
export const canSeeTeam = (user: AuthUser, teamId: number | null) => user.access === 'admin' || manages(user, teamId);

/** A team's live board: admins and the team's managers. */
export const canWatchBoard = canSeeTeam;

/** Admins everyone; managers their team's members; everyone themselves. */
export const canSeePerson = (user: AuthUser, person: Person) => user.employee_id === person.employee_id || canSeeTeam(user, person.team_id);

/**
 * Only the people who see more than themselves learn whether an id exists: an employee gets the same 403 for any id
 * that is not their own, whether it exists or not.
 */
export const seesOnlyThemselves = (user: AuthUser) => user.access === 'employee';

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

/**
 * Asking for a correction of a day (a change with a reason, for an approver to decide): everyone for themselves;
 * managers also for their team's members; admins for anyone.
 */
export const canRequestCorrection = canSeePerson;

/**
 * Deciding a correction request (approve or reject): admins any; a manager of the person's current team, unless it
 * is their own day or a request they made themselves (separation of duties).
 */
export const canResolveCorrection = (user: AuthUser, person: Person, requestedBy: number | null) =>
  user.access === 'admin' || (manages(user, person.team_id) && user.employee_id !== person.employee_id && user.employee_id !== requestedBy);

/** Withdrawing a pending correction request: only who made it (approvers reject instead). */
/** The person acting, for columns that name one (requested_by, resolved_by); null for an API key (the trail names it). */
export const personIdOf = (user: AuthUser): number | null => (user.api_key_id !== undefined ? null : user.employee_id);

export const canCancelCorrection = (user: AuthUser, requestedBy: number | null) => requestedBy !== null && user.employee_id === requestedBy;

/** Deleting attendance records: admins only (corrections keep the record; a delete loses it). */
export const canDeleteRecords = isAdmin;

/** Revoking someone's tokens: the person themselves, or an admin. */
export const canRevokeTokensOf = (user: AuthUser, employeeId: number) => user.access === 'admin' || user.employee_id === employeeId;

/** The assistant: admins only. */
export const canAskAssistant = isAdmin;

/**
 * Which records (or people) a list shows the caller: admins everything; managers their team's and their own;
 * employees their own. The owner of the table turns this into conditions on its columns.
 */
export type ReadScope = { kind: 'all' } | { kind: 'some'; team_id: number | null; employee_id: number };

export function readScope(user: AuthUser): ReadScope {
  if (user.access === 'admin') return { kind: 'all' };
  return { kind: 'some', team_id: user.access === 'manager' ? user.team_id : null, employee_id: user.employee_id };
}

/**
 * The team whose figures (summaries, reports) the caller gets: admins the one they ask for, or the organisation
 * (null); managers their own team. Refused otherwise.
 */
export function figuresTeam(user: AuthUser, asked: number | undefined): number | null {
  if (user.access === 'admin') return asked ?? null;
  if (user.access !== 'manager') throw new AppError(403, 'forbidden', 'You do not have access to this resource');
  if (user.team_id === null) throw new AppError(403, 'forbidden', 'You do not manage a team');
  if (asked !== undefined && asked !== user.team_id) throw new AppError(403, 'forbidden', 'Managers may only see their own team’s figures');
  return user.team_id;
}

/** Which teams a team list shows: admins all; everyone else their own (null: none). */
export const visibleTeam = (user: AuthUser): { kind: 'all' } | { kind: 'one'; team_id: number | null } =>
  user.access === 'admin' ? { kind: 'all' } : { kind: 'one', team_id: user.team_id };

/** May see a team's description (not its people): admins any; members and managers their own. */
export const canReadTeam = (user: AuthUser, teamId: number) => user.access === 'admin' || user.team_id === teamId;

/** Which employees a directory shows a manager: their own team. Admins: all; employees may not list. */
export const directoryTeam = (user: AuthUser): { kind: 'all' } | { kind: 'team'; team_id: number | null } =>
  user.access === 'admin' ? { kind: 'all' } : { kind: 'team', team_id: user.team_id };

export const forbiddenPunch = () => new AppError(403, 'forbidden', 'You may only punch for yourself');

export const occurredAtNotAllowed = () =>
  new AppError(403, 'occurred_at_not_allowed', 'A punch for yourself takes the server’s time: leave out occurred_at, or ask your manager for a correction');

export const selfCorrection = () =>
  new AppError(403, 'self_correction', 'Managers may not correct their own attendance; ask an admin or another manager');

export const selfApproval = () =>
  new AppError(403, 'self_approval', 'You may not decide a correction of your own day or one you asked for; ask an admin or another manager');
