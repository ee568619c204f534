import { session, signIn } from '/static/common.js';

const form = document.querySelector('#signin');
const error = document.querySelector('#error');
const next = new URLSearchParams(location.search).get('next');
const home = (s) => (next && next.startsWith('/') && !next.startsWith('//') ? next : s.access === 'admin' ? '/assistant' : s.access === 'manager' ? '/board' : '/');

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
