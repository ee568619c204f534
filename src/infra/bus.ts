import { EventEmitter } from 'node:events';

/**
 * Domain events, published after the change is committed. Each module declares its own events where it owns them,
 * by adding to this interface (`declare module '…/infra/bus.ts' { interface DomainEvents { 'x.changed': X } }`),
 * and exports their types from its index.ts; the bus itself knows none of them.
 */
export interface DomainEvents {}

/** In-process publish/subscribe for domain events; the realtime layer and the job triggers listen here. */
export class Bus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  publish<K extends keyof DomainEvents>(name: K, event: DomainEvents[K]) {
    this.#emitter.emit(name, event);
  }

  subscribe<K extends keyof DomainEvents>(name: K, listener: (event: DomainEvents[K]) => void) {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
}
