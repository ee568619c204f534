import { Migration } from '@mikro-orm/migrations';

/**
 * Corrections with approval: a person (or their manager, or an admin) asks for a change to a day's record, with a
 * reason; a manager of the person's team or an admin approves it (the change is applied to the day) or rejects it.
 * At most one pending request per person and day. The audit trail gets the requests' own actions.
 */
export class Migration20261204130000 extends Migration {

  override name = 'Migration20261204130000';

  override up(): void | Promise<void> {
    this.addSql(`create table "attendance_corrections" ("correction_id" serial primary key, "employee_id" int not null, "attendance_date" date not null, "record_id" int null, "requested_by" int null, "changes" jsonb not null, "reason" text not null, "status" text not null default 'pending', "comment" text null, "resolved_by" int null, "resolved_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`alter table "attendance_corrections" add constraint "attendance_corrections_status_check" check ("status" in ('pending', 'approved', 'rejected', 'cancelled'));`);
    this.addSql(`create index "attendance_corrections_status_employee_index" on "attendance_corrections" ("status", "employee_id");`);
    this.addSql(`create index "attendance_corrections_employee_date_index" on "attendance_corrections" ("employee_id", "attendance_date");`);
    this.addSql(`create index "attendance_corrections_record_index" on "attendance_corrections" ("record_id");`);
    this.addSql(`create unique index "attendance_corrections_pending_unique" on "attendance_corrections" ("employee_id", "attendance_date") where "status" = 'pending';`);
    this.addSql(`alter table "attendance_corrections" add constraint "attendance_corrections_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
    this.addSql(`alter table "attendance_corrections" add constraint "attendance_corrections_record_id_foreign" foreign key ("record_id") references "attendance" ("record_id") on delete set null;`);
    this.addSql(`alter table "attendance_corrections" add constraint "attendance_corrections_requested_by_foreign" foreign key ("requested_by") references "employees" ("employee_id") on delete set null;`);
    this.addSql(`alter table "attendance_corrections" add constraint "attendance_corrections_resolved_by_foreign" foreign key ("resolved_by") references "employees" ("employee_id") on delete set null;`);
    this.addSql(`alter table "audit_log" drop constraint if exists "audit_log_action_check";`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_action_check" check ("action" in ('create', 'update', 'delete', 'request', 'approve', 'reject', 'cancel'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "attendance_corrections" cascade;`);
    this.addSql(`delete from "audit_log" where "action" in ('request', 'approve', 'reject', 'cancel');`);
    this.addSql(`alter table "audit_log" drop constraint if exists "audit_log_action_check";`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_action_check" check ("action" in ('create', 'update', 'delete'));`);
  }

}
