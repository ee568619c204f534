/** The employees module's domain events. */
export type TokensRevoked = { employee_id: number; reason: 'revoked' | 'deactivated' | 'access_changed' };

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** Every token of this employee issued so far is refused from now on: their open sockets close. */
    'tokens.revoked': TokensRevoked;
  }
}
