// Inside a child started with --inspect=127.0.0.1:0: full garbage collections, process.memoryUsage(), heap snapshots
// and what they hold.
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { withTimeout } from './run.ts';
import { openWs } from './sockets.ts';

/**
 * A minimal Chrome DevTools Protocol client on a child's inspector (its "Debugger listening on ws://…" URL). Only the
 * benchmark's own children are started with --inspect (on loopback, port 0): the hub's code is unchanged.
 */
export class Inspector {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (result: any) => void; reject: (error: Error) => void }>();
  #listeners = new Map<string, (params: any) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
      if (message.id != null) {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) pending?.reject(new Error(message.error.message));
        else pending?.resolve(message.result);
      } else if (message.method) this.#listeners.get(message.method)?.(message.params);
    });
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('inspector connection closed'));
      this.#pending.clear();
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = await openWs(url, 10_000);
    return new Inspector(ws);
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.#next++;
    const answer = new Promise<T>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#ws.send(JSON.stringify({ id, method, params }));
    return withTimeout(answer, timeoutMs, `inspector ${method}`);
  }

  on(method: string, listener: ((params: any) => void) | null) {
    if (listener) this.#listeners.set(method, listener);
    else this.#listeners.delete(method);
  }

  /** Two full, compacting collections (the second frees what the first one's finalizers let go). */
  async collectGarbage() {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
  }

  /** process.memoryUsage() inside the child, in bytes. */
  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    const { result } = await this.send<{ result: { value: string } }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    return JSON.parse(result.value) as NodeJS.MemoryUsage;
  }

  /** A heap snapshot (V8 collects first), written to `file` too if given. */
  async heapSnapshot(file?: string): Promise<HeapGraph> {
    const chunks: string[] = [];
    this.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }: { chunk: string }) => chunks.push(chunk));
    try {
      await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false }, 600_000);
    } finally {
      this.on('HeapProfiler.addHeapSnapshotChunk', null);
    }
    const text = chunks.join('');
    chunks.length = 0;
    if (file) writeFileSync(file, text);
    return new HeapGraph(JSON.parse(text) as RawSnapshot);
  }

  close() {
    this.#ws.close();
  }
}

/** Objects of a heap snapshot grouped by kind: count and self size (bytes). */
export type HeapSummary = { nodes: number; bytes: number; groups: Map<string, { count: number; bytes: number }> };

type RawSnapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
};

/** A V8 heap snapshot (the .heapsnapshot JSON) as a graph: a summary by kind of object, and what dropping references would free. */
export class HeapGraph {
  readonly count: number;
  #s: RawSnapshot;
  #nf: number;
  #ef: number;
  #f: { type: number; name: number; size: number; edges: number; eType: number; eName: number; eTo: number };
  #first: Uint32Array;
  #nodeTypes: string[];
  #edgeTypes: string[];

  constructor(snapshot: RawSnapshot) {
    const { meta } = snapshot.snapshot;
    this.#s = snapshot;
    this.#nf = meta.node_fields.length;
    this.#ef = meta.edge_fields.length;
    const n = (f: string) => meta.node_fields.indexOf(f);
    const e = (f: string) => meta.edge_fields.indexOf(f);
    this.#f = { type: n('type'), name: n('name'), size: n('self_size'), edges: n('edge_count'), eType: e('type'), eName: e('name_or_index'), eTo: e('to_node') };
    this.#nodeTypes = meta.node_types[0];
    this.#edgeTypes = meta.edge_types[0];
    this.count = snapshot.nodes.length / this.#nf;
    this.#first = new Uint32Array(this.count + 1);
    for (let i = 0, k = 0; i < this.count; i++) {
      this.#first[i] = k;
      k += snapshot.nodes[i * this.#nf + this.#f.edges];
      this.#first[i + 1] = k;
    }
  }

  type(i: number) {
    return this.#nodeTypes[this.#s.nodes[i * this.#nf + this.#f.type]];
  }
  name(i: number) {
    return this.#s.strings[this.#s.nodes[i * this.#nf + this.#f.name]];
  }
  size(i: number) {
    return this.#s.nodes[i * this.#nf + this.#f.size];
  }
  edgeType(e: number) {
    return this.#edgeTypes[this.#s.edges[e * this.#ef + this.#f.eType]];
  }
  edgeName(e: number) {
    const t = this.edgeType(e);
    const v = this.#s.edges[e * this.#ef + this.#f.eName];
    return t === 'element' || t === 'hidden' ? String(v) : this.#s.strings[v];
  }
  target(e: number) {
    return this.#s.edges[e * this.#ef + this.#f.eTo] / this.#nf;
  }
  edgesOf(i: number) {
    return { from: this.#first[i], to: this.#first[i + 1] };
  }
  /** Kind of node: constructor for objects, function name for closures, V8's name for internal ones, strings together. */
  kind(i: number) {
    const t = this.type(i);
    if (t === 'string' || t === 'concatenated string' || t === 'sliced string') return '(string)';
    if (t === 'code') return '(code)';
    if (t === 'number') return '(number)';
    if (t === 'closure') return `${this.name(i) || '(anonymous)'}()`;
    return this.name(i);
  }

  /**
   * Groups the nodes: objects by constructor, closures by function name, V8's internal arrays and hidden objects by
   * their name, strings together. Plain Objects, Arrays, strings, internal arrays and closures are too common to tell
   * apart by name alone, so they are grouped by their first retainer too ("Object ← Socket.handshake": a plain Object
   * held in the `handshake` property of a Socket).
   */
  summary(): HeapSummary {
    const owner = new Int32Array(this.count).fill(-1);
    const ownerEdge = new Int32Array(this.count).fill(-1);
    const ownerRank = new Uint8Array(this.count);
    const rank: Record<string, number> = { property: 4, element: 3, context: 2, internal: 1 };
    for (let i = 0; i < this.count; i++) {
      const { from, to } = this.edgesOf(i);
      for (let e = from; e < to; e++) {
        const r = rank[this.edgeType(e)] ?? 0;
        const t = this.target(e);
        if (r > ownerRank[t]) {
          ownerRank[t] = r;
          owner[t] = i;
          ownerEdge[t] = e;
        }
      }
    }
    const generic = new Set(['Object', 'Array', '(string)', '(object properties)', '(object elements)', 'system / Context', '(anonymous)()', '(number)']);
    const groups = new Map<string, { count: number; bytes: number }>();
    let bytes = 0;
    for (let i = 0; i < this.count; i++) {
      let key = this.kind(i);
      const t = this.type(i);
      if ((generic.has(key) || t === 'array' || t === 'closure' || t === 'hidden') && owner[i] >= 0) {
        const e = ownerEdge[i];
        key = `${key} ← ${this.kind(owner[i])}.${this.edgeType(e) === 'element' ? '[]' : this.edgeName(e)}`;
      }
      const size = this.size(i);
      bytes += size;
      const g = groups.get(key);
      if (g) {
        g.count++;
        g.bytes += size;
      } else groups.set(key, { count: 1, bytes: size });
    }
    return { nodes: this.count, bytes, groups };
  }

  /**
   * Bytes that would no longer be reachable if the references named in `cuts` were dropped: "Class.edge" (the property
   * `edge` of every object of that constructor), "Class[prop].edge" (only objects that also have a property `prop`:
   * socket.io's, engine.io's and net's sockets are all "Socket"), several joined with "+". Weak edges never retain.
   * A dictionary-mode object (EventEmitter's `_events`) also reaches its values through its properties store: those
   * edges are dropped with the property's.
   */
  freedBy(cuts: string): number {
    const rules = new Map<string, { prop?: string; edges: Set<string> }[]>();
    for (const cut of cuts.split('+')) {
      const m = /^([^.[]+)(?:\[([^\]]+)\])?\.(.+)$/.exec(cut.trim());
      if (!m) throw new Error(`bad cut "${cut}"`);
      const [, cls, prop, edge] = m;
      const list = rules.get(cls) ?? [];
      rules.set(cls, list);
      let rule = list.find((r) => r.prop === prop);
      if (!rule) list.push((rule = { prop, edges: new Set() }));
      rule.edges.add(edge);
    }
    const base = this.#reach(new Map());
    const cut = this.#reach(rules);
    let freed = 0;
    for (let i = 0; i < this.count; i++) if (base[i] && !cut[i]) freed += this.size(i);
    return freed;
  }

  #reach(rules: Map<string, { prop?: string; edges: Set<string> }[]>): Uint8Array {
    const seen = new Uint8Array(this.count);
    const stack = [0];
    seen[0] = 1;
    const push = (t: number) => {
      if (!seen[t]) {
        seen[t] = 1;
        stack.push(t);
      }
    };
    while (stack.length) {
      const i = stack.pop()!;
      const { from, to } = this.edgesOf(i);
      let cutEdges: Set<string> | null = null;
      for (const rule of rules.get(this.name(i)) ?? []) {
        if (rule.prop && !this.#hasEdge(i, rule.prop)) continue;
        cutEdges = rule.edges;
        break;
      }
      const cutTargets = new Set<number>();
      if (cutEdges) for (let e = from; e < to; e++) if (cutEdges.has(this.edgeName(e))) cutTargets.add(this.target(e));
      for (let e = from; e < to; e++) {
        const type = this.edgeType(e);
        if (type === 'weak' || type === 'shortcut') continue;
        if (cutEdges?.has(this.edgeName(e))) continue;
        const t = this.target(e);
        if (cutTargets.size && this.edgeName(e) === 'properties' && this.name(t) === '(object properties)') {
          seen[t] = 1;
          const inner = this.edgesOf(t);
          for (let e2 = inner.from; e2 < inner.to; e2++) if (this.edgeType(e2) !== 'weak' && !cutTargets.has(this.target(e2))) push(this.target(e2));
          continue;
        }
        push(t);
      }
    }
    return seen;
  }

  #hasEdge(i: number, name: string) {
    const { from, to } = this.edgesOf(i);
    for (let e = from; e < to; e++) if (this.edgeName(e) === name) return true;
    return false;
  }
}

/** What `after` holds more than `before`, per `per` (sockets), largest first. */
export function heapGrowth(before: HeapSummary, after: HeapSummary, per: number) {
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, a] of after.groups) {
    const b = before.groups.get(key) ?? { count: 0, bytes: 0 };
    if (a.bytes > b.bytes) rows.push({ key, count: (a.count - b.count) / per, bytes: (a.bytes - b.bytes) / per });
  }
  return { perSocket: (after.bytes - before.bytes) / per, objectsPerSocket: (after.nodes - before.nodes) / per, rows: rows.sort((x, y) => y.bytes - x.bytes) };
}
