// The playground: a page over the gateway's own HTTP API (same origin), in plain JavaScript.
// Model output and server text are only ever set as textContent, never parsed as HTML.
'use strict';

const KEY_STORAGE = 'llm-runtime.apiKey';
const $ = (id) => document.getElementById(id);

const state = {
  llm: null,          // name of the selected LLM
  history: [],        // the conversation sent with each request
  chat: null,         // AbortController of the reply being streamed
};

// ---- HTTP -----------------------------------------------------------------------------------------------------

/** An error carrying what the server said, in OpenAI's shape {error: {message, type, code}}. */
class ApiError extends Error {
  constructor(status, error) {
    super(error && error.message ? error.message : 'HTTP ' + status);
    this.status = status;
    this.code = error && (error.code || error.type);
  }
}

function headers(extra) {
  const h = Object.assign({ 'Content-Type': 'application/json' }, extra);
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) {
    h.Authorization = 'Bearer ' + key;
  }
  return h;
}

async function failure(response) {
  let error = null;
  try {
    error = (await response.json()).error;
  } catch (e) {
    // Not JSON: the status says it.
  }
  return new ApiError(response.status, error);
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw await failure(response);
  }
  return response.json();
}

/** POSTs {@code body}, calls {@code onEvent} with each SSE data event, parsed, until [DONE]; returns the response. */
async function postSse(path, body, onEvent, signal) {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ Accept: 'text/event-stream' }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    throw await failure(response);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) { // the server always ends a stream with [DONE] or an error event: this one was cut off
      throw new ApiError(null, { message: 'The stream ended before it was complete (connection lost)', code: 'stream_cut' });
    }
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data === '[DONE]') {
        return response;
      }
      if (data) {
        const parsed = JSON.parse(data);
        if (parsed.error) {
          reader.cancel().catch(() => {});
          throw new ApiError(null, parsed.error); // after the first byte: the error is the stream's last event
        }
        onEvent(parsed);
      }
    }
  }
}

// ---- Small DOM helpers ----------------------------------------------------------------------------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  children.forEach((c) => node.append(c));
  return node;
}

function showError(err) {
  const box = $('error');
  if (!err) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.textContent = err instanceof ApiError
    ? [err.status, err.code].filter(Boolean).join(' ') + ': ' + err.message
    : String(err.message || err);
  box.hidden = false;
}

/** Runs an action of a button: errors go to the error line, the button is disabled meanwhile. */
async function action(button, work) {
  showError(null);
  button.disabled = true;
  try {
    await work();
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function formatBytes(n) {
  if (typeof n !== 'number') {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

const enc = encodeURIComponent;

// ---- LLMs -----------------------------------------------------------------------------------------------------

async function loadLlms() {
  const list = (await api('GET', '/llms')).data;
  if (!list.some((l) => l.name === state.llm)) {
    state.llm = list.length ? list[0].name : null;
  }
  $('llms').replaceChildren(...list.map((llm) => {
    const item = el('li', { className: llm.name === state.llm ? 'selected' : '' },
      el('span', { className: 'name', textContent: llm.name }),
      el('span', { className: 'meta', textContent: `${llm.type} · ${llm.status}${llm.model ? ' · ' + llm.model : ''}` }));
    item.dataset.name = llm.name;
    item.tabIndex = 0;
    item.addEventListener('click', () => select(llm.name));
    return item;
  }));
  $('models-llm').textContent = state.llm || '—';
  $('delete-llm').disabled = !state.llm;
  $('serve').disabled = !state.llm;
  await loadModels();
}

async function select(name) {
  state.llm = name;
  showError(null);
  try {
    await loadLlms();
  } catch (err) {
    showError(err);
  }
}

async function createLlm() {
  let config;
  const text = $('create-config').value.trim();
  try {
    config = text ? JSON.parse(text) : undefined;
  } catch (e) {
    throw new Error('Config is not valid JSON: ' + e.message);
  }
  const info = await api('POST', '/llms', { name: $('create-name').value.trim(), type: $('create-type').value.trim(), config });
  state.llm = info.name;
  await loadLlms();
}

async function deleteLlm() {
  if (!state.llm || !confirm(`Delete the LLM '${state.llm}'?`)) {
    return;
  }
  await api('DELETE', '/llms/' + enc(state.llm));
  state.llm = null;
  await loadLlms();
}

// ---- Models ---------------------------------------------------------------------------------------------------

async function loadModels() {
  const box = $('models');
  if (!state.llm) {
    box.replaceChildren();
    return;
  }
  let models;
  try {
    models = (await api('GET', `/llms/${enc(state.llm)}/models`)).data;
  } catch (err) {
    // A remote LLM without a model list, or an LLM that failed: say so in place of the list.
    box.replaceChildren(el('li', { className: 'meta', textContent: err.message }));
    return;
  }
  const llm = state.llm;
  box.replaceChildren(...models.map((m) => {
    const buttons = el('span', { className: 'buttons' });
    if (m.path) {
      buttons.append(el('button', { type: 'button', className: 'small serve', textContent: 'Serve',
        onclick: (e) => action(e.target, () => serve(llm, { path: m.path })) }));
    }
    if (m.loaded) {
      buttons.append(el('button', { type: 'button', className: 'small unload', textContent: 'Unload',
        onclick: (e) => action(e.target, () => unloadModel(llm, m.id)) }));
    }
    buttons.append(el('button', { type: 'button', className: 'small danger delete', textContent: 'Delete',
      onclick: (e) => action(e.target, () => deleteModel(llm, m.id)) }));
    const item = el('li', {},
      el('span', { className: 'name', textContent: m.id }),
      el('span', { className: 'meta', textContent: [m.loaded ? 'loaded' : 'on disk', m.architecture,
        formatBytes(m.size_bytes !== undefined ? m.size_bytes : m.size)].filter(Boolean).join(' · ') }),
      buttons);
    item.dataset.id = m.id;
    item.dataset.loaded = String(Boolean(m.loaded));
    return item;
  }));
}

/** A path starts with '/', '.' or '~'; anything else is a HuggingFace repo ("user/repo" or "user/repo/file"). */
function serveRequest(source) {
  return /^[/.~]/.test(source) ? { path: source } : { repo: source };
}

async function serve(llm, request) {
  const bar = $('serve-progress');
  const status = $('serve-status');
  bar.value = 0;
  status.textContent = 'starting';
  try {
    await postSse(`/llms/${enc(llm)}/serve`, request, (p) => {
      if (typeof p.percent === 'number') {
        bar.value = p.percent;
      }
      const parts = [p.phase];
      if (typeof p.percent === 'number') {
        parts.push(p.percent.toFixed(1) + ' %');
      }
      if (p.total) {
        parts.push(`${formatBytes(p.bytes)} of ${formatBytes(p.total)}`);
      }
      if (p.bytesPerSecond) {
        parts.push(formatBytes(p.bytesPerSecond) + '/s');
      }
      if (typeof p.etaSeconds === 'number' && p.phase === 'downloading') {
        parts.push(Math.ceil(p.etaSeconds) + ' s left');
      }
      if (p.phase === 'ready' && p.model) {
        parts.push(p.model.id);
      }
      status.textContent = parts.join(' · ');
    });
  } catch (err) {
    status.textContent = 'failed';
    throw err;
  } finally {
    await loadLlms();
  }
}

async function unloadModel(llm, id) {
  await api('POST', `/llms/${enc(llm)}/models/${enc(id)}/unload`);
  await loadLlms();
}

async function deleteModel(llm, id) {
  if (!confirm(`Delete the model file '${id}' of '${llm}'?`)) {
    return;
  }
  await api('DELETE', `/llms/${enc(llm)}/models/${enc(id)}`);
  await loadLlms();
}

// ---- Chat -----------------------------------------------------------------------------------------------------

function addMessage(role, text) {
  const body = el('div', { className: 'text', textContent: text });
  const message = el('div', { className: 'message ' + role }, el('div', { className: 'role', textContent: role }), body);
  $('messages').append(message);
  message.scrollIntoView({ block: 'end' });
  return body;
}

function numberField(id) {
  const value = $(id).value.trim();
  return value === '' ? undefined : Number(value);
}

async function send() {
  const prompt = $('prompt').value;
  if (!prompt.trim() || state.chat) {
    return;
  }
  showError(null);
  $('prompt').value = '';
  addMessage('user', prompt);
  state.history.push({ role: 'user', content: prompt });
  const reply = addMessage('assistant', '');
  reply.classList.add('streaming');
  const stats = $('stats');
  stats.textContent = 'waiting for the first token…';

  const controller = new AbortController();
  state.chat = controller;
  $('send').disabled = true;
  $('stop').disabled = false;
  const started = performance.now();
  let firstToken = null;
  let usage = null;
  let text = '';
  let finish = null;
  try {
    const response = await postSse('/v1/chat/completions', {
      model: state.llm || undefined,
      messages: state.history,
      max_tokens: numberField('max-tokens'),
      temperature: numberField('temperature'),
      stream: true,
      stream_options: { include_usage: true },
    }, (chunk) => {
      if (chunk.usage) {
        usage = chunk.usage;
      }
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) {
        return;
      }
      if (choice.finish_reason) {
        finish = choice.finish_reason;
      }
      const delta = choice.delta && choice.delta.content;
      if (delta) {
        if (firstToken === null) {
          firstToken = performance.now();
        }
        text += delta;
        reply.textContent = text;
        stats.textContent = 'streaming…';
      }
    }, controller.signal);
    const servedBy = response.headers.get('X-LLM-Served-By') || state.llm;
    state.history.push({ role: 'assistant', content: text });
    stats.replaceChildren(...statistics(usage, started, firstToken, performance.now(), finish, servedBy));
  } catch (err) {
    if (err.name === 'AbortError') {
      stats.textContent = 'stopped';
      reply.append(el('span', { className: 'stopped', textContent: ' [stopped]' }));
    } else {
      stats.textContent = '';
      showError(err);
    }
    // The turn did not complete: neither its question nor a partial answer is sent with the next one.
    state.history.pop();
  } finally {
    reply.classList.remove('streaming');
    state.chat = null;
    $('send').disabled = false;
    $('stop').disabled = true;
  }
}

/**
 * Usage, tokens per second (the tokens after the first over the time from the first token to the last; when they
 * all arrived at once, every token over the whole request) and latency.
 */
function statistics(usage, started, firstToken, ended, finish, servedBy) {
  const items = [];
  const stat = (cls, label) => items.push(el('span', { className: cls, textContent: label }));
  if (usage) {
    stat('usage', `${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion = ${usage.total_tokens} tokens`);
    const streaming = firstToken === null ? 0 : (ended - firstToken) / 1000;
    const whole = (ended - started) / 1000;
    const perSecond = streaming > 0 && usage.completion_tokens > 1 ? (usage.completion_tokens - 1) / streaming
      : whole > 0 && usage.completion_tokens > 0 ? usage.completion_tokens / whole : null;
    stat('tps', perSecond === null ? '– tokens/s' : perSecond.toFixed(1) + ' tokens/s');
  }
  if (firstToken !== null) {
    stat('ttft', `first token ${Math.round(firstToken - started)} ms`);
  }
  stat('total', `total ${Math.round(ended - started)} ms`);
  if (finish) {
    stat('finish', `finish: ${finish}`);
  }
  stat('llm', `LLM: ${servedBy}`);
  return items;
}

// ---- Wiring ---------------------------------------------------------------------------------------------------

function init() {
  const key = $('api-key');
  key.value = sessionStorage.getItem(KEY_STORAGE) || '';
  key.addEventListener('change', () => {
    if (key.value) {
      sessionStorage.setItem(KEY_STORAGE, key.value);
    } else {
      sessionStorage.removeItem(KEY_STORAGE);
    }
    select(state.llm);
  });
  $('refresh').addEventListener('click', (e) => action(e.target, loadLlms));
  $('delete-llm').addEventListener('click', (e) => action(e.target, deleteLlm));
  $('create-form').addEventListener('submit', (e) => {
    e.preventDefault();
    action($('create'), createLlm);
  });
  $('serve-form').addEventListener('submit', (e) => {
    e.preventDefault();
    action($('serve'), () => serve(state.llm, serveRequest($('serve-source').value.trim())));
  });
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  });
  $('stop').addEventListener('click', () => state.chat && state.chat.abort());
  $('clear').addEventListener('click', () => {
    state.history = [];
    $('messages').replaceChildren();
    $('stats').textContent = '';
  });
  select(null);
}

init();
