export { Team, DEFAULT_WORKING_WEEKDAYS, type ITeam } from './team.entity.ts';
export { teamEndpoints } from './teams.routes.ts';
export { teamDto, withoutUndefined } from './teams.service.ts';
