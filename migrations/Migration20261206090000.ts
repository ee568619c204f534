import { Migration } from '@mikro-orm/migrations';

/** The columns of `punches`, in their order (the table keeps the order it had). */
const COLUMNS = `"punch_id", "employee_id", "occurred_at", "received_at", "source", "device", "client_event_id", "action", "record_id", "intent"`;

/**
 * `punches` becomes a table partitioned by month (UTC) of `occurred_at`, so that retention (PUNCH_RETENTION_MONTHS)
 * drops whole months instead of deleting rows. Partitions are named `punches_yYYYYmMM`: one for each month that has
 * punches, and the previous month to three months ahead; the `attendance:partition-punches` job keeps creating them.
 * A DEFAULT partition takes a punch whose month has none yet, so none is ever refused for its time.
 *
 * The key is `occurred_at`, not `received_at`: every read of punches asks for one person's punches between two
 * `occurred_at` (the days a batch spans, a late punch's rebuild), which then touches one or two partitions, and a
 * month kept or dropped is the month the punches belong to as attendance (an offline kiosk's replay arrives days
 * after it happened, and would otherwise land in another month than its day).
 *
 * A unique key of a partitioned table must contain the partition key, so `client_event_id` can no longer be unique
 * in `punches` itself. It moves to `punch_keys` (client_event_id primary key → punch_id, occurred_at), one table
 * whatever the partitions, written by the same statement as the punch: a retried event is recognised whatever month
 * either of its copies claims, exactly as the unique constraint did. Nothing refers to `punches`, so a month can be
 * dropped without touching another table; its keys go with it (by `punch_keys_occurred_at_index`).
 */
export class Migration20261206090000 extends Migration {

  override name = 'Migration20261206090000';

  override up(): void | Promise<void> {
    // Copies every punch: on a large history this runs past the pool's statement_timeout (30 s). Lifted for this
    // transaction only.
    this.addSql(`set local statement_timeout = 0;`);
    this.addSql(`alter table "punches" rename to "punches_unpartitioned";`);
    this.addSql(`alter table "punches_unpartitioned" rename constraint "punches_pkey" to "punches_unpartitioned_pkey";`);
    this.addSql(`alter table "punches_unpartitioned" rename constraint "punches_client_event_id_unique" to "punches_unpartitioned_client_event_id_unique";`);
    this.addSql(`alter index "punches_employee_occurred_index" rename to "punches_unpartitioned_employee_occurred_index";`);

    this.addSql(`create table "punches" ("punch_id" bigint not null default nextval('punches_punch_id_seq'), "employee_id" int not null, "occurred_at" timestamptz not null, "received_at" timestamptz not null, "source" text not null, "device" varchar(100) null, "client_event_id" varchar(100) null, "action" text not null, "record_id" int null, "intent" text null) partition by range ("occurred_at");`);
    this.addSql(`alter sequence "punches_punch_id_seq" owned by "punches"."punch_id";`);
    this.addSql(`
      do $$
      declare m timestamp;
      begin
        for m in
          select distinct date_trunc('month', "occurred_at" at time zone 'UTC') from "punches_unpartitioned"
          union
          select generate_series(date_trunc('month', now() at time zone 'UTC') - interval '1 month', date_trunc('month', now() at time zone 'UTC') + interval '3 months', interval '1 month')
        loop
          execute format('create table %I partition of "punches" for values from (%L) to (%L)',
                         'punches_y' || to_char(m, 'YYYY"m"MM'), to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
        end loop;
      end $$;`);
    this.addSql(`create table "punches_default" partition of "punches" default;`);
    this.addSql(`insert into "punches" (${COLUMNS}) select ${COLUMNS} from "punches_unpartitioned";`);

    // Constraints and indexes once the rows are in: one pass each rather than a check per copied row.
    this.addSql(`alter table "punches" add constraint "punches_pkey" primary key ("punch_id", "occurred_at");`);
    this.addSql(`create index "punches_employee_occurred_index" on "punches" ("employee_id", "occurred_at");`);
    this.addSql(`alter table "punches" add constraint "punches_source_check" check ("source" in ('kiosk', 'web', 'api', 'system'));`);
    this.addSql(`alter table "punches" add constraint "punches_action_check" check ("action" in ('check_in', 'check_out', 'ignored'));`);
    this.addSql(`alter table "punches" add constraint "punches_intent_check" check ("intent" in ('auto', 'check_in', 'check_out'));`);
    this.addSql(`alter table "punches" add constraint "punches_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
    this.addSql(`alter table "punches" add constraint "punches_record_id_foreign" foreign key ("record_id") references "attendance" ("record_id") on delete set null;`);

    // The idempotency keys. `employee_id` lets a deleted employee's keys go with their punches (both cascade): a key
    // left without its punch would refuse that client_event_id for ever.
    this.addSql(`create table "punch_keys" ("client_event_id" varchar(100) not null, "punch_id" bigint not null, "occurred_at" timestamptz not null, "employee_id" int not null, primary key ("client_event_id"));`);
    this.addSql(`insert into "punch_keys" ("client_event_id", "punch_id", "occurred_at", "employee_id") select "client_event_id", "punch_id", "occurred_at", "employee_id" from "punches_unpartitioned" where "client_event_id" is not null;`);
    this.addSql(`create index "punch_keys_occurred_at_index" on "punch_keys" ("occurred_at");`);
    this.addSql(`alter table "punch_keys" add constraint "punch_keys_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);

    this.addSql(`drop table "punches_unpartitioned";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`set local statement_timeout = 0;`);
    this.addSql(`create table "punches_unpartitioned" ("punch_id" bigint not null default nextval('punches_punch_id_seq'), "employee_id" int not null, "occurred_at" timestamptz not null, "received_at" timestamptz not null, "source" text not null, "device" varchar(100) null, "client_event_id" varchar(100) null, "action" text not null, "record_id" int null, "intent" text null);`);
    this.addSql(`insert into "punches_unpartitioned" (${COLUMNS}) select ${COLUMNS} from "punches";`);
    this.addSql(`alter sequence "punches_punch_id_seq" owned by "punches_unpartitioned"."punch_id";`);
    this.addSql(`drop table "punches";`);
    this.addSql(`drop table "punch_keys";`);
    this.addSql(`alter table "punches_unpartitioned" rename to "punches";`);
    this.addSql(`alter table "punches" add constraint "punches_pkey" primary key ("punch_id");`);
    this.addSql(`create index "punches_employee_occurred_index" on "punches" ("employee_id", "occurred_at");`);
    this.addSql(`alter table "punches" add constraint "punches_client_event_id_unique" unique ("client_event_id");`);
    this.addSql(`alter table "punches" add constraint "punches_source_check" check ("source" in ('kiosk', 'web', 'api', 'system'));`);
    this.addSql(`alter table "punches" add constraint "punches_action_check" check ("action" in ('check_in', 'check_out', 'ignored'));`);
    this.addSql(`alter table "punches" add constraint "punches_intent_check" check ("intent" in ('auto', 'check_in', 'check_out'));`);
    this.addSql(`alter table "punches" add constraint "punches_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
    this.addSql(`alter table "punches" add constraint "punches_record_id_foreign" foreign key ("record_id") references "attendance" ("record_id") on delete set null;`);
  }

}
