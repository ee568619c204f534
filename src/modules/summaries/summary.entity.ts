import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The latest computed summary of a scope ('org' or 'team:<id>'), as served by GET /summarize_attendance/. */
export const Summary = defineEntity({
  name: 'Summary',
  tableName: 'summaries',
  properties: {
    scope: p.string().length(40).primary(),
    body: p.json<Record<string, unknown>>(),
    /** SHA-256 of the body without its timestamp: a recompute that changes nothing is not announced. */
    digest: p.string().length(64),
    computed_at: p.datetime(),
  },
});

export type ISummary = InferEntity<typeof Summary>;
