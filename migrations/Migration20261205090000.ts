import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook events leave the punch path as one row per batch (`webhook_batches`: the events gathered in a few
 * milliseconds, each with its message id), not one row per message and endpoint. The worker expands a batch and
 * writes each delivery once, with its outcome; a delivery of a batch keeps no copy of the body (`payload` is null
 * and `batch_id`/`event_index` point at it).
 */
export class Migration20261205090000 extends Migration {

  override name = 'Migration20261205090000';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhook_batches" ("batch_id" bigserial primary key, "events" json not null, "created_at" timestamptz not null default now(), "fanned_out_at" timestamptz null);`);
    // The sweep finds batches whose job was lost; once fanned out they leave this index.
    this.addSql(`create index "webhook_batches_open_index" on "webhook_batches" ("created_at") where "fanned_out_at" is null;`);
    this.addSql(`alter table "webhook_deliveries" alter column "payload" drop not null;`);
    this.addSql(`alter table "webhook_deliveries" add column "batch_id" bigint null, add column "event_index" int null;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_body_check" check ("payload" is not null or ("batch_id" is not null and "event_index" is not null));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop constraint if exists "webhook_deliveries_body_check";`);
    this.addSql(`delete from "webhook_deliveries" where "payload" is null;`);
    this.addSql(`alter table "webhook_deliveries" drop column "batch_id", drop column "event_index";`);
    this.addSql(`alter table "webhook_deliveries" alter column "payload" set not null;`);
    this.addSql(`drop table if exists "webhook_batches" cascade;`);
  }

}
