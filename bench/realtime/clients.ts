// The load generator's clients on a started hub: badged employees (created through the REST API when too few), the
// kiosks (a device token each, a disjoint slice of the badges) and the board watchers, connected and joined.
import { randomBytes } from 'node:crypto';
import {
  api,
  type BenchSocket,
  type Employee,
  listEmployees,
  openSocket,
  openWireSocket,
  progress,
  registerKiosks,
  RUN_ID,
} from '../../harness/index.ts';
import { CLIENT, EMIT_TIMEOUT_MS, KIOSKS, WATCHERS } from './options.ts';

/** socket.io-client (--client socket.io): what the browser pages run. */
async function openClientSocket(base: string, token: string): Promise<BenchSocket> {
  const socket = await openSocket(base, token);
  return {
    get connected() {
      return socket.connected;
    },
    emitWithAck: (event, payload, timeoutMs) => (socket.timeout(timeoutMs) as any).emitWithAck(event, payload),
    on: (event, listener) => void socket.on(event as never, listener as never),
    close: () => void socket.close(),
  };
}

/** Badged, active employees in a team (their changes reach the team boards), at least one per kiosk, by id. */
export async function badgedEmployees(base: string, adminToken: string, label: string, opts: { fresh?: boolean } = {}) {
  // fresh: only people this benchmark created (no attendance history that its punch days could run into).
  const badged = async () =>
    (await listEmployees(base, adminToken)).filter((e) => e.active && e.badge_id && e.team_id != null && (!opts.fresh || e.badge_id.startsWith('BENCH')));
  let employees = await badged();
  const teams = [...new Set((opts.fresh ? (await listEmployees(base, adminToken)).filter((e) => e.team_id != null) : employees).map((e) => e.team_id!))].sort((a, b) => a - b);
  if (!teams.length) throw new Error('no team with badged employees to punch');
  if (employees.length < KIOSKS) {
    const missing = KIOSKS - employees.length;
    progress(`${label}: ${employees.length} badged employees for ${KIOSKS} kiosks; creating ${missing} more through the REST API`);
    for (let i = 0; i < missing; i++) {
      await api(base, 'POST', '/employees/', {
        token: adminToken,
        json: {
          name: `Bench Employee ${i}`,
          email: `bench.${RUN_ID}.${i}@example.com`.toLowerCase(),
          password: `Bench-${randomBytes(6).toString('hex')}-42`,
          team_id: teams[i % teams.length],
          badge_id: `BENCH${RUN_ID}${i}`.replace(/[^\x21-\x7e]/g, ''),
        },
      });
    }
    employees = await badged();
  }
  employees.sort((a, b) => a.employee_id - b.employee_id);
  return { employees, teams };
}

/**
 * Registers the kiosks and connects them and the watchers (each socket goes into `sockets` once open, for the caller to
 * close); each watcher joins its team's board. `watchersOf`: how many watchers each team's broadcasts reach.
 */
export async function connectClients(base: string, adminToken: string, label: string, employees: Employee[], teams: number[], sockets: BenchSocket[]) {
  // Kiosks: one device token each, and a disjoint slice of the badges.
  progress(`${label}: registering ${KIOSKS} kiosks`);
  const kioskTokens = await registerKiosks(base, adminToken, KIOSKS, 'bench kiosk');
  const slices: Employee[][] = kioskTokens.map(() => []);
  employees.forEach((e, i) => slices[i % KIOSKS].push(e));

  // Watchers: a manager's board is one team; watcher i watches team i mod teams.
  progress(`${label}: connecting ${WATCHERS} board watchers (round robin over ${teams.length} teams) and ${KIOSKS} kiosks`);
  const open = CLIENT === 'raw' ? openWireSocket : openClientSocket;
  const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => open(base, adminToken)));
  sockets.push(...watchers);
  const watchersOf = new Map<number, number>(teams.map((t) => [t, 0]));
  for (const [i, w] of watchers.entries()) {
    const team_id = teams[i % teams.length];
    const ack = await w.emitWithAck('board:join', { team_id }, EMIT_TIMEOUT_MS);
    if (!ack.ok) throw new Error(`board:join ${team_id}: ${ack.error.code} ${ack.error.message}`);
    watchersOf.set(team_id, watchersOf.get(team_id)! + 1);
  }
  const kiosks = await Promise.all(kioskTokens.map((t) => open(base, t)));
  sockets.push(...kiosks);
  return { slices, watchers, watchersOf, kiosks };
}
