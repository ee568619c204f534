import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed of attendance records (GET /attendance/changes): a trigger on `attendance` appends every insert,
 * update and delete, whoever writes it (punches, corrections, the end of the day, recomputes), with the writing
 * transaction's id. Readers return a change only once every transaction that could still add one below it has ended
 * (`xid < pg_snapshot_xmin(pg_current_snapshot())`), so a stored cursor never skips a change committed late.
 * Nothing here rewrites `attendance`: a new table, and triggers that take a short lock to be created.
 */
export class Migration20261204160000 extends Migration {

  override name = 'Migration20261204160000';

  override up(): void | Promise<void> {
    this.addSql(`create table "attendance_changes" ("change_id" bigserial primary key, "record_id" int not null, "op" text not null, "xid" xid8 not null, "changed_at" timestamptz not null);`);
    this.addSql(`alter table "attendance_changes" add constraint "attendance_changes_op_check" check ("op" in ('create', 'update', 'delete'));`);
    this.addSql(`create index "attendance_changes_xid_change_id_index" on "attendance_changes" ("xid", "change_id");`);
    this.addSql(`create index "attendance_changes_changed_at_index" on "attendance_changes" ("changed_at");`);
    // The newest change the retention pruned (one row): a cursor before it may have missed one.
    this.addSql(`create table "attendance_changes_pruned" ("id" smallint primary key, "xid" xid8 not null, "change_id" bigint not null, "pruned_at" timestamptz not null);`);
    this.addSql(`alter table "attendance_changes_pruned" add constraint "attendance_changes_pruned_id_check" check ("id" = 1);`);
    this.addSql(`create or replace function attendance_changes_capture() returns trigger language plpgsql as $$
      begin
        insert into attendance_changes (record_id, op, xid, changed_at)
        values (case when tg_op = 'DELETE' then old.record_id else new.record_id end,
                case tg_op when 'INSERT' then 'create' when 'UPDATE' then 'update' else 'delete' end,
                pg_current_xact_id(), now());
        return null;
      end $$;`);
    this.addSql(`create trigger attendance_changes_on_write after insert or delete on "attendance" for each row execute function attendance_changes_capture();`);
    // An update that changes nothing (every column as it was) is no change to a reader.
    this.addSql(`create trigger attendance_changes_on_update after update on "attendance" for each row when (old.* is distinct from new.*) execute function attendance_changes_capture();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists attendance_changes_on_update on "attendance";`);
    this.addSql(`drop trigger if exists attendance_changes_on_write on "attendance";`);
    this.addSql(`drop function if exists attendance_changes_capture();`);
    this.addSql(`drop table if exists "attendance_changes_pruned" cascade;`);
    this.addSql(`drop table if exists "attendance_changes" cascade;`);
  }

}
