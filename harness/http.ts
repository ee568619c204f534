// JSON over HTTP to a running hub.

type RequestOptions = { token?: string; json?: unknown; timeoutMs?: number };

/** One JSON request (bounded to `timeoutMs`, default 30 s): its status, parsed body and headers, whatever the status. */
export async function request<T = any>(base: string, method: string, path: string, opts: RequestOptions = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  }).catch((error: Error & { cause?: { message?: string; code?: string } }) => {
    // fetch's own message is only "fetch failed": say why.
    const cause = error.cause ? ` (${error.cause.code ?? ''} ${error.cause.message ?? ''})`.replace('( ', '(') : '';
    throw new Error(`${method} ${base}${path}: ${error.message}${cause}`, { cause: error });
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T, headers: res.headers, text };
}

/** One JSON request (bounded to `timeoutMs`, default 30 s); throws on a non-2xx answer. */
export async function api<T = any>(base: string, method: string, path: string, opts: RequestOptions = {}) {
  const res = await request<T>(base, method, path, opts);
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
  return { body: res.body, headers: res.headers };
}

/** Signs in (POST /token) and returns the access token. */
export async function login(base: string, email: string, password: string, timeoutMs?: number): Promise<string> {
  const { body } = await api<{ access_token: string }>(base, 'POST', '/token', { json: { username: email, password }, timeoutMs });
  return body.access_token;
}

/** Registers `count` kiosks (POST /kiosks/, named `<name> 1`, `<name> 2`…) and returns their device tokens, in order. */
export async function registerKiosks(base: string, adminToken: string, count: number, name: string, timeoutMs?: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const { body } = await api<{ token: string }>(base, 'POST', '/kiosks/', { token: adminToken, json: { name: `${name} ${i + 1}` }, timeoutMs });
    tokens.push(body.token);
  }
  return tokens;
}

export type Employee = { employee_id: number; name: string; email: string; team_id: number | null; badge_id: string | null; active: boolean; access: string };

export async function listEmployees(base: string, token: string): Promise<Employee[]> {
  const all: Employee[] = [];
  for (let skip = 0; skip < 1_000_000; skip += 1000) {
    const { body, headers } = await api<Employee[]>(base, 'GET', `/employees/?limit=1000&skip=${skip}`, { token });
    all.push(...body);
    if (body.length < 1000 || all.length >= Number(headers.get('x-total-count') ?? 0)) break;
  }
  return all;
}
