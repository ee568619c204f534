// npm run bench:fanout [-- --watchers 1000 --rate 100 --seconds 10 --warmup 2 --kiosks 4 --modes postgres[,embedded]]
//
// Broadcast fan-out of one team board: W sockets (the team's manager, or an admin) have joined ONE team's board
// (`board:join`); K kiosks punch that team's badges in an OPEN loop (a timer fires punches at --rate per second,
// round-robin over the kiosks and the team's members, whatever the answers), for --warmup + --seconds. Measured, for
// each punch emitted in the measured window: the delay from the kiosk's emit to each watcher's `attendance:changed`
// (p50/p99 over every (punch, watcher) pair), and the messages/s the watchers received. The watchers speak the
// Engine.IO/Socket.IO wire protocol over bare `ws` clients (--hub-client raw, default: the same client-side work per
// message as the baseline's watchers), or run socket.io-client (--hub-client socket.io); the kiosks run socket.io-client.
//
// Baseline, in the same run and the same process layout (server in a child process, every client in this process):
// a plain `ws` server (bench/ws-server.ts) that answers each kiosk message by broadcasting a message of the same size
// as the hub's `attendance:changed` frame to W plain WebSocket clients, at the same rate. The table gives
// p99(hub) / p99(ws). Target: hub p99 under 100 ms and within 2× of plain ws.
//
// Modes: postgres (default): the hub on a scratch PostgreSQL database seeded small (db:seed, dropped afterwards) and
// Redis (unique key prefix, deleted afterwards); embedded (--modes postgres,embedded): the hub on a fresh PGlite dir.
// Flags in bench/fanout/options.ts; the open loop and its statistics in loop.ts; the hub runs in hub.ts (its board
// watchers in watchers.ts); the baseline in ws.ts; the table in report.ts.
// Progress on stderr; the result (machine facts, one Markdown table, notes) on stdout. It measures, it does not assert.
import os from 'node:os';
import { defineBenchmark, isFinishing, progress, raiseFdLimit, type ServerProcess, startWsServer } from '../harness/index.ts';
import { hubRun, type HubSetup, setupHub } from './fanout/hub.ts';
import { budgetMs, KIOSKS, type Mode, MODES, ROUNDS, servicesOf, WATCHERS } from './fanout/options.ts';
import { report, type Row } from './fanout/report.ts';
import { wsRun } from './fanout/ws.ts';

await defineBenchmark({
  budgetMs,
  services: servicesOf(MODES.includes('postgres')),
  main: async ({ facts, part }) => {
    // Each socket is one fd here and one in the server; the sockets of one run are closed before the next.
    const limits = raiseFdLimit(WATCHERS + KIOSKS + 512);
    const limitText = limits ? `soft ${limits.soft}, hard ${limits.hard} (this process; the servers inherit it)` : 'unknown';
    if (limits && limits.soft < WATCHERS + KIOSKS + 256) progress(`warning: open-files limit ${limits.soft} is low for ${WATCHERS} sockets; some will fail (EMFILE)`);
    progress(`${os.availableParallelism()} cores, Node ${process.version}; the servers, PostgreSQL, Redis and this load generator share them; ${limitText}`);

    // A hub that failed to start keeps its rows (with its error) in every round; the other modes still run.
    const setups = new Map<Mode, HubSetup | Error>();
    for (const mode of MODES) setups.set(mode, await part(`hub (${mode}) start`, () => setupHub(mode)));
    const rows: Row[] = [];
    // Assigned inside a part's closure: declared so that TypeScript does not narrow it to null here.
    let wsServer = null as ServerProcess | null;
    let wsFrame = NaN;
    try {
      for (let round = 1; round <= ROUNDS && !isFinishing(); round++) {
        for (const mode of MODES) {
          if (isFinishing()) break;
          const setup = setups.get(mode)!;
          const result = setup instanceof Error ? setup : await part(`hub (${mode}) round ${round}`, () => hubRun(setup, round));
          if (!(result instanceof Error) && !Number.isFinite(wsFrame) && Number.isFinite(result.payloadBytes)) wsFrame = result.payloadBytes;
          rows.push({ round, target: mode, result });
        }
        if (isFinishing()) break;
        const result = await part(`plain ws round ${round}`, async () => {
          // Started once, after the first hub run: its messages have the size of the hub's frame.
          if (!wsServer) {
            if (!Number.isFinite(wsFrame)) {
              wsFrame = 450;
              progress(`no hub frame size measured; the ws baseline sends ${wsFrame}-byte messages`);
            }
            wsServer = await startWsServer('plain ws server', ['--mode', 'fanout', '--payload-bytes', String(wsFrame)]);
            progress(`plain ws: server ready on port ${wsServer.port} (pid ${wsServer.pid}); messages of ${wsFrame} bytes`);
          }
          return wsRun(wsServer, wsFrame, round);
        });
        rows.push({ round, target: 'ws', result });
      }
    } finally {
      if (wsServer) {
        progress('plain ws: stopping the server');
        await wsServer.stop();
      }
      for (const setup of setups.values()) if (!(setup instanceof Error)) await setup.started.stop();
    }
    return report(facts, rows, limitText, wsFrame);
  },
});
