// Property-based fuzzing of every REST endpoint and every socket request event with generated malformed input.
// Properties: never a 5xx, every 4xx is a JSON {code, detail}, nothing in the database changes, the process stays up.
// Runs against a private, freshly migrated database (as tests/employees.test.ts does), so whole-table checksums are ours.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../src/app.ts';
import type { Endpoint } from '../src/infra/http.ts';
import { Id } from '../src/infra/schemas.ts';
import { AskPayload } from '../src/modules/assistant/index.ts';
import { PunchEntries } from '../src/modules/attendance/index.ts';
import { openSocket, startServer, type Client } from './socket-utils.ts';
import { createSoloDatabase, createTestHub, uid, type TestHub } from './utils.ts';

/** Runs per REST endpoint and for the socket events; fixed seeds, so every run tries the same inputs. */
const RUNS_PER_ENDPOINT = 40;
const SOCKET_RUNS = 400;
const SEED = 20_260_524;

let solo: TestHub;
let server: Awaited<ReturnType<typeof startServer>>;
let db: Awaited<ReturnType<typeof createSoloDatabase>>;

type Who = 'admin' | 'manager' | 'employee' | 'anonymous' | 'garbage';
type Person = { employee_id: number; email: string; badge_id: string | null; token: string };
const fx = {} as {
  teamA: number;
  teamB: number;
  admin: Person;
  manager: Person;
  alice: Person;
  bob: Person;
  carol: Person;
  recordId: number;
  kioskId: number;
  kioskToken: string;
};

/** Row counts and an md5 of every row of the tables a malformed request must never touch. */
async function checksum() {
  const table = (name: string, key: string, row = 't::text') =>
    `'${name}', (select json_build_array(count(*), md5(coalesce(string_agg(${row}, '|' order by t.${key}), ''))) from ${name} t)`;
  const [{ sums }] = await solo.rows<{ sums: Record<string, [number, string]> }>(
    `select json_build_object(
       ${table('employees', 'employee_id')},
       ${table('teams', 'team_id')},
       ${table('attendance', 'record_id')},
       ${table('punches', 'punch_id')},
       ${table('audit_log', 'audit_id')},
       ${table('kiosks', 'kiosk_id', "concat_ws(',', t.kiosk_id, t.name, t.team_id, t.token_hash, t.created_at, t.revoked_at)")}
     ) as sums`,
  );
  return sums;
}
let baseline: Awaited<ReturnType<typeof checksum>>;

beforeAll(async () => {
  db = await createSoloDatabase();
  const url = new URL(db.url);
  solo = await createTestHub({ DATABASE_URL: db.url });

  fx.teamA = (await solo.makeTeam()).team_id;
  fx.teamB = (await solo.makeTeam()).team_id;
  fx.admin = await solo.makeEmployee({ access: 'admin' });
  fx.manager = await solo.makeEmployee({ access: 'manager', team_id: fx.teamA });
  fx.alice = await solo.makeEmployee({ team_id: fx.teamA });
  fx.bob = await solo.makeEmployee({ team_id: fx.teamA });
  fx.carol = await solo.makeEmployee({ team_id: fx.teamB });
  const record = await solo.request('POST', '/attendance/', {
    token: fx.admin.token,
    json: { employee_id: fx.alice.employee_id, attendance_date: '2026-01-05', status: 'Late', check_in_time: '2026-01-05T09:20:00Z', notes: 'fixture' },
  });
  expect(record.status).toBe(201);
  fx.recordId = record.body.record_id;
  const punch = await solo.request('POST', '/attendance/check-in', { token: fx.admin.token, json: { employee_id: fx.bob.employee_id, client_event_id: `fx-${uid()}` } });
  expect(punch.status).toBe(200);
  const kiosk = await solo.request('POST', '/kiosks/', { token: fx.admin.token, json: { name: 'Fuzz door', team_id: fx.teamA } });
  expect(kiosk.status).toBe(201);
  fx.kioskId = kiosk.body.kiosk_id;
  fx.kioskToken = kiosk.body.token;

  server = await startServer({
    DATABASE_URL: url.toString(),
    SOCKET_EVENT_BURST: '100000',
    SOCKET_EVENTS_PER_SECOND: '10000',
    KIOSK_PUNCH_BURST: '100000',
    KIOSK_PUNCHES_PER_SECOND: '10000',
    ASSISTANT_QUESTIONS_PER_MINUTE: '10000',
  });
  baseline = await checksum();
  expect(baseline.attendance[0]).toBe(2);
  expect(baseline.punches[0]).toBe(1);
});

afterAll(async () => {
  await server?.stop('test');
  await solo?.close();
  await db?.drop();
});

// ---------------------------------------------------------------------------------------------------------------
// The body schemas, read from the valibot declarations, so a new field is fuzzed without touching this file.

type Kind = 'string' | 'email' | 'number' | 'boolean' | 'picklist' | 'literal' | 'weekdays' | 'date' | 'instant' | 'time';
type Field = { name: string; kind: Kind; required: boolean; nullable: boolean; min?: number; max?: number; regex: boolean; options: unknown[] };

type Schema = { type: string; wrapped?: Schema; entries?: Record<string, Schema>; pipe?: { type: string; requirement?: unknown }[]; options?: unknown[]; literal?: unknown };

const DATE_FIELDS = new Set(['attendance_date', 'date']);
const INSTANT_FIELDS = new Set(['check_in_time', 'check_out_time', 'occurred_at']);

function describeField(name: string, schema: Schema): Field {
  let s = schema;
  let required = true;
  let nullable = false;
  while (s.type === 'optional' || s.type === 'nullable' || s.type === 'nullish') {
    if (s.type !== 'nullable') required = false;
    if (s.type !== 'optional') nullable = true;
    s = s.wrapped!;
  }
  const actions = s.pipe ?? [];
  const min = actions.find((a) => a.type === 'min_length')?.requirement as number | undefined;
  const max = actions.find((a) => a.type === 'max_length')?.requirement as number | undefined;
  const regex = actions.some((a) => a.type === 'regex');
  let kind: Kind;
  if (name === 'email') kind = 'email';
  else if (DATE_FIELDS.has(name)) kind = 'date';
  else if (INSTANT_FIELDS.has(name)) kind = 'instant';
  else if (name === 'workday_start') kind = 'time';
  else if (s.type === 'array') kind = 'weekdays';
  else if (['string', 'number', 'boolean', 'picklist', 'literal'].includes(s.type)) kind = s.type as Kind;
  else throw new Error(`fuzz: no generator for field ${name} of type ${s.type}`);
  return { name, kind, required, nullable, min, max, regex, options: s.options ?? (s.type === 'literal' ? [s.literal] : []) };
}

function bodyFields(schema: unknown): Field[] {
  const s = schema as Schema;
  const object = s.entries ? s : (s.pipe?.[0] as unknown as Schema);
  if (!object?.entries) throw new Error('fuzz: body schema is not an object');
  return Object.entries(object.entries).map(([name, field]) => describeField(name, field));
}

// ---------------------------------------------------------------------------------------------------------------
// Values. "Bad" values are invalid for their field by construction; "noise" may be anything.

/** A JSON token written verbatim (numbers JSON.stringify cannot write, such as 1e309). */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
function toJson(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

const SQLI = [`' OR 1=1 --`, `1; drop table employees`, `%' --`, `1 OR 1=1`, `') OR ('1'='1`, `1 UNION SELECT password_hash FROM employees`, `"; select pg_sleep(5); --`, `\\'; --`, `%`, `_`, `\\`];
const UNICODE = ['é', 'Ω≈ç√', '😀👩‍👩‍👧', '\u202e1', '\u0000', '\ufeff', '𝕏', 'ﷺ', '\ud800'];
/** Strings PostgreSQL cannot store (NUL) or that are not text (an unpaired surrogate): refused at the edge with 422. */
const UNSAFE = ['nul\u0000inside', '\u0000', 'lone \ud800 high', 'lone \udfff low', '\udc00'];
const NON_STRINGS: unknown[] = [0, 123, -1, 1.5, true, false, {}, { $gt: '' }, [], ['a'], [[[]]], { a: { b: { c: [1, { d: null }] } } }];

function badValues(f: Field): unknown[] {
  const notNull = f.nullable ? [] : [null];
  const overLong = f.max === undefined ? [] : ['x'.repeat(f.max + 1), 'é'.repeat(f.max + 1), '😀'.repeat(Math.ceil((f.max + 1) / 2)), `${' '.repeat(3)}${'y'.repeat(f.max + 1)}`];
  const tooShort = f.min && f.min > 0 ? ['', '   \t\n', ...(f.min > 1 ? ['z'.repeat(f.min - 1)] : [])] : [];
  switch (f.kind) {
    case 'string':
      return [...NON_STRINGS, ...notNull, ...overLong, ...tooShort, ...UNSAFE, ...(f.regex ? ['has space', 'tab\there', 'ünïcödé', '😀'] : [])];
    case 'email':
      return [...NON_STRINGS, ...notNull, '', 'not-an-email', 'a@', '@example.com', 'a b@example.com', `${'a'.repeat(250)}@example.com`, `x' OR 1=1 --`];
    case 'number':
      return [-1, -2_147_483_649, 1.5, 0.25, 1e10, 2 ** 31, 1e300, '1', '', 'abc', '0x10', true, false, {}, [], [1], new Raw('1e309'), new Raw('-1e309'), ...notNull];
    case 'boolean':
      return ['true', 'false', 'yes', 1, 0, {}, [], ...notNull];
    case 'picklist':
    case 'literal':
      return ['god', 'ADMIN', 'Present ', 'present', '', ' ', `admin' --`, 'Sleeping', 'client_credentials', 1, true, {}, [], ...notNull].filter((x) => !f.options.includes(x));
    case 'weekdays':
      return [[0], [8], [1, 1], [1.5], ['1'], [null], '1,2', {}, [[1]], [-1], [1, 2, 3, 4, 5, 6, 7, 1], 12345, ...notNull];
    case 'date':
      return ['2026-02-30', '0000-01-01', '99999-01-01', '1899-12-31', '3000-01-01', '2026-13-01', '2026-00-10', '2026-1-5', '2026-01-05T00:00:00Z', '20260105', '', 'yesterday', `2026-01-05' OR '1'='1`, 20260105, {}, [], ...notNull];
    case 'instant':
      return [
        '2026-01-05T09:00:00', '2026-01-05 09:00:00Z', '2026-01-05', '0000-01-01T00:00:00Z', '99999-01-01T00:00:00Z', '3000-01-01T00:00:00Z',
        '1899-12-31T23:00:00Z', '2026-01-05T25:00:00Z', '2026-01-05T09:60:00Z', '2026-02-30T09:00:00Z', '2026-13-01T09:00:00Z', 'now', '',
        1767600000000, {}, [], ...notNull,
      ];
    case 'time':
      return ['24:00', '9:00', '09:60', '0900', '09:00:00', '', '25:61', 900, {}, ...notNull];
  }
}

/** Values a correct request would carry, so that a single bad field is what the server has to catch. */
function goodValue(f: Field, n: number): unknown {
  switch (f.name) {
    case 'email':
      return `fuzz.${n}@example.com`;
    case 'username':
      return fx.admin.email;
    case 'password':
      return 'Sturdy-Lamp-981';
    case 'team_id':
      return fx.teamA;
    case 'employee_id':
      return fx.alice.employee_id;
    case 'badge_id':
      return fx.alice.badge_id;
    case 'client_event_id':
      return `fz-${n}`;
    case 'message':
      return 'Who was late this week?';
    case 'grace_minutes':
      return 5;
    case 'occurred_at':
      return new Date().toISOString();
  }
  switch (f.kind) {
    case 'date':
      return '2026-01-06';
    case 'instant':
      return '2026-01-06T09:00:00+01:00';
    case 'time':
      return '08:30';
    case 'weekdays':
      return [1, 2, 3];
    case 'boolean':
      return true;
    case 'number':
      return 1;
    case 'picklist':
    case 'literal':
      return f.options[0];
    default:
      return `Fuzz ${n}`;
  }
}

const noiseArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(...SQLI, ...UNICODE, '2026-02-30', '0000-01-01', '99999-01-01', '2026-01-05T09:00:00', 'null', 'undefined', 'NaN'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(new Raw('1e309')),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => 'w'.repeat(n)),
);

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'extra', '$where', 'is_admin', 'password_hash', 'employee_id ', '', 'ID', 'toString', 'polluted'];

// ---------------------------------------------------------------------------------------------------------------
// Requests

const BAD_IDS = [
  '-1', '0', '1e309', 'abc', '%00', '1.5', '2147483648', '99999999999', '0x1A', '-0', '+1', '1e3', '%', '%zz', '%F0%9F%98%80', '%C3%A9',
  '%E2%80%AE1', '1%3B%20drop%20table%20employees', "1'%20OR%20'1'%3D'1", 'null', 'NaN', 'Infinity', 'undefined', 'true', '%5B%5D', '%7B%7D',
  '9'.repeat(400), 'a'.repeat(5000), '1'.repeat(11), '%20', '1%2F2', '1%00', '%091%0A2',
];
const MISSING_IDS = ['1000000', '2000000000', '2147483647'];
// Ids that are fine once trimmed ('%0A1' is id 1): valid, so never the one flaw a request is built around.
const oddIds = () => [String(fx.alice.employee_id), `0${fx.teamA}`, `%20${fx.recordId}`, `${fx.kioskId}%20`, `%0A${fx.recordId}`, String(fx.teamB), String(fx.recordId)];

const JSON_TYPES: (string | null)[] = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/json;charset=latin1', null];
const BAD_TYPES = ['text/plain', 'text/plain; charset=utf-8', 'application/xml', 'text/xml', 'text/html', 'application/octet-stream', 'application/jsonp', 'image/png', 'multipart/mixed; boundary=x', 'application/json5', 'foo', '*/*'];
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=----fuzz'];
const BROKEN_JSON = ['{', '{"a":', "{'a':1}", '{"a":}', 'NaN', 'undefined', '{"a":1}}', ']', '[1,]', '{"a" 1}', 'nul', '"unterminated', '{"a":1,}', '\u0000', '<xml/>', 'a=b&c=d'];
const NOT_OBJECTS = ['[]', '[{}]', 'null', '42', '"text"', 'true', '1e309', '-0', '""', '   ', '', '\n\t'];

type Dim = 'auth' | 'path' | 'missing' | 'contentType' | 'size' | 'json' | 'field' | 'required';
type Plan = {
  ep: string;
  method: string;
  path: string;
  guarantee: Dim | null;
  who: Who;
  headers: Record<string, string>;
  body?: Uint8Array;
  bodyPreview?: string;
  overHttp: boolean;
};

const mutating = (ep: Endpoint) => ep.method !== 'get';

function dimensionsFor(ep: Endpoint): Dim[] {
  const dims: Dim[] = [];
  if (ep.access !== 'public') dims.push('auth');
  if (ep.params) dims.push('path');
  if (ep.params && mutating(ep)) dims.push('missing');
  if (ep.body) {
    dims.push('contentType', 'size', 'json', 'field');
    if (bodyFields(ep.body).some((f) => f.required)) dims.push('required');
  }
  return dims;
}

function authHeader(who: Who, g: fc.GeneratorValue): string | undefined {
  const scheme = g(fc.constantFrom, 'Bearer', 'bearer', 'BEARER');
  switch (who) {
    case 'admin':
      return `${scheme} ${fx.admin.token}`;
    case 'manager':
      return `${scheme} ${fx.manager.token}`;
    case 'employee':
      return `${scheme} ${fx.alice.token}`;
    case 'anonymous':
      return undefined;
    case 'garbage':
      return g(
        fc.constantFrom,
        'Bearer garbage',
        `Bearer ${'x'.repeat(5000)}`,
        'Basic YWRtaW46YWRtaW4=',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwiYWNjZXNzIjoiYWRtaW4ifQ.',
        'Bearer a.b.c',
        'Bearer',
        'Bearer ',
        `Token ${fx.admin.token}`,
        `${fx.admin.token}`,
        `Bearer ${fx.admin.token}x`,
        `Bearer ${fx.admin.token.slice(0, -4)}`,
        `Bearer ${fx.kioskToken}`,
      );
  }
}

/** encodeURIComponent, except that a lone surrogate becomes its (invalid UTF-8) bytes rather than an exception. */
const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};

function queryString(ep: Endpoint, g: fc.GeneratorValue): string {
  const known = Object.keys((ep.query as { entries?: object } | undefined)?.entries ?? {});
  const keys = [...known, 'skip', 'limit', 'q', 'team_id', 'foo', '__proto__', 'constructor', 'limit[]', 'a[b]'];
  const values = [
    ...SQLI, ...UNICODE, '-1', '0', '1e309', 'abc', '1.5', '2147483648', '99999999999', '2026-02-30', '0000-01-01', '99999-01-01', '2026-01-05',
    '2026-01-05T09:00:00', 'true', 'false', 'TRUE', '1', 'admin', 'god', 'Present', '', 'x'.repeat(3000), String(fx.teamA), String(fx.alice.employee_id), '1000', '1001',
  ];
  const n = g(fc.integer, { min: 0, max: 6 });
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = g(fc.constantFrom, ...keys);
    const value: string = g(() => fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 })));
    const raw = g(fc.integer, { min: 0, max: 9 }) === 0; // now and then unencoded: %00, %zz, &&, ==, #
    parts.push(raw ? `${key}=${g(fc.constantFrom, '%00', '%', '%zz', '&&', '==', '%E0%A4%A', '%C0%AF', "'", '"', '<>', '%2527')}` : `${enc(key)}=${enc(value)}`);
  }
  if (g(fc.boolean) && parts.length) parts.push(parts[0]); // a repeated key
  return parts.length ? `?${parts.join('&')}` : '';
}

function formEncode(obj: Record<string, unknown>, multipart: boolean, wellFormed: boolean): string {
  const asText = (v: unknown) => (typeof v === 'string' ? v : v instanceof Raw ? v.text : JSON.stringify(v) ?? '');
  if (!multipart) return new URLSearchParams(Object.entries(obj).map(([k, v]): [string, string] => [k, asText(v)])).toString();
  if (!wellFormed) return `------fuzz\r\nContent-Disposition: form-data; name="username"\r\n\r\nno closing boundary`;
  const parts = Object.entries(obj).map(([k, v]) => `------fuzz\r\nContent-Disposition: form-data; name="${k.replace(/"/g, '')}"\r\n\r\n${asText(v)}\r\n`);
  return `${parts.join('')}------fuzz--\r\n`;
}

function buildBody(ep: Endpoint, guarantee: Dim | null, g: fc.GeneratorValue, n: number): { type: string | null; text: string } {
  const fields = bodyFields(ep.body);
  const obj: Record<string, unknown> = {};
  for (const f of fields) {
    const r = g(fc.integer, { min: 0, max: 9 });
    if (r < 2) continue;
    obj[f.name] = r < 8 ? goodValue(f, n) : g(() => noiseArb);
  }
  for (let i = g(fc.integer, { min: 0, max: 3 }); i > 0; i--) {
    const key: string = g(() => fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 12 })));
    if (!fields.some((f) => f.name === key) && !Object.hasOwn(obj, key)) Object.defineProperty(obj, key, { value: key === '__proto__' ? { polluted: 'yes' } : g(() => noiseArb), enumerable: true });
  }

  // How the body travels: JSON most of the time; a form for the endpoints that take one.
  let type: string | null = g(fc.constantFrom, ...JSON_TYPES);
  let form: 'urlencoded' | 'multipart' | null = null;
  if (guarantee === 'contentType') type = g(fc.constantFrom, ...BAD_TYPES, ...(ep.form ? [] : FORM_TYPES));
  else if (ep.form && guarantee !== 'json' && g(fc.boolean)) {
    const chosen: string = g(fc.constantFrom, ...FORM_TYPES);
    type = chosen;
    form = chosen.startsWith('multipart') ? 'multipart' : 'urlencoded';
  }

  if (guarantee === 'field') {
    // A form carries strings only: the bad value must be one that is still bad as text.
    const candidates = fields
      .map((f) => ({ f, bad: badValues(f).filter((v) => (form ? typeof v === 'string' : v !== undefined)) }))
      .filter((c) => c.bad.length);
    const { f, bad } = g(fc.constantFrom, ...candidates);
    obj[f.name] = g(fc.constantFrom, ...bad);
  }
  if (guarantee === 'required') for (const f of fields.filter((x) => x.required)) delete obj[f.name];

  let text: string;
  if (guarantee === 'json') {
    // Where an empty body means "no fields" (POST /token/revoke), only a body that is there and not an object is wrong.
    const notObjects = ep.optionalBody ? NOT_OBJECTS.filter((s) => s.trim() !== '') : NOT_OBJECTS;
    text = g(() => fc.oneof(fc.constantFrom(...BROKEN_JSON, ...notObjects), fc.string({ maxLength: 60 }).filter((s) => (!ep.optionalBody || s.trim() !== '') && (!/^\s*\{/.test(s) || !isJson(s)))));
  }
  else if (form) text = formEncode(obj, form === 'multipart', g(fc.boolean)); // a broken multipart body is a flaw of its own
  else text = toJson(obj);

  const limit = solo.config.maxBodyBytes;
  if (guarantee === 'size') {
    text = padded(text, g(fc.integer, { min: limit + 1, max: Math.round(limit * 1.3) }), form);
    if (Buffer.byteLength(text) <= limit) throw new Error('fuzz: a body meant to be too large is not');
  } else if (g(fc.integer, { min: 0, max: 9 }) === 0) text = padded(text, g(fc.integer, { min: 0, max: Math.round(limit * 1.2) }), form);
  if (!guarantee || guarantee === 'json' || guarantee === 'contentType' || guarantee === 'size') {
    if (g(fc.integer, { min: 0, max: 14 }) === 0) text = g(fc.constantFrom, '\uFEFF', '\u0000', '\uFFFF', ' \n') + text;
  }
  return { type, text };
}

const isJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** Grows a body to at least `size` bytes (in UTF-8) by adding one more field, in the body's own encoding. */
function padded(text: string, size: number, form: 'urlencoded' | 'multipart' | null): string {
  const fill = 'p'.repeat(Math.max(0, size - Buffer.byteLength(text)));
  if (form === 'urlencoded') return `${text}&_pad=${fill}`;
  if (form === 'multipart') return `------fuzz\r\nContent-Disposition: form-data; name="_pad"\r\n\r\n${fill}\r\n${text}`;
  if (text.startsWith('{') && text.endsWith('}')) return `{"_pad":"${fill}"${text.length > 2 ? ',' : ''}${text.slice(1)}`;
  return `${text}${' '.repeat(fill.length)}`;
}

let counter = 0;

function planArb(ep: Endpoint): fc.Arbitrary<Plan> {
  const dims = dimensionsFor(ep);
  return fc.gen().map((g) => {
    const n = counter++;
    const guarantee: Dim | null = mutating(ep) ? g(fc.constantFrom, ...dims) : null;

    let who: Who;
    if (guarantee === 'auth') {
      const refused: Who[] = ['anonymous', 'garbage'];
      if (ep.access !== 'public' && !ep.access.includes('employee')) refused.push('employee');
      if (ep.access !== 'public' && !ep.access.includes('manager')) refused.push('manager');
      who = g(fc.constantFrom, ...refused);
    } else {
      const r = g(fc.integer, { min: 0, max: 19 });
      who = r < 14 ? 'admin' : r < 16 ? 'employee' : r < 17 ? 'manager' : r < 19 ? 'anonymous' : 'garbage';
    }

    let path = ep.path;
    for (const [, name] of ep.path.matchAll(/\{(\w+)\}/g)) {
      const id =
        guarantee === 'path'
          ? g(fc.constantFrom, ...BAD_IDS)
          : guarantee === 'missing'
            ? g(fc.constantFrom, ...MISSING_IDS)
            : g(fc.constantFrom, ...BAD_IDS, ...MISSING_IDS, ...oddIds());
      path = path.replace(`{${name}}`, id);
    }
    if (g(fc.integer, { min: 0, max: 9 }) === 0) path = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
    path += queryString(ep, g);

    const headers: Record<string, string> = {};
    const auth = authHeader(who, g);
    if (auth !== undefined) headers.Authorization = auth;
    const extra: [string, string][] = [
      ['Accept', g(fc.constantFrom, 'application/xml', '*/*', 'text/csv', 'text/html;q=0.9')],
      ['X-Request-Id', g(fc.constantFrom, 'x'.repeat(300), "'; drop table employees; --", 'abc', '../../etc/passwd', '')],
      ['X-Forwarded-For', '203.0.113.7, 10.0.0.1'],
      ['Origin', 'https://evil.example'],
      ['Cookie', 'session=deadbeef; admin=true'],
      ['X-HTTP-Method-Override', 'DELETE'],
      ['Content-Encoding', 'gzip'],
      ['Accept-Language', 'de-CH, fr;q=0.9, *;q=0.1'],
    ];
    for (let i = g(fc.integer, { min: 0, max: 3 }); i > 0; i--) {
      const [name, value] = g(fc.constantFrom, ...extra);
      headers[name] = value;
    }

    let body: Uint8Array | undefined;
    let bodyPreview: string | undefined;
    if (ep.body) {
      const built = buildBody(ep, guarantee, g, n);
      if (built.type) headers['Content-Type'] = built.type;
      body = new TextEncoder().encode(built.text);
      bodyPreview = built.text.length > 300 ? `${built.text.slice(0, 300)}… (${built.text.length} chars)` : built.text;
    } else if (ep.method === 'delete' && g(fc.boolean)) {
      const text = toJson(g(() => noiseArb));
      headers['Content-Type'] = 'application/json';
      body = new TextEncoder().encode(text);
      bodyPreview = text.slice(0, 300);
    }
    // Now and then over a real socket, through the Node adapter, rather than in-process.
    const overHttp = g(fc.integer, { min: 0, max: 3 }) === 0 && path.length < 6000;
    return { ep: `${ep.method.toUpperCase()} ${ep.path}`, method: ep.method.toUpperCase(), path, guarantee, who, headers, body, bodyPreview, overHttp };
  });
}

async function send(plan: Plan): Promise<{ status: number; type: string; text: string }> {
  const init = { method: plan.method, headers: plan.headers, body: plan.body };
  const res = plan.overHttp ? await fetch(`${server.url}${plan.path}`, init) : await solo.app.request(plan.path, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Every 4xx is JSON: a string `code`, and a `detail` that is a non-empty string or a list of {loc, msg, type}. */
function checkErrorBody(res: { status: number; type: string; text: string }, what: string) {
  expect(res.type, what).toContain('application/json');
  const body = JSON.parse(res.text);
  expect(typeof body.code, what).toBe('string');
  expect(body.code.length, what).toBeGreaterThan(0);
  if (Array.isArray(body.detail)) {
    expect(body.detail.length, what).toBeGreaterThan(0);
    for (const item of body.detail) {
      expect(Array.isArray(item.loc), what).toBe(true);
      expect(typeof item.msg, what).toBe('string');
      expect(typeof item.type, what).toBe('string');
    }
  } else {
    expect(typeof body.detail, what).toBe('string');
    expect(body.detail.length, what).toBeGreaterThan(0);
  }
}

const tried = { rest: 0, socket: 0, byStatus: new Map<number, number>() };

describe('malformed REST requests', () => {
  it('when the endpoint list is read, then every endpoint has a generator for each of its fields', () => {
    expect(endpoints.length * RUNS_PER_ENDPOINT).toBeGreaterThanOrEqual(1000);
    for (const ep of endpoints) if (ep.body) expect(bodyFields(ep.body).length, ep.path).toBeGreaterThan(0);
  });

  for (const [index, ep] of endpoints.entries()) {
    it(`when ${ep.method.toUpperCase()} ${ep.path} gets ${RUNS_PER_ENDPOINT} generated malformed requests, then none is a 5xx, every 4xx is a JSON {code, detail} and no row changes`, async () => {
      await fc.assert(
        fc.asyncProperty(planArb(ep), async (plan) => {
          tried.rest++;
          const what = JSON.stringify({ ...plan, body: undefined, headers: { ...plan.headers, Authorization: plan.headers.Authorization?.slice(0, 30) } });
          const res = await send(plan);
          tried.byStatus.set(res.status, (tried.byStatus.get(res.status) ?? 0) + 1);
          expect(res.status, `${what} → ${res.text.slice(0, 500)}`).toBeLessThan(500);
          if (plan.guarantee) expect(res.status, `${what} must be refused → ${res.text.slice(0, 500)}`).toBeGreaterThanOrEqual(400);
          if (res.status >= 400) checkErrorBody(res, `${what} → ${res.text.slice(0, 300)}`);
          expect(await checksum(), what).toEqual(baseline);
        }),
        { seed: SEED + index, numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
      );
    }, 180_000);
  }

  it('when an instant names a calendar day that does not exist (2026-02-30T09:00:00Z), then 422 on that field wherever an instant is taken, and nothing changes', async () => {
    const token = fx.admin.token;
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/attendance/', { employee_id: fx.carol.employee_id, attendance_date: '2026-02-27', status: 'Present', check_in_time: '2026-02-30T09:00:00Z' }, 'check_in_time'],
      ['PUT', `/attendance/${fx.recordId}`, { check_out_time: '2026-02-31T17:00:00+01:00' }, 'check_out_time'],
      ['PUT', `/attendance/${fx.recordId}`, { check_in_time: '2025-11-31T08:00:00Z' }, 'check_in_time'],
      ['POST', '/attendance/check-in', { employee_id: fx.carol.employee_id, occurred_at: '2026-04-31T09:00:00Z' }, 'occurred_at'],
    ];
    for (const [method, path, json, field] of cases) {
      tried.rest++;
      const res = await solo.request(method, path, { token, json });
      expect(res.status, `${method} ${path} ${JSON.stringify(json)} → ${res.text}`).toBe(422);
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).toContain(`body.${field}`);
    }
    expect(await checksum()).toEqual(baseline);
  });

  it('when any string field, query parameter or path id carries a NUL or an unpaired surrogate, then 422 naming that field, and nothing changes', async () => {
    const token = fx.admin.token;
    const STRING_KINDS: Kind[] = ['string', 'email', 'picklist', 'literal', 'date', 'instant', 'time'];
    let cases = 0;
    for (const ep of endpoints.filter((e) => e.body)) {
      const fields = bodyFields(ep.body);
      for (const f of fields.filter((x) => STRING_KINDS.includes(x.kind))) {
        for (const bad of UNSAFE) {
          const json: Record<string, unknown> = Object.fromEntries(fields.map((x) => [x.name, goodValue(x, counter++)]));
          json[f.name] = bad;
          const path = ep.path.replace(/\{\w+\}/g, () => String(fx.recordId));
          const res = await solo.request(ep.method.toUpperCase(), path, { token, json });
          cases++;
          const what = `${ep.method.toUpperCase()} ${ep.path} ${f.name}=${JSON.stringify(bad)} → ${res.status} ${res.text.slice(0, 300)}`;
          expect(res.status, what).toBe(422);
          expect(res.body.code, what).toBe('validation_error');
          expect(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.')), what).toContain(`body.${f.name}`);
        }
      }
    }
    // The sign-in form, as a form too (a NUL in the username used to reach the database). A form cannot carry an
    // unpaired surrogate: URL encoding writes U+FFFD in its place, which is text.
    for (const bad of UNSAFE.filter((x) => x.includes('\u0000'))) {
      const res = await solo.request('POST', '/token', { form: { username: bad, password: 'whatever-1234' } });
      expect(res.status, res.text).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'username']);
    }
    for (const ep of endpoints.filter((e) => e.query)) {
      const known = Object.keys((ep.query as { entries?: object }).entries ?? {});
      for (const key of known) {
        const path = ep.path.replace(/\{\w+\}/g, () => String(fx.alice.employee_id));
        const res = await solo.request(ep.method.toUpperCase(), `${path}?${key}=a%00b`, { token });
        cases++;
        expect(res.status, `${ep.path}?${key} → ${res.text.slice(0, 300)}`).toBe(422);
        expect(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).toContain(`query.${key}`);
      }
    }
    const pathNul = await solo.request('GET', '/employees/1%00', { token });
    expect(pathNul.status).toBe(422);
    expect(pathNul.body.detail[0].loc).toEqual(['path', 'employee_id']);
    tried.rest += cases;
    expect(cases).toBeGreaterThan(100);
    expect(await checksum()).toEqual(baseline);
    expect(solo.log.filter((line) => line.includes('unhandled error'))).toEqual([]);
  });

  it('when POST /token gets a multipart body that cannot be parsed (no boundary, truncated), then 400 invalid_form rather than a 500', async () => {
    for (const [type, body] of [
      ['multipart/form-data; boundary=----fuzz', '------fuzz\r\nContent-Disposition: form-data; name="username"\r\n\r\nno closing boundary'],
      ['multipart/form-data', 'username=a&password=b'],
      ['multipart/form-data; boundary=x', ''],
    ]) {
      tried.rest++;
      const res = await solo.request('POST', '/token', { body, headers: { 'Content-Type': type } });
      expect(res.status, `${type}: ${res.text}`).toBe(400);
      expect(res.body).toEqual({ detail: 'The request body is not a valid form', code: 'invalid_form' });
    }
  });

  it('when every generated request has been sent, then the process is up, nothing changed and no prototype was polluted', async () => {
    console.log(
      `fuzz: ${tried.rest} generated REST requests across ${endpoints.length} endpoints; statuses ${JSON.stringify(Object.fromEntries([...tried.byStatus].sort()))}`,
    );
    expect(tried.rest).toBeGreaterThanOrEqual(1000);
    expect((await solo.request('GET', '/healthz')).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await checksum()).toEqual(baseline);
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(solo.log.filter((line) => line.includes('unhandled error'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Socket events

/** The socket without its typed contract, to send what the contract forbids. */
type Untyped = { emit(event: string, ...args: unknown[]): void; timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<any> } };
const untyped = (socket: Client) => socket as unknown as Untyped;

type SocketCase = { as: 'admin' | 'kiosk'; event: string; payload: unknown; ack: 'ack' | 'none' | 'extra-args'; shape: string };

// The payload schemas of the handlers, read like the REST bodies.
const CHECK_FIELDS = Object.entries(PunchEntries).map(([name, schema]) => describeField(name, schema as unknown as Schema));
const BOARD_FIELDS = [describeField('team_id', Id('team_id') as unknown as Schema)];
const ASK_FIELDS = bodyFields(AskPayload);
const SOCKET_EVENTS: Record<string, Field[]> = { 'attendance:check': CHECK_FIELDS, 'board:join': BOARD_FIELDS, 'board:leave': BOARD_FIELDS, 'assistant:ask': ASK_FIELDS };

function validPayload(event: string, n: number, g: fc.GeneratorValue): Record<string, unknown> {
  if (event === 'attendance:check') {
    const p: Record<string, unknown> = g(fc.boolean) ? { employee_id: fx.alice.employee_id } : { badge_id: fx.alice.badge_id };
    if (g(fc.boolean)) p.client_event_id = `sfz-${n}`;
    if (g(fc.boolean)) p.occurred_at = new Date().toISOString();
    return p;
  }
  if (event === 'assistant:ask') return g(fc.boolean) ? { message: 'Who is late today?' } : { message: 'Who is late today?', request_id: `r-${n}` };
  return { team_id: fx.teamA };
}

const socketCaseArb: fc.Arbitrary<SocketCase> = fc.gen().map((g) => {
  const n = counter++;
  const as = g(fc.constantFrom, 'admin', 'kiosk') as 'admin' | 'kiosk';
  const event = g(fc.constantFrom, ...Object.keys(SOCKET_EVENTS));
  const fields = SOCKET_EVENTS[event];
  const shape = g(fc.constantFrom, 'non-object', 'extra-field', 'bad-field', 'bad-field', ...(event === 'attendance:check' ? ['both-or-neither'] : []));
  let payload: unknown;
  if (shape === 'non-object') {
    payload = g(() => fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: 1000, max: 12_000 }).map((k) => 'h'.repeat(k)),
      fc.constantFrom(...SQLI, ...UNICODE),
    ));
  } else {
    const p = validPayload(event, n, g);
    if (shape === 'extra-field') {
      const key: string = g(() => fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'source', 'device', 'team_id ', 'EMPLOYEE_ID', 'polluted'), fc.string({ minLength: 1, maxLength: 12 })));
      const value = key === '__proto__' ? { polluted: 'yes' } : g(fc.jsonValue, { maxDepth: 2 });
      Object.defineProperty(p, fields.some((f) => f.name === key) || Object.hasOwn(p, key) ? `${key}_x` : key, { value, enumerable: true });
    } else if (shape === 'bad-field') {
      const f = g(fc.constantFrom, ...fields);
      const bad = badValues(f).filter((v) => !(v instanceof Raw) && v !== null);
      p[f.name] = g(fc.constantFrom, ...bad, ...(f.nullable ? [] : [null]));
    } else {
      delete p.employee_id;
      delete p.badge_id;
      if (g(fc.boolean)) Object.assign(p, { employee_id: fx.alice.employee_id, badge_id: fx.alice.badge_id });
    }
    payload = p;
  }
  const r = g(fc.integer, { min: 0, max: 9 });
  const ack = r < 7 ? 'ack' : r < 9 ? 'none' : 'extra-args';
  return { as, event, payload, ack, shape } as SocketCase;
});

describe('malformed socket events', () => {
  let adminSocket: Client;
  let kioskSocket: Client;
  beforeAll(async () => {
    adminSocket = await openSocket(server.url, fx.admin.token);
    kioskSocket = await openSocket(server.url, fx.kioskToken);
  });
  afterAll(() => {
    adminSocket?.close();
    kioskSocket?.close();
  });

  it(`when an admin and a kiosk socket send ${SOCKET_RUNS} generated malformed payloads, then each answer is { ok: false, error: { code, message } }, no row changes and both sockets still work`, async () => {
    const replies: unknown[] = [];
    await fc.assert(
      fc.asyncProperty(socketCaseArb, async (c) => {
        tried.socket++;
        const typed = c.as === 'admin' ? adminSocket : kioskSocket;
        const socket = untyped(typed);
        const what = JSON.stringify({ ...c, payload: typeof c.payload === 'string' && c.payload.length > 200 ? `${c.payload.length} chars` : c.payload });
        if (c.ack === 'none') {
          socket.emit(c.event, c.payload);
        } else {
          const args = c.ack === 'extra-args' ? [c.payload, { more: 'args' }, 7] : [c.payload];
          const reply = (await socket.timeout(5000).emitWithAck(c.event, ...args)) as Record<string, any>;
          replies.push(reply);
          expect(Object.keys(reply).sort(), what).toEqual(['error', 'ok']);
          expect(reply.ok, what).toBe(false);
          expect(typeof reply.error.code, what).toBe('string');
          expect(typeof reply.error.message, what).toBe('string');
          expect(reply.error.message.length, what).toBeGreaterThan(0);
          expect(reply.error.code, what).not.toBe('internal_error');
        }
        expect(typed.connected, what).toBe(true);
        if (tried.socket % 25 === 0) expect(await checksum(), what).toEqual(baseline);
      }),
      { seed: SEED + 1000, numRuns: SOCKET_RUNS, endOnFailure: true },
    );
    console.log(`fuzz: ${tried.socket} generated socket payloads (${replies.length} with an acknowledgement)`);
    expect(tried.socket).toBeGreaterThanOrEqual(300);

    // The payloads sent without an acknowledgement were dropped; both sockets still answer a valid request.
    expect(adminSocket.connected && kioskSocket.connected).toBe(true);
    const board = (await adminSocket.timeout(5000).emitWithAck('board:join', { team_id: fx.teamA })) as Record<string, any>;
    expect(board).toMatchObject({ ok: true, team_id: fx.teamA });
    expect(await kioskSocket.timeout(5000).emitWithAck('board:leave', { team_id: fx.teamA })).toEqual({ ok: true, team_id: fx.teamA });
    expect(await checksum()).toEqual(baseline);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(Object.prototype).not.toHaveProperty('polluted');
  }, 180_000);

  it('when a socket request carries a NUL or an unpaired surrogate in any string, then validation_error naming the field, and nothing changes', async () => {
    const cases: [Client, string, Record<string, unknown>, string][] = [];
    for (const bad of UNSAFE) {
      cases.push(
        [kioskSocket, 'attendance:check', { badge_id: bad, client_event_id: `nul-${uid()}` }, 'badge_id'],
        [kioskSocket, 'attendance:check', { badge_id: fx.alice.badge_id, client_event_id: `c-${bad}` }, 'client_event_id'],
        [adminSocket, 'attendance:check', { employee_id: fx.alice.employee_id, occurred_at: bad }, 'occurred_at'],
        [adminSocket, 'assistant:ask', { message: `Who was late ${bad}?` }, 'message'],
        [adminSocket, 'assistant:ask', { message: 'Who was late?', request_id: bad }, 'request_id'],
      );
    }
    for (const [socket, event, payload, field] of cases) {
      const reply = await untyped(socket).timeout(5000).emitWithAck(event, payload);
      expect(reply.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
      expect(reply.error.code).toBe('validation_error');
      expect(reply.error.message.startsWith(`${field}:`), reply.error.message).toBe(true);
    }
    expect(adminSocket.connected && kioskSocket.connected).toBe(true);
    expect(await checksum()).toEqual(baseline);
  });

  it('when one socket sends a payload larger than SOCKET_MAX_PAYLOAD_BYTES, then only that socket is dropped and the server still answers', async () => {
    const victim = await openSocket(server.url, fx.admin.token);
    const gone = new Promise<string>((resolve) => victim.once('disconnect', (reason) => resolve(reason)));
    untyped(victim).emit('board:join', { team_id: 'x'.repeat(solo.config.socket.maxPayloadBytes + 4096) }, () => undefined);
    expect(await gone).toMatch(/close/);
    victim.close();
    expect(adminSocket.connected).toBe(true);
    expect(await adminSocket.timeout(5000).emitWithAck('board:leave', { team_id: fx.teamA })).toEqual({ ok: true, team_id: fx.teamA });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await checksum()).toEqual(baseline);
  });
});
