export { Attendance, STATUSES, SOURCES, type Status, type Source } from './attendance.entity.ts';
export { Punch } from './punch.entity.ts';
export { attendanceEndpoints } from './attendance.routes.ts';
export { drainPunches, punch, type PunchRequest, type PunchResult } from './punch.service.ts';
export { recordDto, type RecordDto } from './attendance.records.ts';
export { PunchEntries } from './attendance.schema.ts';
export { endOfDayJob, closeDay } from './end-of-day.service.ts';
