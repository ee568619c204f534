import { Migration } from '@mikro-orm/migrations';

export class Migration20261124080348 extends Migration {

  override name = 'Migration20261124080348';

  override up(): void | Promise<void> {
    this.addSql(`create table "summaries" ("scope" varchar(40) not null, "body" jsonb not null, "digest" varchar(64) not null, "computed_at" timestamptz not null, primary key ("scope"));`);

    this.addSql(`alter table "attendance" add "missing_check_out" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "summaries" cascade;`);

    this.addSql(`alter table "attendance" drop column "missing_check_out";`);
  }

}
