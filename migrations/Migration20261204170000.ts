import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks: the endpoints integrations register (the events they want, the signing secret kept encrypted with
 * SECRET_KEY), and one row per message and endpoint with its delivery state, so retries survive any restart.
 */
export class Migration20261204170000 extends Migration {

  override name = 'Migration20261204170000';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhooks" ("webhook_id" serial primary key, "url" varchar(2048) not null, "events" text[] not null, "description" varchar(500) null, "secret" text not null, "active" boolean not null default true, "disabled_reason" varchar(500) null, "disabled_at" timestamptz null, "created_by" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`alter table "webhooks" add constraint "webhooks_created_by_foreign" foreign key ("created_by") references "employees" ("employee_id") on delete set null;`);
    this.addSql(`create table "webhook_deliveries" ("delivery_id" bigserial primary key, "webhook_id" int not null, "message_id" varchar(40) not null, "event_type" varchar(50) not null, "payload" jsonb not null, "status" varchar(10) not null default 'pending', "attempts" int not null default 0, "last_status_code" int null, "last_error" varchar(500) null, "last_latency_ms" int null, "next_attempt_at" timestamptz null, "created_at" timestamptz not null, "delivered_at" timestamptz null);`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("webhook_id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_status_check" check ("status" in ('pending', 'delivered', 'failed'));`);
    this.addSql(`create index "webhook_deliveries_webhook_id_delivery_id_index" on "webhook_deliveries" ("webhook_id", "delivery_id");`);
    // The sweep looks for pending deliveries whose job was lost (a restart of the embedded queue, a crash in between).
    this.addSql(`create index "webhook_deliveries_pending_index" on "webhook_deliveries" ("next_attempt_at") where "status" = 'pending';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhooks" cascade;`);
  }

}
