import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { EmployeeCreate, EmployeeListQuery, EmployeeOut, EmployeeParams, EmployeeUpdate } from './employees.schema.ts';
import { createEmployee, deleteEmployee, getEmployee, listEmployees, updateEmployee } from './employees.service.ts';

const tag = 'Employees';

export const employeeEndpoints = [
  endpoint(
    {
      method: 'get', path: '/employees/', tag, summary: 'List employees', access: ['admin', 'manager'], query: EmployeeListQuery,
      response: EmployeeOut, list: true, scope: 'Managers see only their own team.',
      description: 'Filters: `team_id`, `access`, `active`, `q` (part of a name or email). Ordered by employee_id.',
    },
    async (c, { query }) => listResponse(c, await listEmployees(ctxOf(c), query)),
  ),
  endpoint(
    { method: 'post', path: '/employees/', tag, summary: 'Create an employee with credentials', access: ['admin'], body: EmployeeCreate, response: EmployeeOut, status: 201 },
    async (c, { body }) => c.json(await createEmployee(ctxOf(c), body), 201),
  ),
  endpoint(
    {
      method: 'get', path: '/employees/{employee_id}', tag, summary: 'Get an employee', access: ['admin', 'manager', 'employee'], params: EmployeeParams,
      response: EmployeeOut, scope: 'Managers: their team and themselves. Employees: themselves.',
    },
    async (c, { params }) => c.json(await getEmployee(ctxOf(c), params.employee_id)),
  ),
  endpoint(
    {
      method: 'put', path: '/employees/{employee_id}', tag, summary: 'Update an employee (fields given are changed)', access: ['admin'],
      params: EmployeeParams, body: EmployeeUpdate, response: EmployeeOut,
      description: 'Setting `password` replaces it. The last active admin cannot be demoted or deactivated.',
    },
    async (c, { params, body }) => c.json(await updateEmployee(ctxOf(c), params.employee_id, body)),
  ),
  endpoint(
    {
      method: 'delete', path: '/employees/{employee_id}', tag, summary: 'Delete an employee', access: ['admin'], params: EmployeeParams, status: 204,
      description: 'Deletes the employee and their attendance records; the audit log keeps a copy. To keep the history, set `active` to false instead.',
    },
    async (c, { params }) => {
      await deleteEmployee(ctxOf(c), params.employee_id);
      return c.body(null, 204);
    },
  ),
];

