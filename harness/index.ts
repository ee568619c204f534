// The harness shared by the tests, the benchmarks and the scripts: running (flags, cleanups, children), processes,
// databases, Redis, HTTP and socket clients, the machine's readings, reports, hubs ready to measure, and the skeleton of
// a benchmark.
export * from './benchmark.ts';
export * from './credentials.ts';
export * from './database.ts';
export * from './http.ts';
export * from './hubs.ts';
export * from './inspector.ts';
export * from './machine.ts';
export * from './process.ts';
export * from './redis.ts';
export * from './report.ts';
export * from './run.ts';
export * from './sockets.ts';
