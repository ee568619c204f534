import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { TeamCreate, TeamListQuery, TeamOut, TeamParams, TeamUpdate } from './teams.schema.ts';
import { createTeam, deleteTeam, getTeam, listTeams, updateTeam } from './teams.service.ts';

const tag = 'Teams';
const everyone = ['admin', 'manager', 'employee'] as const;

export const teamEndpoints = [
  endpoint(
    { method: 'get', path: '/teams/', apiScope: 'employees:read', tag, summary: 'List teams', access: everyone, scope: 'Managers and employees see only their own team.', query: TeamListQuery, response: TeamOut, list: true },
    async (c, { query }) => listResponse(c, await listTeams(ctxOf(c), query)),
  ),
  endpoint(
    { method: 'post', path: '/teams/', tag, summary: 'Create a team', access: ['admin'], body: TeamCreate, response: TeamOut, status: 201 },
    async (c, { body }) => c.json(await createTeam(ctxOf(c), body), 201),
  ),
  endpoint(
    { method: 'get', path: '/teams/{team_id}', apiScope: 'employees:read', tag, summary: 'Get a team', access: everyone, scope: 'Managers and employees: their own team only.', params: TeamParams, response: TeamOut },
    async (c, { params }) => c.json(await getTeam(ctxOf(c), params.team_id)),
  ),
  endpoint(
    { method: 'put', path: '/teams/{team_id}', tag, summary: 'Update a team (fields given are changed)', access: ['admin'], params: TeamParams, body: TeamUpdate, response: TeamOut },
    async (c, { params, body }) => c.json(await updateTeam(ctxOf(c), params.team_id, body)),
  ),
  endpoint(
    {
      method: 'delete', path: '/teams/{team_id}', tag, summary: 'Delete a team', access: ['admin'], params: TeamParams, status: 204,
      description: "Its employees are kept without a team; their attendance history is kept.",
    },
    async (c, { params }) => {
      await deleteTeam(ctxOf(c), params.team_id);
      return c.body(null, 204);
    },
  ),
];
