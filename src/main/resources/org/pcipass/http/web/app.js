// pcipass web page: the browser counterpart of `pcipass list/show/groups/hide/unhide/attach/detach`.
//
// Plain ES2020, no framework. The server's Content-Security-Policy forbids inline code and styles,
// so every handler is attached here and every text from the host goes in through textContent.
'use strict';

const TOKEN_KEY = 'pcipass.token';
const VERDICTS = ['not-endpoint', 'host-critical', 'group-blocked', 'assigned', 'no-iommu', 'ready', 'assignable'];
const STUBS = ['pciback', 'vfio-pci', 'pci-stub'];
const STATUS_TEXT = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  409: 'Conflict', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

const state = {
  token: null,
  me: null,            // {name, role} from /api/whoami
  devices: [],         // /api/devices
  open: null,          // address of the device in the panel
  detail: null,        // /api/devices/{open}
  plan: null,          // {action, body, planId, steps, notes}
  view: 'view-devices',
  live: null,          // AbortController of the event stream
  loadSeq: { devices: 0, detail: 0, groups: 0, assignments: 0, audit: 0 },
  shown: {},           // kind -> JSON text of the data last rendered
  rows: new Map(),     // address -> {json, tr}: device rows kept while their device is unchanged
  version: null,       // the last snapshot version the event stream announced
  devicesLoaded: false,
  busy: false,         // a POST is under way: action and plan buttons wait for it
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// DOM helpers. el() only ever sets text through createTextNode.

/** Makes an element: el('td', {className, title, data: {address}}, child, 'text', ...). */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (key === 'className') node.className = value;
      else if (key === 'data') Object.entries(value).forEach(([k, v]) => { node.dataset[k] = v; });
      else if (key === 'title') node.title = value;
      else if (key === 'type') node.type = value;
      else node.setAttribute(key, value);
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** A verdict badge: span.verdict[data-verdict] with class verdict-NAME. */
function verdictBadge(verdict) {
  return el('span', { className: `verdict verdict-${verdict}`, data: { verdict } }, verdict);
}

/** An address that opens the device panel when clicked. */
function addressLink(address) {
  const b = el('button', { type: 'button', className: 'link mono', title: `show ${address}` }, address);
  b.addEventListener('click', (ev) => { ev.stopPropagation(); openDevice(address); });
  return b;
}

const orDash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

// ---------------------------------------------------------------------------------------------
// Messages and errors

function showMessage(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = kind || '';
}

class ApiError extends Error {
  constructor(status, data) {
    super((data && data.error) || `HTTP ${status}`);
    this.status = status;
    this.data = data || {};
  }
}

/** One line for the message bar, in the words the brief asks for 401 and 403. */
function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const msg = err.data.error || '';
  if (err.status === 0) return msg;
  if (err.status === 401) return '401: no valid token — paste an admin or viewer token above';
  if (err.status === 403) {
    const base = `403 Forbidden: ${msg || 'this token may not do that'}`;
    // The server's text normally names the role already; say it ourselves when it does not.
    return /admin|viewer|role/i.test(msg) ? base
      : `${base} (this token's role does not allow changes: use an admin token)`;
  }
  let text = `${err.status} ${STATUS_TEXT[err.status] || 'Error'}: ${msg}`;
  if (err.data.result) text += ` — ${err.data.result}`;
  if (err.data.fix) text += ` — fix: ${err.data.fix}`;
  if (err.data.exit !== undefined && err.data.exit !== null) text += ` (exit ${err.data.exit})`;
  return text;
}

function showError(err) {
  showMessage(errorText(err), 'error');
  if (err instanceof ApiError && err.status === 401) $('token').focus();
}

// ---------------------------------------------------------------------------------------------
// API

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: `cannot reach the pcipass server (${e.message})` });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = { error: text.trim().split('\n')[0] };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data || { error: res.statusText });
  return data;
}

/**
 * Runs a loader and drops its answer when a newer call of the same kind started meanwhile,
 * so that a slow response cannot overwrite a fresher one (events can trigger many refreshes).
 * Data equal to what is on screen is not rendered again: live refreshes then leave the page's
 * elements (and a half-typed input, a focused row) alone unless something really changed.
 */
async function latest(kind, load, render) {
  const seq = ++state.loadSeq[kind];
  const data = await load();
  if (seq !== state.loadSeq[kind] || !state.token) return;
  const json = JSON.stringify(data);
  if (state.shown[kind] === json) return;
  state.shown[kind] = json;
  render(data);
}

// ---------------------------------------------------------------------------------------------
// Token and session

function updateTokenUi() {
  const has = Boolean(state.token);
  $('token-clear').hidden = !has;
  $('token-form').classList.toggle('collapsed', has);
  $('token').placeholder = has ? 'paste another token' : 'paste an admin or viewer token';
  $('token-save').textContent = has ? 'Replace' : 'Use token';
  if (!has) $('whoami').textContent = '';
}

function saveToken() {
  const value = $('token').value.trim();
  if (!value) {
    showMessage('paste a token first (make one with: pcipass token add NAME --role admin)', 'error');
    return;
  }
  $('token').value = '';
  if (state.token) clearData(); // another token may see or own different things
  state.token = value;
  sessionStorage.setItem(TOKEN_KEY, value);
  updateTokenUi();
  showMessage('', '');
  startSession();
}

function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  clearData();
  updateTokenUi();
  showMessage('token forgotten — paste an admin or viewer token to continue', '');
}

/** Forgets everything the last token showed: no host data stays on screen without a token. */
function clearData() {
  state.me = null;
  state.shown = {};
  state.rows = new Map();
  state.devicesLoaded = false;
  state.version = null;
  // Answers still on their way belong to the old token: make latest() drop them.
  Object.keys(state.loadSeq).forEach((k) => { state.loadSeq[k] += 1; });
  stopLive();
  closePanel();
  state.devices = [];
  renderFilters();
  renderDevices();
  ['groups', 'assignments', 'audit'].forEach((id) => clear($(id).tBodies[0]));
  $('whoami').textContent = '';
  $('whoami').className = 'whoami';
  updateActions();
}

async function startSession() {
  loadWhoami();
  refreshAll();
  startLive();
}

async function loadWhoami() {
  try {
    state.me = await api('GET', '/api/whoami');
    $('whoami').textContent = `${state.me.name} (${state.me.role})`;
    $('whoami').className = `whoami role-${state.me.role}`;
  } catch (e) {
    state.me = null;
    $('whoami').textContent = '';
    $('whoami').className = 'whoami';
    showError(e);
  }
  updateActions();
}

/** Re-reads what the host looks like: devices, the open panel, and the visible table. */
function refreshAll() {
  loadDevices();
  if (state.open) loadDetail();
  if (state.view === 'view-groups') loadGroups();
  if (state.view === 'view-assignments') loadAssignments();
  if (state.view === 'view-audit') loadAudit();
}

// ---------------------------------------------------------------------------------------------
// Tabs

function showView(viewId) {
  state.view = viewId;
  document.querySelectorAll('.tabs button').forEach((b) => {
    const active = b.dataset.view === viewId;
    b.classList.toggle('active', active);
    b.setAttribute('aria-selected', String(active));
  });
  document.querySelectorAll('section.view').forEach((s) => { s.hidden = s.id !== viewId; });
  if (!state.token) return;
  if (viewId === 'view-devices') loadDevices();
  if (viewId === 'view-groups') loadGroups();
  if (viewId === 'view-assignments') loadAssignments();
  if (viewId === 'view-audit') loadAudit();
}

// ---------------------------------------------------------------------------------------------
// Devices table and filters

async function loadDevices() {
  try {
    await latest('devices', () => api('GET', '/api/devices'), (data) => {
      state.devices = Array.isArray(data) ? data : [];
      state.devicesLoaded = true;
      const present = new Set(state.devices.map((d) => d.address));
      for (const address of [...state.rows.keys()]) if (!present.has(address)) state.rows.delete(address);
      renderFilters();
      renderDevices();
    });
  } catch (e) {
    showError(e);
  }
}

const classKey = (d) => d.className || `class ${d.classCode}`;
const deviceLabel = (d) => d.deviceName || `device ${d.deviceId}`;
const vendorLabel = (d) => d.vendorName || `vendor ${d.vendorId}`;

/** Rebuilds a select's options after the first `keep`, keeping the chosen value even if it vanished. */
function fillSelect(select, keep, values) {
  const chosen = select.value;
  while (select.options.length > keep) select.remove(keep);
  const all = values.slice();
  if (chosen && !all.includes(chosen) && ![...select.options].some((o) => o.value === chosen)) all.push(chosen);
  all.forEach((v) => select.add(el('option', { value: v }, v)));
  select.value = chosen;
}

function renderFilters() {
  const uniq = (xs) => [...new Set(xs)];
  const classes = uniq(state.devices.map(classKey)).sort((a, b) => a.localeCompare(b));
  const present = new Set(state.devices.map((d) => d.verdict));
  const verdicts = VERDICTS.filter((v) => present.has(v))
    .concat([...present].filter((v) => !VERDICTS.includes(v)));
  const drivers = uniq(state.devices.map((d) => d.driver).filter(Boolean)).sort();
  fillSelect($('filter-class'), 1, classes);
  fillSelect($('filter-verdict'), 1, verdicts);
  fillSelect($('filter-driver'), 2, drivers);
}

function matchesFilters(d) {
  const cls = $('filter-class').value;
  const verdict = $('filter-verdict').value;
  const driver = $('filter-driver').value;
  const text = $('filter-text').value.trim().toLowerCase();
  if (cls && classKey(d) !== cls) return false;
  if (verdict && d.verdict !== verdict) return false;
  if (driver === '(none)' && d.driver) return false;
  if (driver && driver !== '(none)' && d.driver !== driver) return false;
  if (text) {
    const hay = [d.address, d.vendorName, d.deviceName, d.className, d.driver, d.owner]
      .filter(Boolean).join('\n').toLowerCase();
    if (!hay.includes(text)) return false;
  }
  return true;
}

/** Shows the filtered devices, reusing the row of every device whose data did not change. */
function renderDevices() {
  const tbody = $('devices').tBodies[0];
  const shown = state.devices.filter(matchesFilters);
  const rows = new Map();
  shown.forEach((d, i) => {
    const json = JSON.stringify(d);
    const old = state.rows.get(d.address);
    const tr = old && old.json === json ? old.tr : deviceRow(d);
    rows.set(d.address, { json, tr });
    tr.classList.toggle('selected', d.address === state.open);
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
  });
  while (tbody.children.length > shown.length) tbody.removeChild(tbody.lastChild);
  // Rows filtered out stay cached so clearing a filter brings back the same elements.
  for (const [address, row] of state.rows) if (!rows.has(address)) rows.set(address, row);
  state.rows = rows;
  const total = state.devices.length;
  $('device-count').textContent = `${shown.length} of ${total} device${total === 1 ? '' : 's'}`;
  const empty = $('devices-empty');
  empty.hidden = shown.length > 0 || !state.devicesLoaded;
  empty.textContent = total ? 'No device matches the filters.' : 'No devices.';
}

function deviceRow(d) {
  const names = el('td', { className: 'names', title: `${vendorLabel(d)} ${deviceLabel(d)}` },
    el('div', { className: 'dev-name clamp' }, deviceLabel(d)),
    el('div', { className: 'sub' }, el('span', { className: 'mono ids' }, `${d.vendorId}:${d.deviceId}`),
      ' ', vendorLabel(d)));
  const reason = (d.reasons && d.reasons[0]) || '';
  const tr = el('tr', { tabindex: '0', data: { address: d.address } },
    el('td', { className: 'mono nowrap' }, d.address),
    names,
    el('td', { className: 'cls' }, el('div', { className: 'clamp' }, d.className || `class ${d.classCode}`)),
    el('td', { className: d.driver ? 'mono' : 'muted' }, orDash(d.driver)),
    el('td', { className: 'num' }, orDash(d.iommuGroup)),
    el('td', null, verdictBadge(d.verdict)),
    el('td', { className: 'reason', title: (d.reasons || []).join('\n') },
      el('small', { className: 'clamp' }, reason)),
    el('td', null, d.owner || ''));
  tr.addEventListener('click', () => openDevice(d.address));
  tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') openDevice(d.address); });
  return tr;
}

// ---------------------------------------------------------------------------------------------
// Device panel

function openDevice(address) {
  if (state.open !== address) {
    hidePlan();
    resetOptions();
    state.detail = null;
    clear($('panel-summary'));
    clear($('panel-details'));
  }
  state.open = address;
  delete state.shown.detail;
  const panel = $('panel');
  panel.hidden = false;
  panel.dataset.address = address;
  $('panel-title').textContent = address;
  document.querySelectorAll('#devices tbody tr').forEach((tr) => {
    tr.classList.toggle('selected', tr.dataset.address === address);
  });
  updateActions();
  loadDetail();
}

function closePanel() {
  hidePlan();
  state.open = null;
  state.detail = null;
  delete state.shown.detail;
  const panel = $('panel');
  panel.hidden = true;
  delete panel.dataset.address;
  document.querySelectorAll('#devices tbody tr.selected').forEach((tr) => tr.classList.remove('selected'));
}

/** Options go back to safe defaults for a new device: nothing forced or persisted by accident. */
function resetOptions() {
  ['opt-with-group', 'opt-persist', 'opt-force', 'opt-return'].forEach((id) => { $(id).checked = false; });
}

async function loadDetail() {
  const address = state.open;
  try {
    await latest('detail', () => api('GET', `/api/devices/${encodeURIComponent(address)}`), (d) => {
      if (state.open !== address) return;
      const first = !state.detail;
      state.detail = d;
      renderPanel(d);
      // For a detach the guest is the owner; prefill it when the device is opened.
      if (first && d.owner) $('opt-guest').value = d.owner;
      updateActions();
    });
  } catch (e) {
    if (state.open !== address) return;
    state.detail = null;
    delete state.shown.detail;
    clear($('panel-summary')).appendChild(el('p', { className: 'error-text' },
      e instanceof ApiError && e.status === 404 ? `${address} is no longer on this host` : errorText(e)));
    clear($('panel-details'));
    updateActions();
    if (!(e instanceof ApiError && e.status === 404)) showError(e);
  }
}

function renderPanel(d) {
  $('panel-title').textContent = d.address;
  $('panel-subtitle').textContent = `${vendorLabel(d)} · ${deviceLabel(d)}`;
  const summary = clear($('panel-summary'));
  summary.appendChild(el('div', { className: 'panel-verdict' }, verdictBadge(d.verdict),
    d.owner ? el('span', { className: 'owner-tag' }, `owned by ${d.owner}`) : null));
  const reasons = el('ul', { id: 'panel-reasons', className: 'reasons' });
  (d.reasons || []).forEach((r) => reasons.appendChild(el('li', null, r)));
  summary.appendChild(reasons);

  const details = clear($('panel-details'));
  append(details, [identitySection(d), driverSection(d), usageSection(d), groupSection(d),
    sriovSection(d), ownerSection(d), hardwareSection(d)]);
}

/** A panel section: heading and a definition list of [label, value] pairs (null values skipped). */
function dlSection(title, pairs, ...extra) {
  const dl = el('dl', { className: 'facts' });
  pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').forEach(([k, v]) => {
    dl.appendChild(el('dt', null, k));
    dl.appendChild(el('dd', null, v));
  });
  return el('section', { className: 'panel-section' }, el('h3', null, title), dl, ...extra);
}

function identitySection(d) {
  const ids = `${d.vendorId}:${d.deviceId}`
    + (d.subsystemVendorId ? ` (subsystem ${d.subsystemVendorId}:${d.subsystemDeviceId})` : '');
  return dlSection('Identity', [
    ['IDs', el('span', { className: 'mono' }, ids)],
    ['Vendor', orDash(d.vendorName)],
    ['Device', orDash(d.deviceName)],
    ['Class', `${orDash(d.className)} (${d.classCode})`],
    ['Revision', d.revision],
    ['Header type', d.headerType],
    ['NUMA node', d.numaNode === null || d.numaNode === undefined ? '—' : String(d.numaNode)],
    ['libvirt name', d.nodedevName ? el('span', { className: 'mono' }, d.nodedevName) : null],
    ['Boot VGA', d.bootVga ? 'yes (the boot console may depend on it)' : null],
  ]);
}

function driverSection(d) {
  return dlSection('Driver', [
    ['Driver', orDash(d.driver)],
    ['Module', orDash(d.module)],
    ['Reset methods', d.resetMethods && d.resetMethods.length ? d.resetMethods.join(', ') : 'none'],
  ]);
}

function usageSection(d) {
  const usage = d.usage || [];
  const body = usage.length
    ? el('table', { className: 'mini' },
      el('thead', null, el('tr', null, el('th', null, 'Kind'), el('th', null, 'Name'), el('th', null, 'Detail'))),
      el('tbody', null, usage.map((u) => el('tr', null,
        el('td', null, u.kind), el('td', { className: 'mono' }, u.name), el('td', null, orDash(u.detail))))))
    : el('p', { className: 'muted' }, 'Nothing on the host uses it.');
  return el('section', { className: 'panel-section' }, el('h3', null, 'Usage on the host'), body);
}

function groupSection(d) {
  const section = el('section', { className: 'panel-section' });
  if (!d.group) {
    return append(section, [el('h3', null, 'IOMMU group'), el('p', { className: 'muted' }, 'none (no IOMMU group)')]);
  }
  section.appendChild(el('h3', null, `IOMMU group ${d.group.id}`));
  const ul = el('ul', { className: 'members' });
  (d.group.members || []).forEach((m) => ul.appendChild(memberItem(m, m.address === d.address)));
  section.appendChild(ul);
  return section;
}

function memberItem(m, self) {
  return el('li', { className: self ? 'self' : null },
    self ? el('span', { className: 'mono' }, m.address) : addressLink(m.address), ' ',
    el('span', { className: m.driver ? 'mono' : 'muted' }, m.driver || 'no driver'),
    m.bridge ? el('span', { className: 'tag' }, 'bridge') : null,
    self ? el('span', { className: 'tag' }, 'this device') : null);
}

function sriovSection(d) {
  const virtfns = d.virtfns || [];
  if (!d.sriov && !d.physfn && !virtfns.length) return null;
  return dlSection('SR-IOV', [
    ['VFs', d.sriov ? `${d.sriov.numVfs} enabled of ${d.sriov.totalVfs}` : null],
    ['Physical function', d.physfn ? addressLink(d.physfn) : null],
    ['Virtual functions', virtfns.length ? el('span', { className: 'list' }, virtfns.map(addressLink)) : null],
  ]);
}

function ownerSection(d) {
  const a = d.assignment;
  if (!d.owner && !a) return dlSection('Owner', [['Guest', 'none: no guest owns it']]);
  return dlSection('Owner', [
    ['Guest', d.owner || (a && a.guest)],
    ['Backend', a && a.backend],
    ['Connect', a && a.connect ? el('span', { className: 'mono' }, a.connect) : null],
    ['Mode', a && a.mode],
    ['State', a && a.state],
    ['Since', a && a.since],
  ]);
}

function hardwareSection(d) {
  const l = d.link;
  const link = l ? `${orDash(l.speed)} x${orDash(l.width)} (max ${orDash(l.maxSpeed)} x${orDash(l.maxWidth)})` : null;
  return dlSection('PCIe link', [['Link', link || 'not reported']]);
}

// ---------------------------------------------------------------------------------------------
// Actions: which make sense for the open device, and why not.

/**
 * For each action, null when it may be tried, else the reason it is disabled. The server decides
 * in the end; this only keeps the obviously pointless buttons off, always saying why.
 */
function actionReasons(d) {
  if (!d) {
    const why = 'loading the device…';
    return { hide: why, unhide: why, attach: why, detach: why };
  }
  const first = (d.reasons && d.reasons[0]) || d.verdict;
  const onStub = STUBS.includes(d.driver);
  const r = {};
  if (d.verdict === 'not-endpoint') r.hide = `not an endpoint: ${first}`;
  else if (d.owner) r.hide = `assigned to ${d.owner}: detach it first`;
  else if (d.verdict === 'group-blocked') r.hide = `group-blocked: ${first}`;
  else if (d.verdict === 'host-critical' && !$('opt-force').checked) {
    r.hide = `host-critical: ${first} — tick "force" to override (never possible for the root filesystem or a PF with VFs)`;
  } else if (onStub && !$('opt-persist').checked) {
    r.hide = `already hidden on ${d.driver}; tick "persist" to keep it hidden across reboots`;
  } else r.hide = null;

  if (d.owner) r.unhide = `assigned to ${d.owner}: detach it first`;
  else if (!onStub) r.unhide = d.driver ? `not hidden: the host driver ${d.driver} has it` : 'not hidden: it has no driver';
  else r.unhide = null;

  if (d.owner) r.attach = `already assigned to ${d.owner}`;
  else if (d.verdict === 'ready' || d.verdict === 'assignable') r.attach = null;
  else r.attach = `${d.verdict}: ${first}`;

  r.detach = d.owner ? null : 'no guest owns this device';
  return r;
}

const ACTION_LABEL = {
  hide: 'take it from the host: bind it to a stub driver',
  unhide: 'give it back to the driver it had before',
  attach: 'hide it where needed and give it to the guest',
  detach: 'take it from the guest',
};

function updateActions() {
  const reasons = actionReasons(state.detail);
  for (const action of ['hide', 'unhide', 'attach', 'detach']) {
    const b = $(`action-${action}`);
    b.disabled = Boolean(reasons[action]) || state.busy;
    b.title = reasons[action] || (state.busy ? 'waiting for the server…' : ACTION_LABEL[action]);
  }
  const hint = $('action-hint');
  hint.textContent = state.me && state.me.role !== 'admin'
    ? `You are signed in as a ${state.me.role}: you can look at everything, but the server refuses changes (and their dry runs) without an admin token.`
    : '';
}

/** The request body for an action, with only the fields set and relevant to it. */
function actionBody(action) {
  const body = { devices: [state.open] };
  const set = (key, value) => { if (value !== '' && value !== false && value !== null) body[key] = value; };
  const guest = $('opt-guest').value.trim();
  if (action === 'hide' || action === 'attach') set('driver', $('opt-driver').value);
  if (action !== 'detach') {
    set('withGroup', $('opt-with-group').checked);
    set('persist', $('opt-persist').checked);
  }
  if (action === 'hide') set('force', $('opt-force').checked);
  if (action === 'attach' || action === 'detach') {
    set('guest', guest);
    set('via', $('opt-via').value);
    set('connect', $('opt-connect').value.trim());
    set('mode', $('opt-mode').value);
  }
  if (action === 'detach') set('return', $('opt-return').checked);
  return body;
}

/** Step one of every action: ask for the plan (dryRun) and show it. */
async function planAction(action) {
  if (!state.open) return;
  const body = actionBody(action);
  if ((action === 'attach' || action === 'detach') && !body.guest) {
    showMessage(`${action} needs a guest: type its name in "Guest"`, 'error');
    $('opt-guest').focus();
    return;
  }
  hidePlan();
  setBusy(true);
  try {
    const resp = await api('POST', `/api/${action}`, { ...body, dryRun: true });
    showPlan(action, body, resp);
    const n = state.plan.steps.length;
    showMessage(`plan for ${action} ${body.devices.join(' ')}: ${n} step${n === 1 ? '' : 's'} — confirm to apply`, 'ok');
  } catch (e) {
    showError(e);
  } finally {
    setBusy(false);
  }
}

/** Step two: apply exactly the plan that was shown (its planId); a stale plan comes back renewed. */
async function confirmPlan() {
  const plan = state.plan;
  if (!plan) return;
  setBusy(true);
  try {
    const resp = await api('POST', `/api/${plan.action}`, { ...plan.body, dryRun: false, planId: plan.planId });
    const result = resp.result || 'done';
    const text = `${plan.action} ${plan.body.devices.join(' ')}: ${result}`;
    if (result === 'done') {
      hidePlan();
      showMessage(text, 'ok');
    } else {
      showMessage(resp.error ? `${text}: ${resp.error}` : text, 'error');
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && e.data.stale && e.data.plan) {
      showPlan(plan.action, plan.body, e.data.plan);
      showMessage('the host changed since the plan was made; here is the new plan — confirm again', 'error');
    } else {
      showError(e); // the plan stays, with its buttons, so the admin can retry or cancel
    }
  } finally {
    setBusy(false);
    refreshAll();
  }
}

function setBusy(busy) {
  state.busy = busy;
  $('plan-confirm').disabled = busy;
  $('plan-cancel').disabled = busy;
  document.body.classList.toggle('busy', busy);
  updateActions();
}

// ---------------------------------------------------------------------------------------------
// Plans

function showPlan(action, body, resp) {
  state.plan = { action, body, planId: resp.planId, steps: resp.steps || [], notes: resp.notes || [] };
  let title = `Plan: ${action} ${body.devices.join(' ')}`;
  if (body.withGroup) title += ' with its IOMMU group';
  if (action === 'attach') title += ` to ${body.guest}`;
  if (action === 'detach') title += ` from ${body.guest}`;
  $('plan-title').textContent = title;

  const steps = clear($('plan-steps'));
  state.plan.steps.forEach((s) => steps.appendChild(el('li', { className: `op-${s.op}` }, breakable(stepText(s)))));
  if (!state.plan.steps.length) steps.appendChild(el('li', { className: 'muted' }, 'nothing to do'));

  const edits = clear($('plan-edits'));
  state.plan.steps.filter((s) => s.op === 'edit').forEach((s) => edits.appendChild(editDetails(s)));

  const notes = clear($('plan-notes'));
  state.plan.notes.forEach((n) => notes.appendChild(el('li', null, n)));
  notes.hidden = !state.plan.notes.length;

  $('plan').hidden = false;
  $('plan').scrollIntoView({ block: 'start', behavior: 'smooth' });
}

function hidePlan() {
  state.plan = null;
  $('plan').hidden = true;
}

/** Text whose long paths may wrap after each '/' (a <wbr> adds no text). */
function breakable(text) {
  const parts = text.split('/');
  return parts.flatMap((p, i) => (i < parts.length - 1 ? [`${p}/`, el('wbr')] : [p]));
}

/** One readable line per step, in the CLI's words. */
function stepText(s) {
  const where = (backend, connect, mode) => `(${backend}, ${mode})${connect ? ` on ${connect}` : ''}`;
  switch (s.op) {
    case 'write':
      return `write ${s.value === '\n' ? '(newline: clear)' : String(s.value).trim()} → ${s.path}`;
    case 'expect-driver':
      return `expect ${s.device} on ${s.driver || 'no driver'}`;
    case 'edit':
      return `edit ${s.file}`;
    case 'run':
      return `run ${(s.argv || []).join(' ')}`;
    case 'wait':
      return `wait for ${s.path}`;
    case 'attach':
      return `attach ${s.device} to ${s.guest} ${where(s.backend, s.connect, s.mode)}`;
    case 'detach':
      return `detach ${s.device} from ${s.guest} ${where(s.backend, s.connect, s.mode)}`
        + (s.timeout ? `, wait up to ${s.timeout} s for the guest to release it` : '');
    default:
      return JSON.stringify(s);
  }
}

/** An edit step's changed lines (- removed, + added), folded under the file name. */
function editDetails(s) {
  const before = s.before == null ? [] : s.before.split('\n');
  const after = s.after == null ? [] : s.after.split('\n');
  const lines = before.filter((l) => l && !after.includes(l)).map((l) => `- ${l}`)
    .concat(after.filter((l) => l && !before.includes(l)).map((l) => `+ ${l}`));
  const what = s.before == null ? ' (new file)' : s.after == null ? ' (removed)' : '';
  return el('details', { className: 'edit' },
    el('summary', null, `changes to ${s.file}${what}`),
    el('pre', null, lines.length ? lines.join('\n') : '(no line changes)'));
}

// ---------------------------------------------------------------------------------------------
// Groups, assignments, audit

async function loadGroups() {
  try {
    await latest('groups', () => api('GET', '/api/groups'), renderGroups);
  } catch (e) {
    showError(e);
  }
}

function renderGroups(groups) {
  const tbody = clear($('groups').tBodies[0]);
  (groups || []).forEach((g) => {
    const members = el('ul', { className: 'members' }, (g.members || []).map((m) => memberItem(m, false)));
    const blockers = (g.blockers || []).length
      ? el('span', { className: 'list' }, g.blockers.map(addressLink)) : el('span', { className: 'muted' }, '—');
    tbody.appendChild(el('tr', { data: { group: String(g.id) } },
      el('td', { className: 'num' }, String(g.id)),
      el('td', null, el('span', { className: `yesno ${g.viable ? 'yes' : 'no'}` }, g.viable ? 'yes' : 'no')),
      el('td', null, members),
      el('td', null, blockers)));
  });
}

async function loadAssignments() {
  try {
    await latest('assignments', () => api('GET', '/api/assignments'), renderAssignments);
  } catch (e) {
    showError(e);
  }
}

function renderAssignments(rows) {
  const tbody = clear($('assignments').tBodies[0]);
  (rows || []).forEach((a) => tbody.appendChild(el('tr', { data: { address: a.device } },
    el('td', null, addressLink(a.device)),
    el('td', null, a.guest),
    el('td', null, orDash(a.backend)),
    el('td', { className: 'mono' }, orDash(a.connect)),
    el('td', null, orDash(a.mode)),
    el('td', null, el('span', { className: `state state-${a.state}` }, orDash(a.state))),
    el('td', { className: 'nowrap' }, formatTime(a.since)))));
  $('assignments-empty').hidden = (rows || []).length > 0;
}

function auditQuery() {
  const params = new URLSearchParams();
  const device = $('audit-device').value.trim();
  if (device) params.set('device', device);
  if ($('audit-since').value) params.set('since', $('audit-since').value);
  params.set('limit', '200');
  return params.toString();
}

async function loadAudit() {
  try {
    await latest('audit', () => api('GET', `/api/audit?${auditQuery()}`), renderAudit);
  } catch (e) {
    showError(e);
  }
}

function renderAudit(rows) {
  const tbody = clear($('audit').tBodies[0]);
  (rows || []).forEach((r) => tbody.appendChild(auditRow(r)));
  $('audit-empty').hidden = (rows || []).length > 0;
}

function auditRow(r) {
  const steps = (r.steps || []).map((s) => (typeof s === 'string' ? s : stepText(s)));
  const title = [r.command, ...steps].filter(Boolean).join('\n');
  return el('tr', { data: { id: String(r.id) }, title: title || null },
    el('td', { className: 'nowrap' }, formatTime(r.time)),
    el('td', null, orDash(r.actor)),
    el('td', null, orDash(r.via)),
    el('td', null, orDash(r.action)),
    el('td', { className: 'mono' }, (r.devices || []).join(' ')),
    el('td', null, orDash(r.guest)),
    el('td', null, el('span', { className: `result result-${r.result}` }, orDash(r.result))),
    el('td', { className: 'num' }, orDash(r.exit)),
    el('td', { className: 'reason' }, r.error || ''));
}

/** An audit row pushed by the event stream: prepended when it matches the audit filters. */
function addAuditRow(r) {
  if (state.view !== 'view-audit' || !r) return;
  const device = $('audit-device').value.trim().toLowerCase();
  if (device && !(r.devices || []).some((a) => a.toLowerCase().includes(device))) return;
  const tbody = $('audit').tBodies[0];
  if (r.id !== undefined && tbody.querySelector(`tr[data-id="${CSS.escape(String(r.id))}"]`)) return;
  tbody.insertBefore(auditRow(r), tbody.firstChild);
  while (tbody.rows.length > 200) tbody.deleteRow(-1);
  $('audit-empty').hidden = true;
}

/** ISO times as "YYYY-MM-DD HH:MM:SS" local time; anything else as given. */
function formatTime(t) {
  if (!t) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// ---------------------------------------------------------------------------------------------
// Live updates. EventSource cannot send an Authorization header, so the stream is read by hand.

function setLive(text, cls) {
  const live = $('live');
  live.textContent = text;
  live.className = `live ${cls}`;
}

function stopLive() {
  if (state.live) state.live.abort();
  state.live = null;
  setLive('offline', 'offline');
}

function startLive() {
  stopLive();
  const controller = new AbortController();
  state.live = controller;
  liveLoop(controller);
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

async function liveLoop(controller) {
  const { signal } = controller;
  let delay = 1000;
  let connects = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch('/api/events', {
        headers: { Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal,
      });
      if (res.status === 401 || res.status === 403) {
        setLive('no live updates', 'offline');
        return; // the token will not get better by retrying; saving a new one restarts the loop
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setLive('live', 'on');
      delay = 1000;
      // Changes may have happened while we were disconnected.
      if (connects++ > 0) refreshAll();
      await readEvents(res.body, signal);
    } catch (e) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    setLive('reconnecting…', 'reconnecting');
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 10000);
  }
}

/** Reads a text/event-stream body until it ends, dispatching each event. */
async function readEvents(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseEvent(block);
        if (event) onEvent(event.type, event.data);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** One SSE block → {type, data}; null for keep-alive comments and blocks without data. */
function parseEvent(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { type, data: data.join('\n') } : null;
}

let snapshotTimer = null;

function onEvent(type, text) {
  let data = null;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return;
  }
  if (type === 'snapshot') {
    if (data && data.version !== undefined && data.version === state.version) return;
    state.version = data ? data.version : null;
    // Several changes often arrive together (one per step); refresh once for the burst.
    clearTimeout(snapshotTimer);
    snapshotTimer = setTimeout(() => {
      if (!state.token) return;
      // only what is on screen: a hidden tab is read when it is shown (each read is a host scan)
      loadDevices();
      if (state.open) loadDetail();
      if (state.view === 'view-groups') loadGroups();
      if (state.view === 'view-assignments') loadAssignments();
    }, 150);
  } else if (type === 'audit') {
    addAuditRow(data);
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

function wire() {
  // A form so that Enter works and password managers behave; it never really submits
  // (the CSP's form-action 'none' would refuse it anyway).
  $('token-form').addEventListener('submit', (ev) => { ev.preventDefault(); saveToken(); });
  $('token-clear').addEventListener('click', forgetToken);

  document.querySelectorAll('.tabs button').forEach((b) => {
    b.addEventListener('click', () => showView(b.dataset.view));
  });

  ['filter-class', 'filter-verdict', 'filter-driver'].forEach((id) => $(id).addEventListener('change', renderDevices));
  $('filter-text').addEventListener('input', renderDevices);

  $('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !$('panel').hidden && !state.busy) closePanel();
  });
  ['hide', 'unhide', 'attach', 'detach'].forEach((a) => {
    $(`action-${a}`).addEventListener('click', () => planAction(a));
  });
  // force and persist change what hide can do.
  ['opt-force', 'opt-persist'].forEach((id) => $(id).addEventListener('change', updateActions));

  $('plan-confirm').addEventListener('click', confirmPlan);
  $('plan-cancel').addEventListener('click', () => { hidePlan(); showMessage('plan cancelled: nothing changed', 'ok'); });

  $('audit-device').addEventListener('input', debounce(loadAudit, 300));
  $('audit-since').addEventListener('change', loadAudit);
}

function init() {
  wire();
  state.token = sessionStorage.getItem(TOKEN_KEY) || null;
  updateTokenUi();
  renderDevices();
  updateActions();
  if (state.token) {
    startSession();
  } else {
    showMessage('Paste an admin or viewer token above to begin (pcipass token add NAME --role admin|viewer prints one).', '');
    $('token').focus();
  }
}

document.addEventListener('DOMContentLoaded', init);
