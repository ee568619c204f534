import { Migration } from '@mikro-orm/migrations';

/** Kiosks: door devices with a hashed token, an optional team, last-seen and revocation times. */
export class Migration20261124075510 extends Migration {

  override name = 'Migration20261124075510';

  override up(): void | Promise<void> {
    this.addSql(`create table "kiosks" ("kiosk_id" serial primary key, "name" varchar(100) not null, "team_id" int null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "last_seen_at" timestamptz null, "revoked_at" timestamptz null);`);
    this.addSql(`alter table "kiosks" add constraint "kiosks_token_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "kiosks" add constraint "kiosks_team_id_foreign" foreign key ("team_id") references "teams" ("team_id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "kiosks" cascade;`);
  }

}
