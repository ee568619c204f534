import type { SummaryBody } from './summary.service.ts';

declare module '../../infra/bus.ts' {
  interface DomainEvents {
    /** A team's or the organisation's summary changed (after a recompute); the body is GET /summarize_attendance/'s. */
    'summary.updated': SummaryBody;
  }
}

declare module '../../infra/socket-contract.ts' {
  interface ServerToClient {
    /** A team's or the organisation's summary changed (team boards and admins). The body is GET /summarize_attendance/'s. */
    'summary:updated': (summary: SummaryBody) => void;
  }
}
