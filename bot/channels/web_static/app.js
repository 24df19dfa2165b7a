/* Noodrem web chat.
 *
 * Everything on screen comes from one place: the person's outbox, long-polled from
 * /api/web/messages. Sending only POSTs; the reply (and the person's own message) arrives
 * through the poll, like reminders and like the history after a reload.
 *
 * Text from the server is never parsed as HTML: every node is built with createElement and
 * textContent, and links are only made for http(s) URLs, e-mail addresses and phone numbers.
 */
'use strict';

(() => {
  const STRINGS = {
    nl: {
      subtitle: 'Hulp bij fraude – stap voor stap',
      trialBanner: 'Proefmodus: niemand logt in, en Noodrem werkt alleen op deze computer. Gebruik dit om het uit te proberen, niet bij een echt incident met collega’s.',
      signinTitle: 'Inloggen',
      signinHelp: 'Vul je werkmailadres in. Je krijgt een link waarmee je één keer inlogt.',
      emailLabel: 'E-mailadres',
      sendLink: 'Stuur inloglink',
      emailEmpty: 'Vul je e-mailadres in.',
      signinWith: (p) => `Inloggen met ${p}`,
      sessionEnded: 'Je bent niet (meer) ingelogd. Log opnieuw in.',
      logout: (who) => `${who} · uitloggen`,
      continue: 'Verder',
      nameQuestion: 'Wat is je naam?',
      nameHelp: 'Je naam komt in het verslag van wat er is gedaan, en wie wat deed.',
      nameEmpty: 'Vul je naam in.',
      changeName: (name) => `${name} · naam wijzigen`,
      emptyHint: 'Vertel in je eigen woorden wat er is gebeurd, bijvoorbeeld: “we hebben een nepfactuur betaald”. Noodrem helpt je stap voor stap.',
      showPlans: 'Wat is er gebeurd? Kies uit de lijst',
      logLabel: 'Gesprek met Noodrem',
      messageLabel: 'Bericht',
      placeholder: 'Typ je bericht…',
      composerHint: 'Enter verstuurt, Shift+Enter voor een nieuwe regel.',
      send: 'Verstuur',
      submit: 'Opslaan',
      required: 'Vul dit veld in.',
      reminder: 'Herinnering',
      escalation: 'Escalatie',
      late: '(te laat)',
      you: 'Jij',
      offline: 'Verbinding verbroken, opnieuw proberen…',
      sendFailed: 'Je bericht is niet verstuurd: geen verbinding. Probeer het zo opnieuw.',
      starting: 'Verbinden…',
    },
    en: {
      subtitle: 'Fraud response – step by step',
      trialBanner: 'Trial mode: nobody signs in, and Noodrem works only on this computer. Use it to try Noodrem out, not for a real incident with colleagues.',
      signinTitle: 'Sign in',
      signinHelp: 'Enter your work e-mail address. You will get a link that signs you in once.',
      emailLabel: 'E-mail address',
      sendLink: 'Send sign-in link',
      emailEmpty: 'Please enter your e-mail address.',
      signinWith: (p) => `Sign in with ${p}`,
      sessionEnded: 'You are not signed in (any more). Please sign in again.',
      logout: (who) => `${who} · sign out`,
      continue: 'Continue',
      nameQuestion: 'What is your name?',
      nameHelp: 'Your name goes into the record of what was done, and by whom.',
      nameEmpty: 'Please enter your name.',
      changeName: (name) => `${name} · change name`,
      emptyHint: 'Tell us in your own words what happened, for example: “we paid a fake invoice”. Noodrem guides you step by step.',
      showPlans: 'What happened? Choose from the list',
      logLabel: 'Conversation with Noodrem',
      messageLabel: 'Message',
      placeholder: 'Type your message…',
      composerHint: 'Enter sends, Shift+Enter for a new line.',
      send: 'Send',
      submit: 'Save',
      required: 'Please fill in this field.',
      reminder: 'Reminder',
      escalation: 'Escalation',
      late: '(late)',
      you: 'You',
      offline: 'Connection lost, retrying…',
      sendFailed: 'Your message was not sent: no connection. Please try again in a moment.',
      starting: 'Connecting…',
    },
  };

  const PAGE_QUERY = new URLSearchParams(window.location.search);
  const ASKED_LANG = PAGE_QUERY.get('lang'); // the sign-in pages come back with the language
  const LANG = ASKED_LANG === 'nl' || ASKED_LANG === 'en'
    ? ASKED_LANG
    : ((navigator.language || '').toLowerCase().startsWith('nl') ? 'nl' : 'en');
  const PROVIDERS = { microsoft: 'Microsoft', google: 'Google' };
  const T = STRINGS[LANG];
  const KINDS = new Set(['text', 'question', 'step', 'checklist', 'reminder', 'escalation', 'error']);
  const STYLES = new Set(['default', 'primary', 'danger']);
  const POLL_WAIT_SECONDS = 25;

  const $ = (id) => document.getElementById(id);

  // Storage may be unavailable (private mode): then the chat still works for this tab.
  const saved = {
    get(key) {
      try { return localStorage.getItem(`noodrem.${key}`); } catch { return null; }
    },
    set(key, value) {
      try { localStorage.setItem(`noodrem.${key}`, value); } catch { /* tab-only */ }
    },
    remove(key) {
      try { localStorage.removeItem(`noodrem.${key}`); } catch { /* tab-only */ }
    },
  };

  // crypto.randomUUID exists only on secure origins; a LAN host may be plain http.
  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const state = {
    name: saved.get('name'),
    userId: saved.get('userId'),
    mode: 'trial', // or 'sign_in': who the person is comes from their session, not this page
    person: null, // signed in: {name, email, organisation}
    signIn: { mail: false, providers: [] },
    timeZone: null, // the organisation's, from /api/web/config
    menuAction: null, // the button that asks for the menu of plans, from /api/web/config
    lastId: 0,
    polling: false,
    loadedOnce: false,
    cards: new Map(), // card_key -> element: a newer card replaces the older one
    shownClients: new Set(), // client_id of the person's own messages already drawn
    draft: null, // {text, clientId}: a retried identical message keeps its id
    stickToBottom: false,
  };
  if (!state.userId) {
    state.userId = uuid();
    saved.set('userId', state.userId);
  }

  // ---------------------------------------------------------------------------------------
  // Small helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  let wakeSleep = null;
  function sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); wakeSleep = null; resolve(); }
      wakeSleep = done;
    });
  }
  window.addEventListener('online', () => { if (wakeSleep) wakeSleep(); });

  async function api(method, path, body, timeoutMs) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs || 15000);
    try {
      const res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
        cache: 'no-store',
      });
      let data = null;
      try { data = await res.json(); } catch { /* not JSON: handled by status */ }
      return { status: res.status, ok: res.ok, data };
    } finally {
      clearTimeout(timer);
    }
  }

  function setStatus(text) {
    const status = $('status');
    status.textContent = text || '';
    status.hidden = !text;
  }

  function showError(text) {
    const box = $('composer-error');
    box.textContent = text || '';
    box.hidden = !text;
  }

  // ---------------------------------------------------------------------------------------
  // Text: line breaks kept by CSS, *bold*, links for URLs, e-mail addresses, phone numbers.

  const TOKEN = new RegExp([
    /(https?:\/\/[^\s<>"']+)/.source, // 1 URL
    /([\w.+-]+@[\w-]+(?:\.[\w-]+)+)/.source, // 2 e-mail
    /\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b/.source, // 3 IBAN: not a phone
    /\*(?=\S)([^*\n]*?\S)\*/.source, // 4 bold
    /((?:\+\d{1,3}|\b0\d{1,4})(?:[ -]?\d{2,4}){1,4})\b/.source, // 5 phone candidate
  ].join('|'), 'g');

  function phoneHref(raw) {
    const digits = raw.replace(/[^\d]/g, '');
    if (/^\d{2}-\d{2}-\d{4}$/.test(raw)) return null; // a date, 05-01-2024
    const plus = raw.startsWith('+');
    if (digits.length < (plus ? 9 : 8) || digits.length > (plus ? 15 : 12)) return null;
    return `tel:${plus ? '+' : ''}${digits}`;
  }

  function link(href, text, external) {
    const a = el('a', null, text);
    a.href = href;
    if (external) {
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    }
    return a;
  }

  function formatInto(parent, text, allowBold = true) {
    let last = 0;
    TOKEN.lastIndex = 0;
    const matches = [...String(text).matchAll(TOKEN)];
    for (const m of matches) {
      let [whole] = m;
      const start = m.index;
      let node = null;
      if (m[1]) {
        const url = m[1].replace(/[.,;:!?)\]]+$/, '');
        whole = url;
        node = link(url, url, true);
      } else if (m[2]) {
        node = link(`mailto:${m[2]}`, m[2], false);
      } else if (m[3]) {
        node = null; // IBAN stays plain text
      } else if (m[4]) {
        if (allowBold) {
          node = el('strong');
          formatInto(node, m[4], false);
        }
      } else if (m[5]) {
        const href = phoneHref(m[5]);
        if (href) {
          node = link(href, m[5], false);
          node.className = 'phone';
        }
      }
      if (!node) continue;
      if (start > last) parent.append(document.createTextNode(text.slice(last, start)));
      parent.append(node);
      last = start + whole.length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  function timeOf(iso) {
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return null;
    // The organisation's clock, like the deadlines in the messages: one time for everyone.
    const options = { hour: '2-digit', minute: '2-digit' };
    if (state.timeZone) options.timeZone = state.timeZone;
    let shown;
    try {
      shown = when.toLocaleTimeString(LANG, options);
    } catch (_) {
      shown = when.toLocaleTimeString(LANG, { hour: '2-digit', minute: '2-digit' });
    }
    const t = el('time', 'when', shown);
    t.dateTime = when.toISOString();
    return t;
  }

  // ---------------------------------------------------------------------------------------
  // Drawing messages

  function drawUser(m) {
    const article = el('article', 'msg user');
    const meta = el('div', 'meta');
    meta.append(el('span', 'who', m.user_name || T.you));
    const when = timeOf(m.at);
    if (when) meta.append(when);
    const body = el('div', 'text');
    formatInto(body, m.text || '', false);
    article.append(meta, body);
    return article;
  }

  function drawBot(m) {
    const kind = KINDS.has(m.kind) ? m.kind : 'text';
    const article = el('article', `msg bot kind-${kind}`);
    article.dataset.id = String(m.id);

    const meta = el('div', 'meta');
    if (kind === 'reminder' || kind === 'escalation') {
      meta.append(el('span', 'marker', `⏰ ${T[kind]}`));
    }
    meta.append(el('span', 'who', 'Noodrem'));
    if (m.late) meta.append(el('span', 'late', T.late));
    const when = timeOf(m.at);
    if (when) meta.append(when);
    article.append(meta);

    if (m.title) article.append(el('h2', 'title', m.title));
    if (m.text) {
      const body = el('div', 'text');
      formatInto(body, m.text);
      article.append(body);
    }
    if (Array.isArray(m.fields) && m.fields.length) article.append(drawFields(m.fields));
    if (m.attachment && typeof m.attachment.url === 'string' && m.attachment.url.startsWith('/files/')) {
      const link = el('a', 'attachment', `📄 ${m.attachment.filename}`);
      link.href = m.attachment.url;
      link.setAttribute('download', m.attachment.filename);
      article.append(link);
    }
    if (Array.isArray(m.buttons) && m.buttons.length) article.append(drawButtons(m.buttons));
    if (Array.isArray(m.inputs)) {
      m.inputs.forEach((input, i) => article.append(drawInput(input, `in-${m.id}-${i}`)));
    }
    return article;
  }

  function drawFields(fields) {
    const table = el('table', 'fields');
    const tbody = el('tbody');
    for (const f of fields) {
      const row = el('tr');
      const th = el('th', null, f.label);
      th.scope = 'row';
      const td = el('td');
      formatInto(td, String(f.value ?? ''), false);
      row.append(th, td);
      tbody.append(row);
    }
    table.append(tbody);
    return table;
  }

  function drawButtons(buttons) {
    const group = el('div', 'buttons');
    group.setAttribute('role', 'group');
    for (const b of buttons) {
      const style = STYLES.has(b.style) ? b.style : 'default';
      const button = el('button', `btn ${style}`, b.label);
      button.type = 'button';
      button.dataset.action = b.action;
      button.addEventListener('click', () => {
        send({ action: b.action, label: b.label }, [...group.querySelectorAll('button')]);
      });
      group.append(button);
    }
    return group;
  }

  function drawInput(input, id) {
    const form = el('form', 'input-form');
    form.noValidate = true;
    const label = el('label', null, input.label);
    label.htmlFor = id;
    const field = el('input');
    field.type = 'text';
    field.id = id;
    field.autocomplete = 'off';
    if (input.required) field.setAttribute('aria-required', 'true');
    const error = el('p', 'field-error');
    error.id = `${id}-error`;
    error.hidden = true;
    field.setAttribute('aria-describedby', error.id);
    const submit = el('button', 'btn primary', T.submit);
    submit.type = 'submit';
    const row = el('div', 'input-row');
    row.append(field, submit);
    form.append(label, row, error);

    field.addEventListener('input', () => {
      error.hidden = true;
      field.removeAttribute('aria-invalid');
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = field.value.trim();
      if (input.required && !value) {
        error.textContent = T.required;
        error.hidden = false;
        field.setAttribute('aria-invalid', 'true');
        field.focus();
        return;
      }
      error.hidden = true;
      field.removeAttribute('aria-invalid');
      const sent = await send(
        { action: input.submit, form: { [input.field_id]: value }, label: value ? `${input.label}: ${value}` : input.label },
        [field, submit],
      );
      if (sent) field.value = '';
    });
    return form;
  }

  function markChosen(action, label) {
    // The person's own button press, drawn from the history too: show which button it was.
    // The label tells a press from an input submitted with the same action.
    for (const button of $('log').querySelectorAll('button[data-action]')) {
      if (button.dataset.action === action && button.textContent === label) {
        button.classList.add('chosen');
      }
    }
  }

  function render(m) {
    const log = $('log');
    if (m.kind === 'user') {
      if (m.client_id) {
        if (state.shownClients.has(m.client_id)) return; // a resent POST, already shown
        state.shownClients.add(m.client_id);
      }
      if (m.action) markChosen(m.action, m.text);
      if (m.text) log.append(drawUser(m));
      return;
    }
    const article = drawBot(m);
    if (m.card_key) {
      // A card that is updated in place (the checklist): the newest version moves to the
      // bottom, where the person is reading, and the old one goes.
      const previous = state.cards.get(m.card_key);
      if (previous) previous.remove();
      article.dataset.card = m.card_key;
      state.cards.set(m.card_key, article);
    }
    log.append(article);
  }

  function nearBottom() {
    const log = $('log');
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToBottom() {
    const log = $('log');
    log.scrollTop = log.scrollHeight;
  }

  // ---------------------------------------------------------------------------------------
  // Talking to the server

  function messagesUrl(wait) {
    const q = new URLSearchParams({ after: String(state.lastId), wait: String(wait) });
    if (state.mode === 'trial') q.set('user_id', state.userId);
    return `/api/web/messages?${q}`;
  }

  async function pollLoop() {
    if (state.polling) return;
    state.polling = true;
    let delay = 1000;
    let wait = 0; // first answer at once: the history
    while (state.polling) {
      try {
        const res = await api('GET', messagesUrl(wait), undefined, (wait + 15) * 1000);
        if (res.status === 401) {
          state.polling = false;
          signedOut(T.sessionEnded);
          return;
        }
        if (!res.ok || !res.data || !Array.isArray(res.data.messages)) throw new Error(`HTTP ${res.status}`);
        const stick = state.stickToBottom || nearBottom() || !state.loadedOnce;
        for (const m of res.data.messages) render(m);
        state.lastId = Math.max(state.lastId, Number(res.data.last_id) || 0);
        state.loadedOnce = true;
        $('empty-hint').hidden = $('log').childElementCount > 0;
        if (stick && res.data.messages.length) {
          scrollToBottom();
          state.stickToBottom = false;
        }
        setStatus('');
        delay = 1000;
        wait = POLL_WAIT_SECONDS;
      } catch {
        setStatus(T.offline);
        await sleep(delay);
        delay = Math.min(delay * 2, 15000);
        wait = 0; // answer at once when the connection is back, so the notice goes away
      }
    }
  }

  async function send(fields, controls) {
    const body = { locale: LANG, client_id: uuid(), ...fields };
    if (state.mode === 'trial') Object.assign(body, { user_id: state.userId, user_name: state.name });
    if (fields.text !== undefined) {
      // Same text again after a failure: same client_id, so the server never handles it twice.
      if (state.draft && state.draft.text === fields.text) body.client_id = state.draft.clientId;
      state.draft = { text: fields.text, clientId: body.client_id };
    }
    controls.forEach((c) => { c.disabled = true; });
    showError('');
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        let res;
        try {
          res = await api('POST', '/api/web/messages', body, 30000);
        } catch {
          await sleep(1000 * (attempt + 1)); // network: resend with the same client_id
          continue;
        }
        if (res.status === 401) {
          signedOut(T.sessionEnded);
          return false;
        }
        if (res.status === 503) {
          // A server whose start failed (it is stopping): the same client_id again shortly,
          // to its replacement or another replica.
          await sleep(1000 * (attempt + 1));
          continue;
        }
        if (!res.ok) {
          showError((res.data && res.data.error) || `HTTP ${res.status}`);
          return false;
        }
        state.draft = null;
        state.stickToBottom = true;
        if (wakeSleep) wakeSleep();
        return true;
      }
      showError(T.sendFailed);
      return false;
    } finally {
      controls.forEach((c) => { c.disabled = false; });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Screens: sign-in (sign-in mode) or name (trial mode), then the chat

  function show(view) {
    for (const id of ['signin-view', 'name-view', 'chat-view']) $(id).hidden = id !== view;
    $('composer').hidden = view !== 'chat-view';
    const change = $('change-name');
    change.hidden = view !== 'chat-view' || state.mode !== 'trial' || !state.name;
    if (state.name) change.textContent = T.changeName(state.name);
    const logout = $('logout');
    logout.hidden = !state.person;
    if (state.person) logout.textContent = T.logout(state.person.name);
  }

  function next() {
    $('trial-banner').hidden = state.mode !== 'trial';
    if (state.mode === 'sign_in') return state.person ? showChat() : showSignIn();
    if (!state.name) return showName();
    return showChat();
  }

  function showSignIn(message) {
    show('signin-view');
    $('mail-signin').hidden = !state.signIn.mail;
    signInMessage(message);
    const providers = $('providers');
    providers.replaceChildren();
    for (const p of state.signIn.providers) {
      if (!PROVIDERS[p.provider] || typeof p.url !== 'string' || !p.url.startsWith('/auth/')) continue;
      const a = el('a', 'btn provider', T.signinWith(PROVIDERS[p.provider]));
      a.href = p.url;
      providers.append(a);
    }
    if (state.signIn.mail) $('email-input').focus();
  }

  function signInMessage(text) {
    const note = $('signin-message');
    note.textContent = text || '';
    note.hidden = !text;
  }

  // The session ended (logout, expiry), or the trial mode did (the provider imported an
  // organisation that signs in): nothing of the chat stays on the screen, and the ways to
  // sign in are read again, since they may have changed since the page was loaded.
  async function signedOut(message) {
    state.person = null;
    state.polling = false;
    state.lastId = 0;
    state.loadedOnce = false;
    state.cards.clear();
    state.shownClients.clear();
    $('log').replaceChildren();
    await loadConfig();
    if (state.mode !== 'sign_in' || state.person) return next();
    $('trial-banner').hidden = true;
    return showSignIn(message);
  }

  function showName() {
    show('name-view');
    $('name-error').hidden = true;
    $('name-input').value = state.name || '';
    $('name-input').focus();
  }

  function showChat() {
    show('chat-view');
    $('message').focus();
    pollLoop();
  }

  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = $('email-input').value.trim();
    if (!email) return signInMessage(T.emailEmpty);
    $('send-link').disabled = true;
    try {
      const res = await api('POST', '/auth/mail', { email, locale: LANG });
      signInMessage((res.data && (res.data.message || res.data.error)) || `HTTP ${res.status}`);
    } catch {
      signInMessage(T.sendFailed);
    } finally {
      $('send-link').disabled = false;
    }
    return undefined;
  });

  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/auth/logout', {}); } catch { /* the cookie goes anyway on expiry */ }
    signedOut('');
  });

  $('name-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = $('name-input').value.trim().slice(0, 80);
    if (!name) {
      $('name-error').textContent = T.nameEmpty;
      $('name-error').hidden = false;
      $('name-input').setAttribute('aria-invalid', 'true');
      $('name-input').focus();
      return;
    }
    $('name-input').removeAttribute('aria-invalid');
    state.name = name;
    saved.set('name', name);
    next();
  });

  $('change-name').addEventListener('click', showName);

  const textarea = $('message');
  function autosize() {
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
  }
  textarea.addEventListener('input', autosize);
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $('composer').requestSubmit();
    }
  });

  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim()) {
      textarea.focus();
      return;
    }
    const sent = await send({ text }, [textarea, $('send')]);
    if (sent) {
      textarea.value = '';
      autosize();
    }
    textarea.focus();
  });

  // ---------------------------------------------------------------------------------------
  // Start

  function applyStrings() {
    document.documentElement.lang = LANG;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = T[node.dataset.i18n];
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.placeholder = T[node.dataset.i18nPlaceholder];
    }
    for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
      node.setAttribute('aria-label', T[node.dataset.i18nAriaLabel]);
    }
  }

  // The mode and the ways to sign in are the server's as of now: an organisation import
  // can change them while the page is open.
  async function loadConfig() {
    let delay = 1000;
    for (;;) {
      try {
        const org = PAGE_QUERY.get('org');
        const res = await api('GET', `/api/web/config${org ? `?${new URLSearchParams({ org })}` : ''}`);
        if (!res.ok || !res.data) throw new Error(`HTTP ${res.status}`);
        state.mode = res.data.mode === 'sign_in' ? 'sign_in' : 'trial';
        state.person = res.data.person || null;
        state.signIn = res.data.sign_in || { mail: false, providers: [] };
        if (typeof res.data.time_zone === 'string') state.timeZone = res.data.time_zone;
        if (typeof res.data.menu_action === 'string') state.menuAction = res.data.menu_action;
        $('show-plans').hidden = !state.menuAction;
        break;
      } catch {
        setStatus(T.offline);
        await sleep(delay);
        delay = Math.min(delay * 2, 15000);
      }
    }
    setStatus('');
  }

  async function start() {
    applyStrings();
    await loadConfig();
    next();
  }

  // Nobody has to guess the words that start a plan: an empty chat offers the menu.
  $('show-plans').addEventListener('click', (event) => {
    if (!state.menuAction) return;
    send({ action: state.menuAction, label: T.showPlans }, [event.currentTarget]);
  });

  start();
})();
