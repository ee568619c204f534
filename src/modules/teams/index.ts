export { Team, DEFAULT_WORKING_WEEKDAYS, type ITeam } from './team.entity.ts';
export { teamEndpoints } from './teams.routes.ts';
export { teams, teamExistsStatement } from './teams.repository.ts';
