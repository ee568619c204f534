import type { Config } from '../config.ts';

/**
 * Group commit: items that arrive while a batch is being written wait and go together in the next one. At low load a
 * batch is a single item and nothing waits; under a burst, one transaction carries hundreds. Each batch settles its
 * own items (the batcher only waits for it), so every caller is answered when its item is committed.
 *
 * One batch is written at a time: measured with 200 kiosks punching, that gave the largest batches and the most
 * punches per second (4 at once: 3,600/s with 40 per transaction; 1 at a time: 4,450/s with 100), as every
 * transaction has a fixed cost on both sides. A batch still in flight after `stallMs` (a lock held elsewhere, a slow
 * disk) no longer holds the others back: more start beside it, up to `maxInFlight`.
 */
export type GroupCommitOptions<I> = {
  /** Writes a batch and settles (resolves or rejects) every item in it. */
  run: (batch: I[]) => Promise<void>;
  maxBatch: number;
  maxInFlight: number;
  stallMs: number;
};

export class GroupCommit<I> {
  readonly #queue: I[] = [];
  /** Start times of the batches in flight, by batch number. */
  readonly #started = new Map<number, number>();
  readonly #options: GroupCommitOptions<I>;
  #idle: (() => void)[] = [];
  #nextBatch = 0;
  #scheduled = false;
  /** Items submitted since the start (a drain waits until this stops moving). */
  received = 0;

  constructor(options: GroupCommitOptions<I>) {
    this.#options = options;
  }

  submit(item: I) {
    this.received++;
    this.#queue.push(item);
    this.#schedule();
  }

  /** Resolves once every item submitted so far is settled. */
  idle(): Promise<void> {
    if (!this.#started.size && !this.#queue.length) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Batches start after the event loop has read what is waiting on the sockets (setImmediate runs after the poll
   * phase), so items that arrived together go together: starting the next batch at the first new item read made
   * every batch a single punch.
   */
  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #mayStart(now: number) {
    if (!this.#started.size) return true;
    if (this.#started.size >= this.#options.maxInFlight) return false;
    return Math.min(...this.#started.values()) <= now - this.#options.stallMs;
  }

  #pump() {
    while (this.#queue.length && this.#mayStart(performance.now())) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      const id = this.#nextBatch++;
      this.#started.set(id, performance.now());
      const stalled = setTimeout(() => this.#schedule(), this.#options.stallMs + 1);
      void this.#options.run(batch).finally(() => {
        clearTimeout(stalled);
        this.#started.delete(id);
        this.#schedule();
        if (!this.#started.size && !this.#queue.length) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }
}

/** Names a batcher and says how the process's configuration sizes it; the type carries the item type along. */
export type GroupCommitKey<I> = { readonly name: string; readonly options: (config: Config) => GroupCommitOptions<I> };

export const groupCommitKey = <I,>(name: string, options: (config: Config) => GroupCommitOptions<I>): GroupCommitKey<I> => ({ name, options });

/**
 * The batchers of one process: created in main.ts (and by tests), passed to every unit of work, drained at shutdown.
 * A batcher is made from its key the first time it is asked for, sized by this process's configuration.
 */
export class GroupCommits {
  readonly #config: Config;
  /** Batchers of different item types, by key name: each is only ever read back through its own key. */
  readonly #batchers = new Map<string, unknown>();

  constructor(config: Config) {
    this.#config = config;
  }

  get<I>(key: GroupCommitKey<I>): GroupCommit<I> {
    let batcher = this.#batchers.get(key.name) as GroupCommit<I> | undefined;
    if (!batcher) {
      batcher = new GroupCommit(key.options(this.#config));
      this.#batchers.set(key.name, batcher);
    }
    return batcher;
  }

  /**
   * Waits until every item submitted to this process is settled, including those still arriving on open sockets: it
   * returns once a short quiet period passes with nothing new (graceful shutdown), or after `maxMs`.
   */
  async drain(quietMs = 150, maxMs = 5_000) {
    const deadline = Date.now() + maxMs;
    const all = () => [...this.#batchers.values()] as GroupCommit<unknown>[];
    const received = () => all().reduce((n, b) => n + b.received, 0);
    for (;;) {
      const before = received();
      await Promise.all(all().map((b) => b.idle()));
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      if (received() === before || Date.now() > deadline) return;
    }
  }
}
