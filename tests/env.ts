/** The PostgreSQL database the tests own (dropped and recreated at the start of every run). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/checkin_hub_test';
