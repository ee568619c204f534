import { EventEmitter } from 'node:events';

/** Domain events, published after the change is committed. */
export type DomainEvents = {
  'attendance.changed': [
    {
      action: 'check_in' | 'check_out' | 'created' | 'updated' | 'deleted';
      team_id: number | null;
      employee: { employee_id: number; name: string };
      record: Record<string, unknown>;
    },
  ];
  'kiosk.revoked': [{ kiosk_id: number }];
  /** Every token of this employee issued so far is refused from now on: their open sockets close. */
  'tokens.revoked': [{ employee_id: number; reason: 'revoked' | 'deactivated' | 'access_changed' }];
};

/** In-process publish/subscribe for domain events; the realtime layer listens here. */
export class Bus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  publish<K extends keyof DomainEvents>(name: K, ...args: DomainEvents[K]) {
    this.#emitter.emit(name, ...args);
  }

  subscribe<K extends keyof DomainEvents>(name: K, listener: (...args: DomainEvents[K]) => void) {
    this.#emitter.on(name, listener as (...a: unknown[]) => void);
    return () => this.#emitter.off(name, listener as (...a: unknown[]) => void);
  }
}
