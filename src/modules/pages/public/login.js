import { session, signIn } from '/static/common.js';

const form = document.querySelector('#signin');
const error = document.querySelector('#error');
/**
 * Where to go after signing in: `next` only when it resolves to this origin. The browser's own URL parser decides,
 * so `/\evil.example/`, `/%09/evil.example/` or `//evil.example` (which browsers read as another host) are refused.
 */
function sameOrigin(path) {
  if (!path) return null;
  try {
    const url = new URL(path, location.origin);
    return url.origin === location.origin ? url.href : null;
  } catch {
    return null;
  }
}
const next = sameOrigin(new URLSearchParams(location.search).get('next'));
const home = (s) => next ?? (s.access === 'admin' ? '/assistant' : s.access === 'manager' ? '/board' : '/me');

const current = session();
if (current && next) location.replace(home(current));

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const s = await signIn(form.email.value.trim(), form.password.value);
    location.href = home(s);
  } catch (e) {
    error.textContent = e.message;
    form.password.select();
  } finally {
    button.disabled = false;
  }
});
