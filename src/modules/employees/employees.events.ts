/** The employees module's domain events. */
import type { EmployeeDto } from './employees.service.ts';

/** A person was created, changed or deleted (`employee` as the REST API shows them; before the deletion for `deleted`). */
export type EmployeeChanged = { action: 'created' | 'updated' | 'deleted'; employee: EmployeeDto };

export type TokensRevoked = { employee_id: number; reason: 'revoked' | 'deactivated' | 'access_changed' };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** Every token of this employee issued so far is refused from now on: their open sockets close. */
    'tokens.revoked': TokensRevoked;
    'employee.changed': EmployeeChanged;
  }
}
