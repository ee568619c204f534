export { Employee, type IEmployee } from './employee.entity.ts';
export { employeeEndpoints } from './employees.routes.ts';
export { assertCanSee, employeeDto } from './employees.service.ts';
export { employees, ownerStatement, principalStatement, type Principal } from './employees.repository.ts';
export { ensureAdmin } from './employees.bootstrap.ts';
export { EmployeeNumberSchema, PinSchema } from './employees.schema.ts';
export { employeeByPin, hashPin, PIN_BCRYPT_COST } from './pins.ts';
export type { TokensRevoked } from './employees.events.ts';
