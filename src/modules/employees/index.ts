export { Employee, ACCESS_LEVELS, type Access, type IEmployee } from './employee.entity.ts';
export { employeeEndpoints } from './employees.routes.ts';
export { assertCanSee, employeeDto } from './employees.service.ts';
