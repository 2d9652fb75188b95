// The delivery console: events newest first, like Apple's Recent Deliveries,
// from /api/v1 with the admin token as a bearer header. The token lives in
// sessionStorage (this tab only); no cookies, so no other site can act for
// the user. Every text from the server is set as textContent, never as HTML.
(function () {
  'use strict';
  const TOKEN_KEY = 'asc-webhookd-token';
  const REFRESH_MS = 5000;
  const $ = (id) => document.getElementById(id);
  let openSeq = null;     // the seq of the event shown in the detail panel (acted on by seq, never by id)
  let nextCursor = null;  // the list's next page
  let timer = null;

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function badge(state) { return el('span', state, 'badge state-' + state); }

  function showLogin(message) {
    clearInterval(timer);
    $('console').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('login-error').hidden = !message;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  async function api(path, method, body) {
    const headers = { Authorization: 'Bearer ' + token() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method: method || 'GET', headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
    let answer = null;
    try { answer = await res.json(); } catch (e) { answer = { error: 'the answer is not JSON (HTTP ' + res.status + ')' }; }
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('The token was refused (401 unauthorized). Check server.admin_token.');
      throw new Error('unauthorized');
    }
    if (!res.ok) throw new Error(answer && answer.error ? answer.error : 'HTTP ' + res.status);
    return answer;
  }

  function query(before) {
    const p = new URLSearchParams();
    const add = (k, v) => { if (v) p.set(k, v); };
    add('state', $('filter-state').value);
    add('webhook', $('filter-webhook').value.trim());
    add('type', $('filter-type').value.trim());
    add('q', $('search').value.trim());
    add('before', before);
    return '/api/v1/events' + (p.toString() ? '?' + p.toString() : '');
  }

  function change(e) {
    if (!e.old_state && !e.new_state) return '-';
    return (e.old_state || '-') + ' → ' + (e.new_state || '-');
  }

  // "2 done · 1 dead": only the counts there are (the full three are in the detail).
  function jobsText(j) {
    const parts = [];
    if (j.dead) parts.push(j.dead + ' dead');
    if (j.pending) parts.push(j.pending + ' pending');
    if (j.done) parts.push(j.done + ' done');
    return parts.length ? parts.join(' · ') : 'no jobs';
  }

  function row(e) {
    const tr = el('tr', null, 'state-' + e.state);
    tr.dataset.seq = String(e.seq);
    tr.dataset.id = e.id;
    if (e.seq === openSeq) tr.classList.add('selected');
    tr.appendChild(el('td', e.received_at.replace('T', ' ').replace('Z', ''), 'mono'));
    const what = el('td');
    what.appendChild(el('div', e.type));
    what.appendChild(el('div', e.id, 'mono'));
    tr.appendChild(what);
    tr.appendChild(el('td', change(e).replace(/_/g, '_\u200b')));  // may break after an underscore, not mid-word
    tr.appendChild(el('td', e.instance ? e.instance.id : '-', 'mono'));
    tr.appendChild(el('td', e.source));
    const st = el('td');
    st.appendChild(badge(e.state));
    tr.appendChild(st);
    tr.appendChild(el('td', jobsText(e.jobs)));
    tr.addEventListener('click', () => openEvent(e.seq, false, true));
    return tr;
  }

  async function loadEvents(append) {
    const page = await api(query(append ? nextCursor : null));
    const body = $('events').querySelector('tbody');
    if (!append) body.replaceChildren();
    page.events.forEach((e) => body.appendChild(row(e)));
    nextCursor = page.next;
    $('more').hidden = !page.next;
    $('empty').hidden = body.children.length > 0;
  }

  async function loadStats() {
    const s = await api('/api/v1/stats');
    const st = s.events.by_state || {};
    let text = s.events.total + ' events: ' + (st.done || 0) + ' done, ' + (st.pending || 0) + ' pending, ' +
      (st.dead || 0) + ' dead';
    if (s.last_event_at) text += ' · last ' + s.last_event_at;
    (s.reconcile || []).forEach((r) => {
      text += ' · reconcile ' + r.webhook + ': ' + (r.last_pass_at || 'never') + ' (' + r.events_found + ' found)';
    });
    // Apple's webhook: a healthy one in the line, an unhealthy one in a
    // banner that says each problem and its fix.
    const sick = [];
    (s.apple_webhooks || []).forEach((h) => {
      if (h.healthy) text += ' · Apple webhook ' + h.webhook + ': healthy';
      else sick.push(h);
    });
    $('stats').textContent = text;
    const banner = $('apple-health');
    banner.replaceChildren();
    sick.forEach((h) => {
      banner.appendChild(el('strong', 'Apple webhook ' + h.webhook + ' is unhealthy' + (h.since ? ' since ' + h.since : '')));
      const list = el('ul');
      h.problems.forEach((p) => list.appendChild(el('li', p)));
      banner.appendChild(list);
    });
    banner.hidden = sick.length === 0;
  }

  function jobBlock(job) {
    const box = el('div', null, 'job');
    const head = el('div', null, 'job-head');
    head.appendChild(el('strong', 'Job ' + job.id));
    head.appendChild(el('span', job.rule + ' · ' + job.kind + ' · ' + job.target));
    head.appendChild(badge(job.state));
    head.appendChild(el('span', job.attempts + (job.attempts === 1 ? ' attempt' : ' attempts')));
    if (job.state === 'dead' || job.state === 'pending') {
      const b = el('button', 'Retry', 'retry-job');
      b.type = 'button';
      b.dataset.job = job.id;
      b.addEventListener('click', () => act('/api/v1/jobs/' + job.id + '/retry', (r) => 'Job ' + job.id + ' requeued (' + r.requeued + ')'));
      head.appendChild(b);
    }
    box.appendChild(head);
    if (job.last_error) box.appendChild(el('p', job.last_error, 'error'));
    job.attempts_log.forEach((a, i) => {
      const at = el('div', null, 'attempt');
      at.appendChild(el('div', '#' + (i + 1) + ' ' + a.started_at + ' · ' + a.outcome +
        (a.http_status !== null ? ' · HTTP ' + a.http_status : '') + ' · ' + a.duration_ms + ' ms'));
      if (a.error) at.appendChild(el('div', a.error, 'error'));
      if (a.detail) at.appendChild(el('div', a.detail));
      if (a.request) at.appendChild(el('pre', requestText(a)));
      box.appendChild(at);
    });
    return box;
  }

  // An attempt's requests as text: method and URL, headers, the body, then
  // the answer (each exchange, when the attempt made several).
  function requestText(a) {
    if (typeof a.request === 'string') return a.request;  // recorded by an older version
    const list = a.exchanges && a.exchanges.length ? a.exchanges : [a.request];
    return list.map((x) => {
      let t = x.method + ' ' + x.url + '\n' + (x.headers || []).map((h) => h[0] + ': ' + h[1] + '\n').join('');
      if (x.body) t += '\n' + x.body + '\n';
      if (x.answer) t += '→ ' + (x.answer.status !== undefined ? x.answer.status : 'no answer: ' + x.answer.error) +
        (x.answer.body ? '\n' + x.answer.body : '') + '\n';
      return t;
    }).join('\n');
  }

  // A customer review: its text from the stored event, its response as
  // Apple has it now (read once per opening: each read costs a request of
  // the API key's hourly limit), and the Reply box.
  let reviewShown = null;
  function showReview(ev) {
    const r = ev.raw && ev.raw.review;
    $('review').hidden = !r;
    if (!r || reviewShown === ev.id) return;
    reviewShown = ev.id;
    $('review-stars').textContent = '★★★★★☆☆☆☆☆'.substr(5 - r.rating, 5) + ' (' + r.rating + '/5)';
    $('review-title').textContent = r.title || '';
    $('review-body').textContent = r.body || '';
    $('review-meta').textContent = [r.territory, r.nickname, r.created].filter(Boolean).join(' · ');
    $('reply-outcome').textContent = '';
    loadResponse(ev.id);
  }

  async function loadResponse(id) {
    try {
      const r = await api('/api/v1/reviews/' + encodeURIComponent(id));
      $('review-response').textContent = r.response ? r.response.text + ' — ' + r.response.state : 'None yet.';
      if (r.response) $('reply-text').value = r.response.text;
    } catch (e) {
      if (e.message !== 'unauthorized') $('review-response').textContent = 'Could not read it from App Store Connect: ' + e.message;
    }
  }

  async function reply(method) {
    const id = reviewShown;
    const out = $('reply-outcome');
    try {
      const path = '/api/v1/reviews/' + encodeURIComponent(id) + '/response';
      const r = method === 'PUT' ? await api(path, 'PUT', { text: $('reply-text').value }) : await api(path, 'DELETE');
      out.textContent = method === 'PUT' ? 'Response ' + r.id + ': ' + r.state : 'Response ' + r.deleted + ' deleted';
      out.className = 'done';
      if (method === 'DELETE') $('reply-text').value = '';
      loadResponse(id);
    } catch (e) {
      if (e.message === 'unauthorized') return;
      out.textContent = 'Refused: ' + e.message;
      out.className = 'failed';
    }
  }

  const eventPath = (seq) => '/api/v1/events/' + seq;
  // `reveal`: brought into view (a click on a row far down the list would
  // otherwise open it below the fold, and seem to do nothing).
  async function openEvent(seq, keepOutcome, reveal) {
    openSeq = seq;
    const ev = await api(eventPath(seq) + '?by=seq');
    $('detail').hidden = false;
    $('detail-title').textContent = ev.type + ' ' + ev.id;
    $('detail-meta').textContent = 'seq ' + ev.seq + ' · webhook ' + ev.webhook + ' · ' + change(ev) + ' · received ' +
      ev.received_at + ' · source ' + ev.source + ' · ' + ev.state;
    if (!keepOutcome) { $('outcome').textContent = ''; $('outcome').className = ''; }
    $('jobs').replaceChildren(...ev.jobs.map(jobBlock));
    if (ev.jobs.length === 0) $('jobs').appendChild(el('p', 'No rule matched this event.'));
    $('payload').textContent = JSON.stringify(ev.raw, null, 2);
    showReview(ev);
    document.querySelectorAll('#events tbody tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.seq === String(seq)));
    if (reveal) $('detail').scrollIntoView({ block: 'start' });
  }

  async function act(path, describe) {
    const out = $('outcome');
    try {
      const r = await api(path, 'POST');
      out.textContent = describe(r);
      out.className = 'done';
    } catch (e) {
      if (e.message === 'unauthorized') return;
      out.textContent = 'Failed: ' + e.message;
      out.className = 'failed';
    }
    setTimeout(() => refresh(true), 700);
  }

  async function refresh(keepOutcome) {
    try {
      await Promise.all([loadEvents(false), loadStats()]);
      if (openSeq !== null) await openEvent(openSeq, keepOutcome !== false);
      $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      if (e.message !== 'unauthorized') $('status').textContent = 'error: ' + e.message;
    }
  }

  function start() {
    $('login').hidden = true;
    $('console').hidden = false;
    $('logout').hidden = false;
    refresh();
    clearInterval(timer);
    timer = setInterval(() => refresh(true), REFRESH_MS);
  }

  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value);
    $('token').value = '';
    start();
  });
  $('logout').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); showLogin(); });
  $('filters').addEventListener('submit', (ev) => { ev.preventDefault(); refresh(); });
  $('filter-state').addEventListener('change', () => refresh());
  $('more').addEventListener('click', () => loadEvents(true));
  $('close-detail').addEventListener('click', () => { openSeq = null; reviewShown = null; $('detail').hidden = true; refresh(); });
  $('reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); reply('PUT'); });
  $('unreply').addEventListener('click', () => reply('DELETE'));
  $('retry-event').addEventListener('click', () =>
    act(eventPath(openSeq) + '/retry?by=seq', (r) => 'Requeued ' + r.requeued + (r.requeued === 1 ? ' job' : ' jobs')));
  $('replay-event').addEventListener('click', () =>
    act(eventPath(openSeq) + '/replay?by=seq',
      (r) => r.jobs.length ? 'Planned again: job ' + r.jobs.join(', ') : 'No rule matches it now: nothing planned'));

  if (token()) start(); else showLogin();
})();
