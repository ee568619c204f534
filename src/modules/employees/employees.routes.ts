import * as v from 'valibot';
import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { AssignmentCreate, AssignmentItemParams, AssignmentOut, AssignmentParams } from '../schedules/index.ts';
import { EmployeeCreate, EmployeeListQuery, EmployeeOut, EmployeeParams, EmployeeUpdate, OwnPin, ProfileOut } from './employees.schema.ts';
import { myProfile, setOwnPin } from './employees.me.ts';
import { createEmployee, deleteEmployee, getEmployee, listEmployees, updateEmployee } from './employees.service.ts';
import { assignSchedule, employeeSchedules, unassignSchedule } from './employees.schedules.ts';

const tag = 'Employees';
const everyone = ['admin', 'manager', 'employee'] as const;
const PIN_NOTE =
  '`pin` (4 to 8 digits, as a string) sets the kiosk PIN, `null` removes it; only a bcrypt hash is kept and outputs say `has_pin`. ' +
  'A kiosk takes `employee_number` and `pin` instead of a badge (socket `attendance:check`).';

export const employeeEndpoints = [
  endpoint(
    {
      method: 'get', path: '/employees/', apiScope: 'employees:read', tag, summary: 'List employees', access: ['admin', 'manager'], query: EmployeeListQuery,
      response: EmployeeOut, list: true, scope: 'Managers see only their own team.',
      description: 'Filters: `team_id`, `access`, `active`, `q` (part of a name or email). Ordered by employee_id.',
    },
    async (c, { query }) => listResponse(c, await listEmployees(ctxOf(c), query)),
  ),
  endpoint(
    {
      method: 'post', path: '/employees/', apiScope: 'employees:write', tag, summary: 'Create an employee with credentials', access: ['admin'], body: EmployeeCreate, response: EmployeeOut, status: 201,
      description: `${PIN_NOTE} \`employee_number\` is stored trimmed and upper-cased; 409 \`duplicate_employee_number\` when taken.`,
    },
    async (c, { body }) => c.json(await createEmployee(ctxOf(c), body), 201),
  ),
  endpoint(
    {
      method: 'get', path: '/employees/{employee_id}', apiScope: 'employees:read', tag, summary: 'Get an employee', access: ['admin', 'manager', 'employee'], params: EmployeeParams,
      response: EmployeeOut, scope: 'Managers: their team and themselves. Employees: themselves.',
    },
    async (c, { params }) => c.json(await getEmployee(ctxOf(c), params.employee_id)),
  ),
  endpoint(
    {
      method: 'put', path: '/employees/{employee_id}', apiScope: 'employees:write', tag, summary: 'Update an employee (fields given are changed)', access: ['admin'],
      params: EmployeeParams, body: EmployeeUpdate, response: EmployeeOut,
      description: `Setting \`password\` replaces it. The last active admin cannot be demoted or deactivated. ${PIN_NOTE}`,
    },
    async (c, { params, body }) => c.json(await updateEmployee(ctxOf(c), params.employee_id, body)),
  ),
  endpoint(
    {
      method: 'delete', path: '/employees/{employee_id}', apiScope: 'employees:write', tag, summary: 'Delete an employee', access: ['admin'], params: EmployeeParams, status: 204,
      description: 'Deletes the employee and their attendance records; the audit log keeps a copy. To keep the history, set `active` to false instead.',
    },
    async (c, { params }) => {
      await deleteEmployee(ctxOf(c), params.employee_id);
      return c.body(null, 204);
    },
  ),
  endpoint(
    {
      method: 'get', path: '/me/profile', tag, summary: 'Your own profile', access: everyone, response: ProfileOut,
      description:
        'Who the token belongs to, with their team (name, time zone) and what their own page offers: `web_punch` (their team lets ' +
        'members check in and out from it, at the server’s clock), `has_pin`, `has_badge`, `employee_number`.',
    },
    async (c) => c.json(await myProfile(ctxOf(c))),
  ),
  endpoint(
    {
      method: 'put', path: '/me/pin', tag, summary: 'Set or remove your own kiosk PIN', access: everyone, body: OwnPin, status: 204,
      description:
        '`{ pin, current_password }`: `pin` is 4 to 8 digits (a string), or null to remove it. A wrong password is 403 `wrong_password` ' +
        'and counts as a failed sign-in (the LOGIN_* limits apply: 429 with Retry-After beyond).',
    },
    async (c, { body }) => {
      await setOwnPin(ctxOf(c), body, { throttle: c.get('deps').budgets.login, address: c.get('ip') });
      return c.body(null, 204);
    },
  ),
  endpoint(
    {
      method: 'get', path: '/employees/{employee_id}/schedules', apiScope: 'employees:read', tag, summary: "An employee's schedule assignments", access: ['admin', 'manager', 'employee'],
      params: AssignmentParams, response: v.array(AssignmentOut), scope: 'Managers: their team and themselves. Employees: themselves.',
      description: 'Periods in which the person follows a schedule other than their team’s.',
    },
    async (c, { params }) => c.json(await employeeSchedules(ctxOf(c), params.employee_id)),
  ),
  endpoint(
    {
      method: 'post', path: '/employees/{employee_id}/schedules', apiScope: 'employees:write', tag, summary: 'Put an employee on a schedule for a period', access: ['admin'],
      params: AssignmentParams, body: AssignmentCreate, response: AssignmentOut, status: 201,
      description:
        '`{ schedule_id, valid_from, valid_to? }` (valid_to included; none: open-ended). An open-ended assignment that started earlier ends the day before; ' +
        'any other overlap is 409 `assignment_overlaps`. The person’s records from `valid_from` to today are recomputed in the background.',
    },
    async (c, { params, body }) => c.json(await assignSchedule(ctxOf(c), params.employee_id, body), 201),
  ),
  endpoint(
    { method: 'delete', path: '/employees/{employee_id}/schedules/{assignment_id}', apiScope: 'employees:write', tag, summary: 'Remove a schedule assignment', access: ['admin'], params: AssignmentItemParams, status: 204 },
    async (c, { params }) => {
      await unassignSchedule(ctxOf(c), params.employee_id, params.assignment_id);
      return c.body(null, 204);
    },
  ),
];
