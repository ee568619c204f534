import { Migration } from '@mikro-orm/migrations';

/**
 * Kiosk PINs and web punches. An employee may have an employee number (unique, stored upper-cased like badges) and
 * a PIN (only its bcrypt hash is kept): a kiosk accepts the pair instead of a badge. A team may let its members
 * check in and out from their own page (`web_punch`, off unless an admin turns it on).
 */
export class Migration20261204140000 extends Migration {

  override name = 'Migration20261204140000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "employees" add column "employee_number" varchar(32) null, add column "pin_hash" text null;`);
    this.addSql(`alter table "employees" add constraint "employees_employee_number_unique" unique ("employee_number");`);
    this.addSql(`alter table "teams" add column "web_punch" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "teams" drop column "web_punch";`);
    this.addSql(`alter table "employees" drop constraint "employees_employee_number_unique";`);
    this.addSql(`alter table "employees" drop column "pin_hash", drop column "employee_number";`);
  }

}
