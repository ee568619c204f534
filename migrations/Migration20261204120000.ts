import { Migration } from '@mikro-orm/migrations';

/**
 * Refresh tokens: long-lived, single use, rotated on every use, stored as SHA-256 only. Tokens issued from one sign-in
 * share a family; a used token presented again revokes its whole family (it was copied).
 */
export class Migration20261204120000 extends Migration {

  override name = 'Migration20261204120000';

  override up(): void | Promise<void> {
    this.addSql(`create table "refresh_tokens" ("token_id" serial primary key, "employee_id" int not null, "token_hash" varchar(64) not null, "family" varchar(32) not null, "token_version" int not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "refresh_tokens_family_index" on "refresh_tokens" ("family");`);
    this.addSql(`create index "refresh_tokens_employee_index" on "refresh_tokens" ("employee_id");`);
    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_employee_id_foreign" foreign key ("employee_id") references "employees" ("employee_id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "refresh_tokens" cascade;`);
  }

}
