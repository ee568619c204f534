export { AuditLog } from './audit.entity.ts';
export { actorOf, recordAudit } from './audit.service.ts';
export { auditLog, type AuditEntry } from './audit.repository.ts';
export { auditEndpoints } from './audit.routes.ts';
