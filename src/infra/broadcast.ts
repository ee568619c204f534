import type { Sequencer } from './sequencer.ts';
import type { Delivery } from './socket-contract.ts';

/** The rooms sockets are in: every broadcast names its audience with these, and nothing else builds a room name. */
export const rooms = {
  /** Everyone watching a team's board (admins and the team's managers who joined it). */
  team: (id: number) => `team:${id}`,
  /** Every socket of one person. */
  user: (id: number) => `user:${id}`,
  kiosk: (id: number) => `kiosk:${id}`,
  kiosks: 'kiosks',
  admins: 'admins',
};

/**
 * How deliveries leave the process that made them: in an API instance, to its own sockets and, as one message, to
 * the other instances; in a job (a worker, or the embedded in-process queue), through the job's progress, which
 * every API instance hears and delivers to its own sockets. Either way each socket gets a message once.
 */
export type Transport = (deliveries: Delivery[]) => void;

/** A change to number: the team whose counter it takes, and the delivery it becomes once it has its number. */
export type Numbered = { team: number | null; deliver: (seq: number) => Delivery };

export type Broadcaster = ReturnType<typeof createBroadcaster>;

const keyOf = (team: number | null) => (team === null ? 'none' : String(team));

/**
 * The one way changes reach sockets. Changes to a team are numbered per team (`seq`) and sent in order; those that
 * arrive while the previous group is being numbered wait and go together: one counter step per team in one round
 * trip for the whole group (a batch of punches is hundreds of changes over several teams), not one round trip each.
 * A board that misses a group (a reconnect, an instance restart) sees the gap in `seq` and takes a fresh snapshot.
 * @example broadcaster.numbered([{ team: 3, deliver: (seq) => delivery([rooms.team(3)], 'attendance:changed', { …, seq }) }]);
 */
export function createBroadcaster(deps: { sequencer: Sequencer; transport: Transport; onError: (error: unknown) => void }) {
  const waiting: { item: Numbered; done: () => void }[] = [];
  let sending: Promise<void> | null = null;

  const sendWaiting = async () => {
    while (waiting.length) {
      const group = waiting.splice(0);
      try {
        const byTeam = new Map<string, Numbered[]>();
        for (const { item } of group) {
          const key = keyOf(item.team);
          const list = byTeam.get(key);
          if (list) list.push(item);
          else byTeam.set(key, [item]);
        }
        const teams = [...byTeam];
        const lasts = await Promise.all(teams.map(([key, items]) => deps.sequencer.reserve(key, items.length)));
        deps.transport(teams.flatMap(([, items], t) => items.map((item, i) => item.deliver(lasts[t] - items.length + 1 + i))));
      } catch (error) {
        // A group that could not be numbered (Redis down) is dropped: boards see the gap at the next change and
        // take a fresh snapshot.
        deps.onError(error);
      } finally {
        for (const { done } of group) done();
      }
    }
  };
  const startSending = () => {
    sending ??= sendWaiting()
      .finally(() => {
        sending = null;
        if (waiting.length) startSending(); // arrived after the last look
      });
  };

  return {
    /** Numbers the changes per team and sends them; resolves once they are sent (or given up). */
    numbered(items: Numbered[]): Promise<void> {
      if (!items.length) return Promise.resolve();
      let left = items.length;
      const sent = new Promise<void>((resolve) => {
        for (const item of items) waiting.push({ item, done: () => --left === 0 && resolve() });
      });
      startSending();
      return sent;
    },
    /** Sends deliveries that carry no number. */
    send(deliveries: Delivery[]) {
      if (deliveries.length) deps.transport(deliveries);
    },
    /** The team's counter now: a snapshot taken after this has seen every change up to it. */
    current: (team: number) => deps.sequencer.current(keyOf(team)),
    /** Resolves once nothing waits to be numbered (shutdown). */
    async flushed() {
      while (sending) await sending;
    },
  };
}
