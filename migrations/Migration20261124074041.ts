import { Migration } from '@mikro-orm/migrations';

/** The foundation schema: teams, employees, attendance, raw punches and the audit trail. */
export class Migration20261124074041 extends Migration {

  override name = 'Migration20261124074041';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_log" ("audit_id" bigserial primary key, "entity_type" varchar(30) not null, "entity_id" int not null, "action" text not null, "actor_id" int null, "actor_kind" varchar(20) not null, "before" jsonb null, "after" jsonb null, "at" timestamptz not null);`);
    this.addSql(`create index "audit_entity_index" on "audit_log" ("entity_type", "entity_id");`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_action_check" check ("action" in ('create', 'update', 'delete'));`);

    this.addSql(`create table "teams" ("team_id" serial primary key, "team_name" varchar(100) not null, "workday_start" varchar(5) not null default '09:00', "grace_minutes" int not null default 5, "working_weekdays" jsonb not null default '[1,2,3,4,5]', "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`alter table "teams" add constraint "teams_team_name_unique" unique ("team_name");`);

    this.addSql(`create table "employees" ("employee_id" serial primary key, "name" varchar(200) not null, "email" varchar(254) not null, "team_id" int null, "role" varchar(100) null, "access" text not null default 'employee', "password_hash" varchar(100) not null, "badge_id" varchar(64) null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`alter table "employees" add constraint "employees_email_unique" unique ("email");`);
    this.addSql(`create index "employees_team_id_index" on "employees" ("team_id");`);
    this.addSql(`alter table "employees" add constraint "employees_badge_id_unique" unique ("badge_id");`);
    this.addSql(`alter table "employees" add constraint "employees_access_check" check ("access" in ('employee', 'manager', 'admin'));`);

    this.addSql(`create table "attendance" ("record_id" serial primary key, "employee_id" int not null, "team_id" int null, "attendance_date" date not null, "status" text not null, "check_in_time" timestamptz null, "check_out_time" timestamptz null, "notes" text null, "source" text not null default 'api', "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`create index "attendance_date_index" on "attendance" ("attendance_date");`);
    this.addSql(`create index "attendance_team_date_index" on "attendance" ("team_id", "attendance_date");`);
    this.addSql(`alter table "attendance" add constraint "attendance_employee_date_unique" unique ("employee_id", "attendance_date");`);
    this.addSql(`alter table "attendance" add constraint "attendance_status_check" check ("status" in ('Present', 'Late', 'Absent', 'Remote', 'On Leave', 'Half Day'));`);
    this.addSql(`alter table "attendance" add constraint "attendance_source_check" check ("source" in ('kiosk', 'web', 'api', 'system'));`);

    this.addSql(`create table "punches" ("punch_id" bigserial primary key, "employee_id" int not null, "occurred_at" timestamptz not null, "received_at" timestamptz not null, "source" text not null, "device" varchar(100) null, "client_event_id" varchar(100) null, "action" text not null, "record_id" int null);`);
    this.addSql(`create index "punches_employee_occurred_index" on "punches" ("employee_id", "occurred_at");`);
    this.addSql(`alter table "punches" add constraint "punches_client_event_id_unique" unique ("client_event_id");`);
    this.addSql(`alter table "punches" add constraint "punches_source_check" check ("source" in ('kiosk', 'web', 'api', 'system'));`);
    this.addSql(`alter table "punches" add constraint "punches_action_check" check ("action" in ('check_in', 'check_out'));`);

    this.addSql(`alter table "employees" add constraint "employees_team_id_foreign" foreign key ("team_id") references "teams" ("team_id") on delete set null;`);

    this.addSql(`alter table "attendance" add constraint "attendance_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
    this.addSql(`alter table "attendance" add constraint "attendance_team_id_foreign" foreign key ("team_id") references "teams" ("team_id") on delete set null;`);

    this.addSql(`alter table "punches" add constraint "punches_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
    this.addSql(`alter table "punches" add constraint "punches_record_id_foreign" foreign key ("record_id") references "attendance" ("record_id") on delete set null;`);
  }

}
