// The home page: who is signed in, and the pages that person may open.
import { escapeHtml, pagesFor, session, t } from '/static/common.js';

const s = session();
document.querySelector('#signed-out').hidden = Boolean(s);
document.querySelector('#signed-in').hidden = !s;
if (s) {
  document.querySelector('#home-who').textContent = t('home.signed_in_as', { email: s.email, role: t(`role.${s.access}`) });
  document.querySelector('#home-pages').innerHTML = pagesFor(s)
    .map((p) => `<li><a href="${p.path}">${escapeHtml(t(p.key))}</a> — ${escapeHtml(t(`${p.key}.hint`))}</li>`)
    .join('');
}
