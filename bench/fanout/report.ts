// The report: one Markdown table (each hub run against the plain ws run of its round), the verdicts, the notes, and
// the README's summary rows.
import os from 'node:os';
import { cell, cpuCell, int, ms, ratio, summaryLines, type SummaryRow, UNLIMITED } from '../../harness/index.ts';
import type { FanoutResult } from './loop.ts';
import { DRAIN_MS, KIOSKS, type Mode, PROCESSES, RATE, REDIS_URL, ROUNDS, SECONDS, WARMUP, WATCHERS } from './options.ts';

export type Row = { round: number; target: Mode | 'ws'; result: FanoutResult | Error };
const NAMES: Record<string, string> = { postgres: `Check-in Hub (PostgreSQL${REDIS_URL ? ' + Redis' : ''}${PROCESSES > 1 ? `, API_PROCESSES=${PROCESSES}` : ''})`, embedded: 'Check-in Hub (embedded PGlite)', ws: 'plain `ws` broadcast (baseline)' };

const WS_VERSION = await import('ws/package.json', { with: { type: 'json' } }).then((m) => (m.default as { version: string }).version, () => '?');

/** The server's CPU time per message delivered in the measured window, in µs (robust to other work on the machine). */
const cpuPerMessage = (r: FanoutResult) => (r.cpu?.hub != null && r.messagesPerSecond > 0 ? (r.cpu.hub / 100 / r.messagesPerSecond) * 1e6 : NaN);

/** This process's CPU time per message received in the measured window, in µs (the client side's cost). */
const benchPerMessage = (r: FanoutResult) => (r.cpu && r.messagesPerSecond > 0 ? (r.cpu.bench / 100 / r.messagesPerSecond) * 1e6 : NaN);

/** Why a run's latencies are queueing delays rather than the server's: missing deliveries or a late load generator. */
function saturation(r: FanoutResult): string | null {
  const reasons: string[] = [];
  if (r.expected && r.delivered < 0.99 * r.expected) reasons.push(`only ${((100 * r.delivered) / r.expected).toFixed(1)}% of the deliveries arrived within ${DRAIN_MS / 1000} s`);
  const offered = r.watchers * RATE;
  if (r.messagesPerSecond < 0.9 * offered) reasons.push(`it delivered ${int(r.messagesPerSecond)} of the ${int(offered)} messages/s offered, so its backlog grew all through the window`);
  if (r.disturbed) reasons.push(r.disturbed);
  // Late by more than a whole interval between punches (and 50 ms): the punches went out in clumps, not at the rate.
  if (r.emitLagP99 > Math.max(50, 1000 / RATE)) reasons.push(`the load generator's timer ran ${ms(r.emitLagP99)} ms late (p99), more than the ${ms(1000 / RATE)} ms between punches, so it did not hold ${RATE} punches/s`);
  return reasons.length ? reasons.join('; ') : null;
}

export function report(factLines: string[], rows: Row[], limits: string, wsFrame: number) {
  const out: string[] = [];
  out.push('## Check-in Hub board fan-out benchmark', '', ...factLines, `- open files: ${limits}`, '');
  out.push(
    `Run: ${int(WATCHERS)} sockets watching ONE team board; ${RATE} punches/s (open loop, ${KIOSKS} kiosks) for ${WARMUP} s warm-up + ${SECONDS} s measured, i.e. ${int(WATCHERS * RATE)} messages/s to deliver; ${ROUNDS} round(s), hub then ws in each. ` +
      `Delivery = from the kiosk's emit to a watcher's message, over every (measured punch, watcher) pair, in ms. Ratios are against the plain ws run of the same round. ` +
      `Server CPU per message = the server process's CPU time in the window ÷ the messages delivered in it (for the hub it includes the punches' own work); unlike wall-clock latency it hardly depends on how busy the machine is. ` +
      `CPU in the measured window in % of one core (${os.availableParallelism() * 100}% = every core): the server process, this load generator, PostgreSQL, Redis, the whole machine (the rest is other work).`,
    '',
  );
  out.push(
    '| round | server | watchers | punches sent (measured) | acked | delivery p50 | delivery p90 | delivery p99 | max | p99 ÷ ws p99 | messages/s delivered | ÷ ws | server CPU µs per message | ÷ ws | delivered / expected | ack p50 | ack p99 | errors | CPU |',
  );
  out.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const baselineOf = (round: number) => {
    const b = rows.find((r) => r.round === round && r.target === 'ws')?.result;
    return b && !(b instanceof Error) ? b : null;
  };
  for (const { round, target, result: r } of rows) {
    const name = NAMES[target] ?? target;
    if (r instanceof Error) {
      out.push(`| ${round} | ${name} | failed: ${cell(r.message.split('\n')[0])} | | | | | | | | | | | | | | | | |`);
      continue;
    }
    const isBaseline = target === 'ws';
    const b = baselineOf(round);
    const errors = Object.values(r.errors).reduce((x, y) => x + y, 0);
    out.push(
      `| ${round} | ${name}${r.disturbed ? ' ⚠ disturbed' : saturation(r) ? ' ⚠ saturated' : ''} | ${int(r.watchers)} | ${int(r.sent)} (${int(r.measuredSent)}) | ${int(r.acked)} | ${ms(r.delivery.p50)} | ${ms(r.delivery.p90)} | **${ms(r.delivery.p99)}** | ${ms(r.delivery.max)} | ` +
        `${isBaseline ? '1.00 (baseline)' : `**${ratio(r.delivery.p99, b?.delivery.p99 ?? NaN)}**`} | ${int(r.messagesPerSecond)} | ${isBaseline ? '1.00' : ratio(r.messagesPerSecond, b?.messagesPerSecond ?? NaN)} | ` +
        `${ms(cpuPerMessage(r))} | ${isBaseline ? '1.00' : b ? ratio(cpuPerMessage(r), cpuPerMessage(b)) : '—'} | ` +
        `${int(r.delivered)} / ${int(r.expected)} | ${ms(r.ack.p50)} | ${ms(r.ack.p99)} | ${int(errors)} | ${cpuCell(r.cpu)} |`,
    );
  }
  out.push('', 'Verdict (target: hub p99 < 100 ms and ≤ 2× the plain ws p99 of the same round):');
  for (const { round, target, result: r } of rows) {
    if (target === 'ws') continue;
    const name = `round ${round}, ${NAMES[target] ?? target}`;
    const b = baselineOf(round);
    if (r instanceof Error || !b) {
      out.push(`- ${name}: no verdict (${r instanceof Error ? 'the hub run failed' : 'the baseline failed'}).`);
      continue;
    }
    const k = r.delivery.p99 / b.delivery.p99;
    const sat = [saturation(r) && `hub run: ${saturation(r)}`, saturation(b) && `ws baseline: ${saturation(b)}`].filter(Boolean);
    out.push(
      `- ${name}: p99 ${ms(r.delivery.p99)} ms (${r.delivery.p99 < 100 ? 'under' : 'NOT under'} 100 ms), ${k.toFixed(2)}× plain ws (${k <= 2 ? 'within' : 'NOT within'} 2×)` +
        (sat.length
          ? `. **The latencies are not a valid comparison** (${sat.join('; ')}): they measure a backlog, not the server's delivery time. ` +
            `What still compares: the hub delivered ${ratio(r.messagesPerSecond, b.messagesPerSecond)} the plain ws server's messages/s, at ${ratio(cpuPerMessage(r), cpuPerMessage(b))} its CPU per message ` +
            `(one hub process tops out near ${int(1e6 / cpuPerMessage(r))} messages/s per core, plain ws near ${int(1e6 / cpuPerMessage(b))}).`
          : '.'),
    );
  }
  out.push('', 'Notes:');
  for (const { round, target, result: r } of rows) {
    if (r instanceof Error) continue;
    const codes = Object.entries(r.errors).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
    const head = `- round ${round}, ${NAMES[target] ?? target}: `;
    if (target === 'ws') {
      out.push(`${head}watchers connected in ${r.connectSeconds.toFixed(1)} s; load-generator CPU per message ${ms(benchPerMessage(r))} µs; timer lateness of the open loop p99 ${ms(r.emitLagP99)} ms; load-generator event-loop delay p99 ${ms(r.loopDelayP99)} ms.`);
    } else {
      out.push(
        `${head}${r.notes.join('; ')}; watchers connected and joined in ${r.connectSeconds.toFixed(1)} s; \`attendance:changed\` frame ${int(r.payloadBytes)} bytes; ` +
          `errors: ${codes}; broadcasts matching no punch: ${int(r.unmatched)}; hub error log lines: ${r.serverErrorLogs}; ` +
          `load-generator CPU per message ${ms(benchPerMessage(r))} µs; timer lateness of the open loop p99 ${ms(r.emitLagP99)} ms; load-generator event-loop delay p99 ${ms(r.loopDelayP99)} ms.`,
      );
    }
  }
  out.push(
    `- plain ws: bench/ws-server.ts (ws ${WS_VERSION}, no Socket.IO, no database, no Redis) answers each kiosk message with \`send()\` of a ${int(wsFrame)}-byte JSON text message (the size of the hub's frame) to every watcher, then an ack; its watchers are \`ws\` clients that JSON.parse each message.`,
    '- A hub delivery includes the whole punch: validation, the group-committed PostgreSQL transaction, the per-team sequence number, then Socket.IO encoding and a websocket frame per watcher (frames queued for one socket leave in one write). The ws baseline only relays.',
    `- Every client (watchers and kiosks) lives in this one Node process: a broadcast is ${int(WATCHERS)} messages this process handles one after the other, so a delivery p99 includes the client-side time to get through the burst (on real devices that work is spread over ${int(WATCHERS)} machines); its event loop delays the timestamps of both servers alike; hub and ws runs alternate, so load from other work on the machine differs between them. Rate limits raised for the hub (${Object.entries(UNLIMITED).map(([k, v]) => `${k}=${v}`).join(', ')}).`,
  );
  const summary: SummaryRow[] = [];
  for (const { round, target, result: r } of rows) {
    const b = baselineOf(round);
    if (target === 'ws' || r instanceof Error || !b) continue;
    const sat = saturation(r) || saturation(b);
    summary.push({
      benchmark: `board fan-out, ${int(WATCHERS)} watchers of one team, ${RATE} punches/s (${int(WATCHERS * RATE)} messages/s)${ROUNDS > 1 ? `, round ${round}` : ''}`,
      hub: `delivery p50 ${ms(r.delivery.p50)} / p99 ${ms(r.delivery.p99)} ms${sat ? ' (saturated: a backlog)' : ''}; ${int(r.messagesPerSecond)} messages/s at ${ms(cpuPerMessage(r))} µs CPU each`,
      baseline: `plain ws: p99 ${ms(b.delivery.p99)} ms; ${int(b.messagesPerSecond)} messages/s at ${ms(cpuPerMessage(b))} µs`,
      ratio: sat
        ? `messages/s ${ratio(r.messagesPerSecond, b.messagesPerSecond)}, CPU per message ${ratio(cpuPerMessage(r), cpuPerMessage(b))}`
        : `p99 ${ratio(r.delivery.p99, b.delivery.p99)} (target ≤ 2×, < 100 ms)`,
    });
  }
  out.push('', ...summaryLines(summary));
  return out.join('\n');
}
