export { Summary } from './summary.entity.ts';
export { summaryEndpoints } from './summaries.routes.ts';
export { createSummaryTrigger, recomputeSummaries } from './summaries.jobs.ts';
export { computeSummary, dailyStats, refreshSummaries, weekdayName, ATTENDED, type SummaryBody } from './summary.service.ts';
