import { Migration } from '@mikro-orm/migrations';

/**
 * The working day as people live it: schedules (versions, rotations, assignments), holidays, per-team time zones and
 * weekly limits, and the day record's intervals with their figures. Each team's start time, grace and working
 * weekdays become a schedule of its own (09:00 start → a 09:00–17:00 shift on each working weekday). Every existing
 * record gets its interval (first in, last out: all the old model knew), the minutes worked and, by the team's old
 * week, planned minutes and overtime; weekly overtime from the minutes worked earlier in each ISO week. Badges are
 * stored normalised (trimmed, upper case). Times of day and early leave of past days need a time zone the database
 * does not know: records made from now on carry them (POST /attendance/recompute fills them in for a period).
 */
export class Migration20261204090000 extends Migration {

  override name = 'Migration20261204090000';

  override up(): void | Promise<void> {
    // Rewrites every attendance record: on a large history this runs for minutes, past the pool's statement_timeout
    // (30 s), which would cancel it and leave the hub retrying at every start. Lifted for this transaction only.
    this.addSql(`set local statement_timeout = 0;`);
    this.addSql(`create table "schedules" ("schedule_id" serial primary key, "name" varchar(100) not null, "cycle_weeks" int not null default 1, "starts_on" date not null, "grace_minutes" int not null default 5, "shifts" jsonb not null default '[]', "version" int not null default 1, "valid_from" date not null default '1900-01-01', "owner_team_id" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`alter table "schedules" add constraint "schedules_name_unique" unique ("name");`);
    this.addSql(`create table "schedule_versions" ("schedule_id" int not null, "version" int not null, "valid_from" date not null, "cycle_weeks" int not null, "starts_on" date not null, "grace_minutes" int not null, "shifts" jsonb not null, "created_at" timestamptz not null, primary key ("schedule_id", "version"));`);
    this.addSql(`alter table "schedule_versions" add constraint "schedule_versions_schedule_id_foreign" foreign key ("schedule_id") references "schedules" ("schedule_id") on delete cascade;`);
    this.addSql(`create table "employee_schedules" ("assignment_id" serial primary key, "employee_id" int not null, "schedule_id" int not null, "valid_from" date not null, "valid_to" date null, "created_at" timestamptz not null);`);
    this.addSql(`create index "employee_schedules_employee_index" on "employee_schedules" ("employee_id", "valid_from");`);
    this.addSql(`create index "employee_schedules_schedule_index" on "employee_schedules" ("schedule_id");`);
    this.addSql(`alter table "employee_schedules" add constraint "employee_schedules_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
    this.addSql(`alter table "employee_schedules" add constraint "employee_schedules_schedule_id_foreign" foreign key ("schedule_id") references "schedules" ("schedule_id") on delete restrict;`);
    this.addSql(`create table "holidays" ("holiday_id" serial primary key, "date" date not null, "name" varchar(100) not null, "team_id" int null, "created_at" timestamptz not null);`);
    this.addSql(`create unique index "holidays_date_team_unique" on "holidays" ("date", coalesce("team_id", 0));`);
    this.addSql(`alter table "holidays" add constraint "holidays_team_id_foreign" foreign key ("team_id") references "teams" ("team_id") on delete cascade;`);

    this.addSql(`alter table "teams" add "schedule_id" int null, add "timezone" varchar(64) null, add "weekly_hours" numeric(5,2) not null default 40, add "missing_check_out" text not null default 'flag';`);
    this.addSql(`alter table "teams" add constraint "teams_missing_check_out_check" check ("missing_check_out" in ('flag', 'close_at_shift_end'));`);
    this.addSql(`alter table "teams" add constraint "teams_schedule_id_foreign" foreign key ("schedule_id") references "schedules" ("schedule_id") on delete set null;`);
    this.addSql(`alter table "schedules" add constraint "schedules_owner_team_id_foreign" foreign key ("owner_team_id") references "teams" ("team_id") on delete set null;`);
    // Each team's old settings, as a schedule it owns: a shift from its start time, eight hours long, on each working weekday.
    this.addSql(`
      with made as (
        insert into "schedules" ("name", "cycle_weeks", "starts_on", "grace_minutes", "shifts", "version", "valid_from", "owner_team_id", "created_at", "updated_at")
        select left(t.team_name, 89) || ' hours', 1, date_trunc('week', current_date)::date, t.grace_minutes,
               coalesce((select jsonb_agg(jsonb_build_object('week', 1, 'weekday', d::int, 'start', t.workday_start,
                                                             'end', to_char(('2000-01-01 ' || t.workday_start)::timestamp + interval '8 hours', 'HH24:MI'),
                                                             'break_minutes', 0) order by d::int)
                           from jsonb_array_elements_text(t.working_weekdays) d), '[]'::jsonb),
               1, '1900-01-01', t.team_id, now(), now()
          from "teams" t
        returning "schedule_id", "owner_team_id"
      )
      update "teams" t set "schedule_id" = made."schedule_id" from made where made."owner_team_id" = t."team_id";`);
    this.addSql(`insert into "schedule_versions" select "schedule_id", "version", "valid_from", "cycle_weeks", "starts_on", "grace_minutes", "shifts", now() from "schedules";`);

    this.addSql(`alter table "attendance" add "intervals" jsonb not null default '[]', add "worked_minutes" int not null default 0, add "break_minutes" int not null default 0, add "overtime_minutes" int not null default 0, add "weekly_overtime_minutes" int not null default 0, add "planned_minutes" int null, add "left_early" boolean not null default false, add "shift_start" timestamptz null, add "shift_end" timestamptz null, add "schedule_id" int null, add "schedule_version" int null, add "timezone" varchar(64) null, add "last_punch_at" timestamptz null, add "intervals_edited" boolean not null default false;`);
    // One pass over the records: each row is rewritten once.
    this.addSql(`
      with figures as (
        select a."record_id", a."employee_id", a."attendance_date",
               t.schedule_id,
               case when a.check_in_time is null then null
                    when coalesce(t.working_weekdays, '[1,2,3,4,5]'::jsonb) @> to_jsonb(extract(isodow from a.attendance_date)::int) then 480 end as planned,
               case when a.check_in_time is not null and a.check_out_time is not null
                    then greatest(0, round(extract(epoch from a.check_out_time - a.check_in_time) / 60))::int else 0 end as worked,
               coalesce(t.weekly_hours, 40) * 60 as weekly_limit
          from "attendance" a left join "teams" t on t."team_id" = a."team_id"
      ), weekly as (
        select f.*, coalesce(sum(f.worked) over (partition by f."employee_id", date_trunc('week', f."attendance_date") order by f."attendance_date"
                                                 rows between unbounded preceding and 1 preceding), 0) as worked_before
          from figures f
      ), last_punch as (
        select "record_id", max("occurred_at") as at from "punches" where "record_id" is not null group by "record_id"
      )
      update "attendance" a
         set "intervals" = case when a."check_in_time" is null then '[]'::jsonb
                                else jsonb_build_array(jsonb_build_object(
                                  'check_in_time', to_char(a."check_in_time" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                  'check_out_time', case when a."check_out_time" is null then null
                                                         else to_char(a."check_out_time" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end)) end,
             "worked_minutes" = w.worked,
             "planned_minutes" = w.planned,
             "overtime_minutes" = case when w.planned is null then w.worked else greatest(0, w.worked - w.planned) end,
             "weekly_overtime_minutes" = (greatest(0, w.worked_before + w.worked - w.weekly_limit) - greatest(0, w.worked_before - w.weekly_limit))::int,
             "schedule_id" = w.schedule_id,
             "schedule_version" = case when w.schedule_id is null then 0 else 1 end,
             "last_punch_at" = lp.at
        from weekly w left join last_punch lp on lp."record_id" = w."record_id"
       where w."record_id" = a."record_id";`);

    this.addSql(`alter table "teams" drop column "workday_start", drop column "grace_minutes", drop column "working_weekdays";`);

    this.addSql(`alter table "punches" add "intent" text null;`);
    this.addSql(`alter table "punches" drop constraint "punches_action_check";`);
    this.addSql(`alter table "punches" add constraint "punches_action_check" check ("action" in ('check_in', 'check_out', 'ignored'));`);
    this.addSql(`alter table "punches" add constraint "punches_intent_check" check ("intent" in ('auto', 'check_in', 'check_out'));`);

    // Badges compare trimmed and case-insensitively; one that would collide with another stays as it was.
    this.addSql(`
      update "employees" e set "badge_id" = upper(btrim(e."badge_id"))
       where e."badge_id" is not null and e."badge_id" <> upper(btrim(e."badge_id"))
         and not exists (select 1 from "employees" o where o."employee_id" <> e."employee_id" and upper(btrim(o."badge_id")) = upper(btrim(e."badge_id")));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "punches" drop constraint "punches_intent_check", drop constraint "punches_action_check";`);
    this.addSql(`update "punches" set "action" = 'check_out' where "action" = 'ignored';`);
    this.addSql(`alter table "punches" add constraint "punches_action_check" check ("action" in ('check_in', 'check_out')), drop column "intent";`);
    this.addSql(`alter table "teams" add "workday_start" varchar(5) not null default '09:00', add "grace_minutes" int not null default 5, add "working_weekdays" jsonb not null default '[1,2,3,4,5]';`);
    this.addSql(`
      update "teams" t set "workday_start" = coalesce(s."shifts" -> 0 ->> 'start', '09:00'), "grace_minutes" = s."grace_minutes",
             "working_weekdays" = coalesce((select jsonb_agg(distinct (x ->> 'weekday')::int) from jsonb_array_elements(s."shifts") x where (x ->> 'week')::int = 1), '[]')
        from "schedules" s where s."schedule_id" = t."schedule_id";`);
    this.addSql(`alter table "attendance" drop column "intervals", drop column "worked_minutes", drop column "break_minutes", drop column "overtime_minutes", drop column "weekly_overtime_minutes", drop column "planned_minutes", drop column "left_early", drop column "shift_start", drop column "shift_end", drop column "schedule_id", drop column "schedule_version", drop column "timezone", drop column "last_punch_at", drop column "intervals_edited";`);
    this.addSql(`alter table "teams" drop constraint "teams_schedule_id_foreign", drop column "schedule_id", drop column "timezone", drop column "weekly_hours", drop column "missing_check_out";`);
    this.addSql(`drop table "holidays";`);
    this.addSql(`drop table "employee_schedules";`);
    this.addSql(`drop table "schedule_versions";`);
    this.addSql(`drop table "schedules";`);
  }

}
