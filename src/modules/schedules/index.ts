export { Schedule, ScheduleVersionEntity, EmployeeSchedule, HolidayEntity } from './schedule.entity.ts';
export * from './schedule.rules.ts';
export { scheduleEndpoints } from './schedules.routes.ts';
export { schedules, assignments, holidays, versionOf, type SchedulePattern } from './schedules.repository.ts';
export { addAssignment, deleteAssignment, listAssignments, saveTeamSchedule, scheduleDto, type ScheduleDto } from './schedules.service.ts';
export { AssignmentCreate, AssignmentItemParams, AssignmentOut, AssignmentParams } from './schedules.schema.ts';
export type { WorkdayChanged } from './schedules.events.ts';
