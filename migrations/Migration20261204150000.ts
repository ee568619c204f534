import { Migration } from '@mikro-orm/migrations';

/**
 * API keys for integrations: a name, the scopes it may use, and only the SHA-256 of the key (shown once). Revoked
 * keys stay, for the audit trail that names them.
 */
export class Migration20261204150000 extends Migration {

  override name = 'Migration20261204150000';

  override up(): void | Promise<void> {
    this.addSql(`create table "api_keys" ("api_key_id" serial primary key, "name" varchar(100) not null, "scopes" jsonb not null, "key_hash" varchar(64) not null, "key_prefix" varchar(12) not null, "created_by" int null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "last_used_ip" varchar(64) null, "revoked_at" timestamptz null);`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_key_hash_unique" unique ("key_hash");`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_created_by_foreign" foreign key ("created_by") references "employees" ("employee_id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "api_keys" cascade;`);
  }

}
