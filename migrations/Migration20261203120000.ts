import { Migration } from '@mikro-orm/migrations';

/** Tokens can be revoked: every token carries the version it was issued at; raising the version refuses them all. */
export class Migration20261203120000 extends Migration {

  override name = 'Migration20261203120000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "employees" add "token_version" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "employees" drop column "token_version";`);
  }

}
