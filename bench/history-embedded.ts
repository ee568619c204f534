// npm run bench:history -- --embedded [--employees 1000 --days 365 --keep-db], or this script directly: the hub on
// PGlite (embedded mode) next to the hub on PostgreSQL at the same volume (bench/history/embedded-main.ts).
import { defineBenchmark } from '../harness/index.ts';
import { embeddedMain } from './history/embedded-main.ts';
import { HISTORY_BENCHMARK } from './history/options.ts';

await defineBenchmark({ ...HISTORY_BENCHMARK, main: embeddedMain });
