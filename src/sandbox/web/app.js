// The sandbox page: shows the Slack stand-in's workspace as one person sees it and acts as that
// person's Slack client. The server renders Block Kit to HTML; this script swaps the fragments in,
// follows live updates (server-sent events), and turns clicks, selects and typed commands into
// requests that the stand-in sends to the bot with Slack's wire formats.

const $ = (id) => document.getElementById(id);

const view = {
  as: undefined,
  open: 'dm',
  tab: 'messages',
  info: undefined,
  snapshot: undefined,
  /** Set after sending a lead from the form: switch to whoever gets the next card. */
  follow: false,
  /** Messages each person had seen when last shown, for the unread badges. */
  seen: {},
};

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('as')) view.as = params.get('as');
  if (params.get('open')) view.open = params.get('open');
  if (params.get('tab') === 'home') view.tab = 'home';
}

function writeHash() {
  const params = new URLSearchParams({ as: view.as ?? '', open: view.open, tab: view.tab });
  history.replaceState(null, '', `#${params}`);
}

function toast(text, kind = 'error') {
  const el = $('toast');
  el.textContent = text;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 6000);
}

/** What the page says when the sandbox server does not answer at all (stopped, restarting). */
const SERVER_DOWN = 'The sandbox server is not answering: is `npm start` still running? Start it again, then reload this page.';

/** POSTs JSON; `status` 0 (and `error`) when the server could not be reached, so callers show it on the page. */
async function postJson(url, body, headers = {}) {
  let response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  } catch {
    return { status: 0, ok: false, json: { error: SERVER_DOWN } };
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  return { status: response.status, ok: response.ok, json };
}

// ---- rendering ------------------------------------------------------------------------------------

function escapeText(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
}

function renderSidebar(snapshot) {
  const people = snapshot.people
    .map((p) => {
      const active = p.id === snapshot.as;
      if (active && view.open === 'dm') view.seen[p.id] = p.messages;
      const unread = Math.max(0, p.messages - (view.seen[p.id] ?? 0));
      return `<li><button type="button" class="person${active ? ' active' : ''}" data-person="${escapeText(p.id)}" title="${escapeText(p.role)} · ${escapeText(p.tz)}">
        <span class="person-name">${escapeText(p.name)}</span><span class="person-role">${escapeText(p.role)}</span>
        ${unread > 0 ? `<span class="unread" aria-label="${unread} new">${unread}</span>` : ''}</button></li>`;
    })
    .join('');
  $('people').innerHTML = people;
  $('channels').innerHTML = snapshot.channels.length
    ? snapshot.channels
        .map((c) => `<li><button type="button" class="channel${view.open === c.id ? ' active' : ''}" data-channel-id="${escapeText(c.id)}" title="${escapeText(c.purpose)}"># ${escapeText(c.name)} <span class="count">${c.messages}</span></button></li>`)
        .join('')
    : '<li class="muted">none in this config</li>';
  const escalations = snapshot.channels.find((c) => c.purpose === 'escalations');
  $('escalation-name').textContent = escalations ? `#${escalations.name}` : "the team's manager";
}

function renderModal(snapshot) {
  const modal = snapshot.modal;
  $('modal').hidden = modal === null;
  if (modal === null) return;
  $('modal-title').textContent = modal.title;
  $('modal-close').textContent = modal.close;
  $('modal-body').innerHTML = modal.html;
}

async function closeModal() {
  const result = await postJson('/sandbox/close-modal', { as: view.as });
  if (!result.ok) toast(result.json?.error ?? `The page answered ${result.status}`);
  void refresh();
}

function renderConversation(snapshot) {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  $('conv-title').textContent = snapshot.conversation.title;
  box.innerHTML = snapshot.conversation.html;
  if (atBottom) box.scrollTop = box.scrollHeight;
  $('home').innerHTML =
    snapshot.home ?? '<div class="empty">The bot has not published this person\'s App Home yet. It does when they open the Home tab.</div>';
  const person = snapshot.people.find((p) => p.id === snapshot.as);
  $('command-label').textContent = `as ${person ? person.name.split(' ')[0] : snapshot.as}:`;
  const showHome = view.tab === 'home' && view.open === 'dm';
  $('messages').hidden = showHome;
  $('home').hidden = !showHome;
  $('tab-home').disabled = view.open !== 'dm';
  for (const [id, active] of [['tab-messages', !showHome], ['tab-home', showHome]]) {
    $(id).classList.toggle('active', active);
    $(id).setAttribute('aria-selected', String(active));
  }
}

let refreshing = false;
let again = false;

async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    do {
      again = false;
      const params = new URLSearchParams({ open: view.open });
      if (view.as) params.set('as', view.as);
      const response = await fetch(`/sandbox/state?${params}`);
      const snapshot = await response.json();
      const before = view.snapshot;
      view.as = snapshot.as;
      if (view.follow && before) {
        const grew = snapshot.people.find((p) => {
          const old = before.people.find((o) => o.id === p.id);
          return old && p.messages > old.messages;
        });
        if (grew) {
          view.follow = false;
          if (grew.id !== view.as) {
            switchTo(grew.id, 'dm');
            again = true;
            continue;
          }
        }
      }
      view.snapshot = snapshot;
      renderSidebar(snapshot);
      renderConversation(snapshot);
      renderModal(snapshot);
      document.body.dataset.as = snapshot.as;
      writeHash();
    } while (again);
  } catch {
    toast(SERVER_DOWN);
  } finally {
    refreshing = false;
  }
}

function switchTo(personId, open) {
  view.as = personId;
  view.open = open;
  if (open !== 'dm') view.tab = 'messages';
  if (view.tab === 'home') void openHome();
}

// ---- acting as the person -----------------------------------------------------------------------

async function openHome() {
  const result = await postJson('/sandbox/home', { as: view.as });
  if (!result.ok) toast(result.json?.error ?? `The bot answered ${result.status}`);
}

function surfaceOf(element) {
  const message = element.closest('[data-surface="message"]');
  if (message) return { channel: message.dataset.channel, ts: message.dataset.ts };
  if (element.closest('#home')) return { view: 'home' };
  return undefined;
}

async function act(element, kind, value, text) {
  const surface = surfaceOf(element);
  if (!surface) return;
  const body = { as: view.as, actionId: element.dataset.actionId, kind, ...surface };
  if (element.dataset.blockId) body.blockId = element.dataset.blockId;
  if (value !== undefined && value !== '') body.value = value;
  if (text !== undefined) body.text = text;
  element.disabled = true;
  element.classList.add('busy');
  try {
    const result = await postJson('/sandbox/action', body);
    if (result.json?.changed) toast('That message changed before the click arrived; here is what it shows now.', 'info');
    else if (!result.ok) toast(result.json?.error ?? `The bot answered ${result.status}`);
    else if (result.json && result.json.status >= 400) toast(`The bot answered ${result.json.status}`);
  } finally {
    element.disabled = false;
    element.classList.remove('busy');
    void refresh();
  }
}

function onClick(event) {
  // A URL button opens its link (the browser follows the <a>) and, like in Slack, still tells the app.
  const link = event.target.closest('a[data-action-id]');
  if (link) {
    void act(link, 'button', link.dataset.value);
    return;
  }
  const button = event.target.closest('button[data-action-id]');
  if (!button) return;
  event.preventDefault();
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  void act(button, 'button', button.dataset.value);
}

function onChange(event) {
  const select = event.target.closest('select[data-action-id]');
  if (!select || select.value === '') return;
  const option = select.options[select.selectedIndex];
  void act(select, select.dataset.kind, select.value, option ? option.textContent : undefined);
}

function commandError(text) {
  $('command-hint').textContent = text;
  $('command-hint').classList.add('error');
}

async function sendCommand(event) {
  event.preventDefault();
  const input = $('command-input');
  const text = input.value.trim();
  if (text === '') return;
  // Like Slack's client, the page knows the app's commands and answers a typo itself.
  const typed = /^(\/[a-z0-9_-]+)/i.exec(text)?.[1]?.toLowerCase();
  const commands = view.info?.commands ?? [];
  if (typed === undefined) return commandError('Type a slash command, e.g. /away 1h');
  if (!commands.some((c) => c.command === typed)) {
    return commandError(`${typed} is not a command of this app. Try ${commands.map((c) => c.command).join(', ')}.`);
  }
  const body = { as: view.as, text };
  if (view.open !== 'dm') body.channel = view.open;
  if (view.tab === 'home') {
    view.tab = 'messages';
    writeHash();
  }
  const result = await postJson('/sandbox/command', body);
  if (!result.ok) return commandError(result.json?.error ?? `The bot answered ${result.status}`);
  $('command-hint').textContent = '';
  $('command-hint').classList.remove('error');
  input.value = '';
  if (result.json && result.json.status >= 400) toast(`The bot answered ${result.json.status}`);
  void refresh();
}

function showCommandHint() {
  const typed = $('command-input').value.trim().split(/\s+/)[0];
  const command = view.info?.commands.find((c) => c.command === typed);
  if (!command) return;
  $('command-hint').classList.remove('error');
  $('command-hint').textContent = `${command.command} ${command.usage} — ${command.description}`;
}

// ---- leads ---------------------------------------------------------------------------------------

function leadFromForm(form) {
  const lead = { company: {} };
  for (const [name, raw] of new FormData(form)) {
    const value = String(raw).trim();
    if (value === '') continue;
    const numeric = name === 'score' || name === 'company.employees';
    const parsed = numeric ? Number(value) : value;
    if (name.startsWith('company.')) lead.company[name.slice('company.'.length)] = parsed;
    else lead[name] = parsed;
  }
  if (Object.keys(lead.company).length === 0) delete lead.company;
  return lead;
}

function postLead(lead) {
  return postJson('/leads', lead, { authorization: `Bearer ${view.info.webhookSecret}` });
}

function describeLeadResult(result) {
  if (result.status === 0) return result.json.error;
  if (result.status === 202) return `${result.json.lead} accepted`;
  if (result.status === 200) return `${result.json.lead} is a duplicate of an open lead`;
  if (result.status === 400 && result.json?.issues) return `Refused: ${result.json.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  return `Refused (${result.status}): ${JSON.stringify(result.json)}`;
}

async function sendLead(event) {
  event.preventDefault();
  const result = await postLead(leadFromForm(event.target));
  const box = $('lead-result');
  box.textContent = result.status === 202 ? `${describeLeadResult(result)} — routing it now; the page follows the card.` : describeLeadResult(result);
  box.className = `result ${result.ok ? 'ok' : 'error'}`;
  if (result.status === 202) view.follow = true;
  // Next time the same form is sent it is a new person, not a duplicate: the address gets the
  // number of the lead just accepted (jane.doe+1@…), unique since every lead has its own number.
  const email = event.target.elements.email;
  if (result.status === 202 && email.value.includes('@')) {
    const [local, domain] = email.value.split('@');
    const base = local.replace(/\+\d+$/, '');
    email.value = `${base}+${String(result.json.lead).replace(/^L-/, '')}@${domain}`;
  }
}

async function sendSamples() {
  const stamp = Date.now().toString(36).slice(-5);
  const results = [];
  for (const sample of view.info.samples) {
    const [local, domain] = sample.email.split('@');
    const result = await postLead({ ...sample, email: `${local}+${stamp}@${domain}` });
    results.push(result);
    if (result.status === 0) break;
  }
  const accepted = results.filter((r) => r.status === 202).map((r) => r.json.lead);
  const box = $('lead-result');
  const down = results.find((r) => r.status === 0);
  box.textContent = down
    ? `${accepted.length} of ${results.length} sample leads accepted. ${down.json.error}`
    : `${accepted.length} of ${results.length} sample leads accepted${accepted.length ? ` (${accepted[0]}…${accepted[accepted.length - 1]})` : ''}. Watch the unread badges.`;
  box.className = `result ${accepted.length === results.length ? 'ok' : 'error'}`;
}

// ---- lead sources (/hooks/<id>) -------------------------------------------------------------------

const PROVIDERS = { typeform: 'Typeform', hubspot: 'HubSpot', calendly: 'Calendly' };

function describeHookResult(title, id, result) {
  const answer = result.body ?? {};
  const warnings = Array.isArray(answer.warnings) && answer.warnings.length > 0 ? ` Warnings: ${answer.warnings.map((w) => `${w.path}: ${w.message}`).join('; ')}.` : '';
  if (result.status === 202) return `${title} sample → /hooks/${id}: ${answer.lead} accepted — routing it now; the page follows the card.${warnings}`;
  if (result.status === 200 && answer.status === 'duplicate') return `${title} sample → /hooks/${id}: ${answer.lead} is a duplicate of an open lead.${warnings}`;
  if (result.status === 400 && Array.isArray(answer.issues)) return `${title} sample refused: ${answer.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  return `${title} sample → /hooks/${id} answered ${result.status}: ${JSON.stringify(answer)}`;
}

async function sendHookSample(button) {
  const { preset, source } = button.dataset;
  const title = PROVIDERS[preset];
  button.disabled = true;
  try {
    const response = await postJson('/sandbox/hook-sample', { preset });
    const box = $('hook-result');
    if (!response.ok) {
      box.textContent = response.json?.error ?? `The sandbox answered ${response.status}`;
      box.className = 'result error';
      return;
    }
    box.textContent = describeHookResult(title, source, response.json);
    box.className = `result ${response.json.status < 300 ? 'ok' : 'error'}`;
    if (response.json.status === 202) view.follow = true;
  } finally {
    button.disabled = false;
  }
}

function renderHookSamples(sources) {
  const buttons = Object.entries(PROVIDERS).flatMap(([preset, title]) => {
    const source = sources.find((s) => s.preset === preset);
    return source ? [`<button type="button" data-preset="${escapeText(preset)}" data-source="${escapeText(source.id)}">Send a ${escapeText(title)} sample</button>`] : [];
  });
  $('hook-samples').hidden = buttons.length === 0;
  $('hook-buttons').innerHTML = buttons.join('');
  $('hook-buttons').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-preset]');
    if (button) void sendHookSample(button);
  });
}

// ---- start ---------------------------------------------------------------------------------------

function connectEvents() {
  const source = new EventSource('/sandbox/events');
  source.addEventListener('change', () => void refresh());
  source.addEventListener('open', () => {
    $('live').textContent = '● live';
    $('live').className = 'live on';
  });
  source.addEventListener('error', () => {
    $('live').textContent = '○ reconnecting…';
    $('live').className = 'live off';
  });
}

async function start() {
  readHash();
  try {
    view.info = await (await fetch('/sandbox/info')).json();
  } catch {
    $('meta').textContent = SERVER_DOWN;
    return;
  }
  const info = view.info;
  $('meta').textContent = `config ${info.config} · ${info.sla}`;
  $('curl').textContent = `curl -X POST ${location.origin}/leads \\\n  -H 'Authorization: Bearer ${info.webhookSecret}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"email":"jane@acme.com","name":"Jane Doe","score":90}'`;
  renderHookSamples(info.sources ?? []);
  const signed = (info.sources ?? []).filter((source) => source.secret_env !== 'LEADRELAY_WEBHOOK_SECRET');
  if (signed.length > 0) {
    // The secrets to sign with from a shell (README: "Connect your lead sources"): export these.
    $('curl').textContent += `\n\n# the lead sources' secrets (POST /hooks/<id>):\nexport ${[...new Set(signed.map((s) => `${s.secret_env}=${s.secret}`))].join(' \\\n  ')}`;
  }
  $('command-list').innerHTML = info.commands.map((c) => `<option value="${escapeText(c.command)} ">${escapeText(c.description)}</option>`).join('');

  $('people').addEventListener('click', (event) => {
    const button = event.target.closest('[data-person]');
    if (!button) return;
    switchTo(button.dataset.person, 'dm');
    void refresh();
  });
  $('channels').addEventListener('click', (event) => {
    const button = event.target.closest('[data-channel-id]');
    if (!button) return;
    switchTo(view.as, button.dataset.channelId);
    void refresh();
  });
  $('tab-messages').addEventListener('click', () => {
    view.tab = 'messages';
    void refresh();
  });
  $('tab-home').addEventListener('click', () => {
    view.tab = 'home';
    void openHome().then(refresh);
  });
  for (const id of ['messages', 'home']) {
    $(id).addEventListener('click', onClick);
    $(id).addEventListener('change', onChange);
  }
  $('modal-close').addEventListener('click', () => void closeModal());
  $('modal-x').addEventListener('click', () => void closeModal());
  $('command-form').addEventListener('submit', sendCommand);
  $('command-input').addEventListener('input', showCommandHint);
  $('lead-form').addEventListener('submit', sendLead);
  $('samples').addEventListener('click', () => void sendSamples());
  window.addEventListener('hashchange', () => {
    readHash();
    void refresh();
  });

  await refresh();
  if (view.tab === 'home') void openHome();
  connectEvents();
  document.body.dataset.ready = 'true';
}

void start();
