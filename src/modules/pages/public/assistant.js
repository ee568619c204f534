// The assistant console: ask in plain language, watch the tool steps and the answer stream in, see the figures.
import { io } from '/socket.io/socket.io.esm.min.js';
import { escapeHtml, onSessionEnded, requireRole, showConnection, socketAuth, t } from '/static/common.js';

await requireRole(['admin']);
const $ = (sel) => document.querySelector(sel);
const HISTORY_KEY = 'checkin.assistant.history';
let history = JSON.parse(sessionStorage.getItem(HISTORY_KEY) ?? '[]');
let current = null;
// Follow-ups ("and last month?") continue the conversation the last answer named.
let conversationId = null;

const socket = io({ auth: socketAuth, transports: ['websocket'] });
onSessionEnded(socket);
socket.on('connect', () => showConnection($('#connection'), 'live'));
socket.on('disconnect', () => showConnection($('#connection'), 'reconnecting'));
socket.on('assistant:step', (step) => {
  if (step.request_id !== current) return;
  const li = document.createElement('li');
  li.textContent = `${step.tool}(${JSON.stringify(step.args)})`;
  $('#steps').append(li);
});
socket.on('assistant:delta', (delta) => {
  if (delta.request_id === current) $('#answer').textContent += delta.text;
});
socket.on('assistant:done', (done) => {
  if (done.request_id !== current) return;
  conversationId = done.conversation_id ?? conversationId;
  $('#answer').innerHTML = answerHtml(done.response);
  $('#data').innerHTML = table(done.data);
  finish(done.response);
});
socket.on('assistant:error', (error) => {
  if (error.request_id !== current) return;
  $('#ask-error').textContent = error.message;
  finish(t('assistant.error', { message: error.message }));
});

/** An answer's text: paragraphs, and lines starting with "- " as a list (long lists of names). */
function answerHtml(text) {
  const out = [];
  let items = [];
  const flush = () => {
    if (items.length) out.push(`<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
    items = [];
  };
  for (const line of String(text).split('\n')) {
    if (line.startsWith('- ')) items.push(line.slice(2));
    else {
      flush();
      if (line.trim()) out.push(`<p class="${line.startsWith('Scope: ') ? 'muted' : ''}">${escapeHtml(line)}</p>`);
    }
  }
  flush();
  return out.join('');
}

/** The figures behind an answer, `{ columns: [{ key, label }], rows }`, as a labelled table. */
function table(data) {
  if (!data?.columns?.length || !data.rows?.length) return '';
  const cols = data.columns;
  return `<table><caption class="sr-only">Figures behind the answer</caption><tr>${cols.map((c) => `<th scope="col">${escapeHtml(c.label)}</th>`).join('')}</tr>${data.rows
    .slice(0, 200)
    .map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(r[c.key] ?? '')}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

function finish(response) {
  const question = $('#question').dataset.asked;
  history.unshift({ question, response, at: new Date().toISOString() });
  history = history.slice(0, 20);
  sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history));
  renderHistory();
  $('#ask button').disabled = false;
  current = null;
}

function renderHistory() {
  $('#history').innerHTML = history.map((h) => `<li><b>${escapeHtml(h.question)}</b><br>${escapeHtml(h.response)}</li>`).join('');
}

$('#ask').addEventListener('submit', async (event) => {
  event.preventDefault();
  const message = $('#question').value.trim();
  if (!message || current) return;
  $('#steps').innerHTML = '';
  $('#answer').textContent = '';
  $('#data').innerHTML = '';
  $('#ask-error').textContent = '';
  $('#question').dataset.asked = message;
  $('#ask button').disabled = true;
  const request_id = crypto.randomUUID();
  current = request_id;
  const ack = await socket.timeout(10000).emitWithAck('assistant:ask', { message, request_id, conversation_id: conversationId }).catch(() => null);
  if (!ack?.ok) {
    $('#ask-error').textContent = ack ? ack.error.message : t('assistant.no_answer');
    $('#ask button').disabled = false;
    current = null;
  }
});
for (const example of document.querySelectorAll('[data-example]')) {
  example.addEventListener('click', () => {
    $('#question').value = example.textContent;
    $('#question').focus();
  });
}
renderHistory();
