import { inject } from 'vitest';

/** This run's own PostgreSQL database (created and migrated by tests/global-setup.ts). */
export const testDatabaseUrl = inject('databaseUrl');
