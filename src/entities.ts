import { Attendance } from './modules/attendance/attendance.entity.ts';
import { AttendanceCorrection } from './modules/attendance/correction.entity.ts';
import { AttendanceChange, AttendanceChangesPruned } from './modules/attendance/change.entity.ts';
import { Punch, PunchKey } from './modules/attendance/punch.entity.ts';
import { AuditLog } from './modules/audit/audit.entity.ts';
import { Employee } from './modules/employees/employee.entity.ts';
import { Kiosk } from './modules/kiosks/kiosk.entity.ts';
import { EmployeeSchedule, HolidayEntity, Schedule, ScheduleVersionEntity } from './modules/schedules/schedule.entity.ts';
import { RefreshToken } from './modules/sessions/refresh-token.entity.ts';
import { ApiKey } from './modules/apikeys/api-key.entity.ts';
import { Summary } from './modules/summaries/summary.entity.ts';
import { Team } from './modules/teams/team.entity.ts';
import { Webhook, WebhookBatch, WebhookDelivery } from './modules/webhooks/webhook.entity.ts';

/** Every entity, listed explicitly (no folder scanning). */
export const entities = [Schedule, ScheduleVersionEntity, EmployeeSchedule, HolidayEntity, Team, Employee, Attendance, AttendanceCorrection, AttendanceChange, AttendanceChangesPruned, Punch, PunchKey, AuditLog, Kiosk, Summary, RefreshToken, ApiKey, Webhook, WebhookBatch, WebhookDelivery];
