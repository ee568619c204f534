export { Team, MISSING_CHECK_OUT_POLICIES, type MissingCheckOutPolicy, type ITeam } from './team.entity.ts';
export { teamEndpoints } from './teams.routes.ts';
export { teams, teamExistsStatement } from './teams.repository.ts';
