/**
 * The dashboard's browser module, served as plain JavaScript (no build step): one card per node,
 * kept live by the resource API's watch streams and the node's event stream (each stream its own
 * request, or all of them multiplexed over one request when `nodes.json` names a `live` endpoint,
 * since a browser holds only six HTTP/1.1 connections per origin), and the controller dependency
 * graph drawn by a node's API as SVG.
 */
import { dashboardKinds } from './dashboard-kinds.js';

/** `dashboard.js`: the page's ES module. */
export const dashboardScript = `
const stateTypes = ${JSON.stringify(dashboardKinds)};

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children || []) node.append(child);
  return node;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits a fetch response's body into NDJSON items. */
async function readLines(res, onLine) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let i;
    while ((i = buffer.indexOf('\\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line !== '') onLine(JSON.parse(line));
    }
  }
}

async function errorText(res) {
  try {
    const body = await res.json();
    return (body.error && body.error.message) || String(res.status);
  } catch {
    return 'HTTP ' + res.status;
  }
}

/**
 * Follows an NDJSON stream, reconnecting after a drop. handlers: open() before each connection's
 * first line, line(item), lost(message) when it drops or cannot connect, missing() on a 404 (no retry).
 */
async function follow(url, handlers) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url);
      if (res.status === 404) return handlers.missing();
      if (!res.ok) throw new Error(await errorText(res));
      handlers.open();
      attempt = 0;
      await readLines(res, handlers.line);
      handlers.lost('stream ended');
    } catch (error) {
      handlers.lost((error && error.message) || String(error));
    }
    await sleep(Math.min(5000, 250 * 2 ** attempt));
  }
}

/** Streams the page follows through a multiplexed endpoint, by endpoint. */
const multiplexed = new Map();

/** Follows path of node: directly, or through the node's multiplexed endpoint (opened by main). */
function stream(node, path, handlers) {
  if (node.live === undefined) return void follow(node.base + path, handlers);
  if (!multiplexed.has(node.live)) multiplexed.set(node.live, []);
  multiplexed.get(node.live).push({ path: node.base + path, handlers });
}

/** One request carrying many streams: each line names its stream (s) and says open, item, lost or missing. */
function followMultiplexed(url, entries) {
  const query = entries.map((e) => 's=' + encodeURIComponent(e.path)).join('&');
  follow(url + '?' + query, {
    open() {},
    line(message) {
      const entry = entries[message.s];
      if (entry === undefined) return;
      if (message.item !== undefined) entry.handlers.line(message.item);
      else if (message.open) entry.handlers.open();
      else if (message.missing) entry.handlers.missing();
      else if (message.lost !== undefined) entry.handlers.lost(message.lost);
    },
    lost(message) {
      for (const entry of entries) entry.handlers.lost(message);
    },
    missing() {
      for (const entry of entries) entry.handlers.lost('no multiplexed stream endpoint');
    },
  });
}

/** Follows a kind: a live map id -> resource; missing() when the node has no such kind. */
function watchKind(node, key, reach, render, missing) {
  const [ns, type] = stateTypes[key];
  const items = new Map();
  const path = '/v1/watch/' + encodeURIComponent(ns) + '/' + encodeURIComponent(type) + '?bootstrapContents=true';
  stream(node, path, {
    open: () => { items.clear(); reach.opened(key); },
    line: (event) => {
      if (event.type === 'created' || event.type === 'updated') items.set(event.resource.metadata.id, event.resource);
      else if (event.type === 'destroyed') items.delete(event.resource.metadata.id);
      else if (event.type !== 'bootstrapped') return;
      render(items);
    },
    lost: (message) => reach.lost(key, message),
    missing: () => { reach.opened(key); if (missing) missing(); },
  });
}

/** One line of a machine event. */
function describeEvent(event) {
  const words = (...parts) => parts.filter((p) => p !== undefined && p !== '').join(' ');
  if (event.type === 'service') return words('service', event.service, event.state) + (event.message ? ': ' + event.message : '');
  if (event.type === 'config') return 'config ' + event.action + ': ' + event.message;
  if (event.type === 'lifecycle') return words('lifecycle', event.operation, event.step) + (event.message ? ': ' + event.message : '');
  return words(event.type, event.sequence, event.phase, event.task, event.action) + (event.error ? ': ' + event.error.message : '');
}

const yes = (value, good, bad) => el('span', { class: value ? 'ok' : 'bad' }, [value ? good : bad]);

/** Whether a node answers: its card turns .unreachable while any of its streams is lost. */
function reachability(card, line, name, summary) {
  const lost = new Map();
  const show = () => {
    const down = lost.size > 0;
    card.classList.toggle('unreachable', down);
    line.textContent = down ? 'unreachable: ' + [...new Set(lost.values())].join('; ') + ' (retrying)' : '';
    summary.reach(name, !down);
  };
  return {
    opened(key) { if (lost.delete(key)) show(); },
    lost(key, message) { lost.set(key, message); show(); },
  };
}

function nodeCard(node, summary) {
  const title = el('h2', {}, [node.name]);
  const reachLine = el('div', { class: 'bad', 'data-testid': 'reach' }, []);
  const facts = el('table', {}, []);
  const stage = el('td', { class: 'stage', 'data-testid': 'stage' }, ['unknown']);
  const ready = el('td', { class: 'ready', 'data-testid': 'ready' }, ['?']);
  const hostname = el('td', { 'data-testid': 'hostname' }, ['']);
  const type = el('td', {}, ['']);
  const unmet = el('td', { class: 'wait' }, ['']);
  for (const [name, cell] of [['hostname', hostname], ['type', type], ['stage', stage], ['ready', ready], ['unmet', unmet]]) {
    facts.append(el('tr', {}, [el('th', {}, [name]), cell]));
  }
  const services = el('tbody', { 'data-testid': 'services' }, []);
  const addresses = el('div', { 'data-testid': 'addresses' }, ['']);
  const members = el('tbody', { 'data-testid': 'members' }, []);
  const events = el('div', { class: 'events', 'data-testid': 'events' }, []);
  const card = el('section', { class: 'node', 'data-node': node.name }, [
    title, reachLine, facts,
    el('h3', {}, ['services']),
    el('table', {}, [el('thead', {}, [el('tr', {}, [el('th', {}, ['service']), el('th', {}, ['running']), el('th', {}, ['healthy'])])]), services]),
    el('h3', {}, ['addresses']), addresses,
    el('h3', {}, ['etcd members']),
    el('table', {}, [members]),
    el('h3', {}, ['recent events']), events,
  ]);
  const reach = reachability(card, reachLine, node.name, summary);

  let infoLoaded = false;
  const loadInfo = () => fetch(node.base + '/v1/node/info').then(async (r) => {
    if (!r.ok) throw new Error(await errorText(r));
    const info = await r.json();
    hostname.textContent = info.hostname;
    type.textContent = info.machineType;
    infoLoaded = true;
    reach.opened('info');
  }).catch((error) => reach.lost('info', (error && error.message) || String(error)));
  loadInfo();
  // A node that was down at first gets its facts once a stream of it is back.
  const withInfo = { opened(key) { reach.opened(key); if (!infoLoaded) loadInfo(); }, lost: reach.lost };

  watchKind(node, 'machine', withInfo, (items) => {
    const ms = items.get('machine');
    stage.textContent = ms ? ms.spec.stage : 'unknown';
    ready.replaceChildren(yes(ms && ms.spec.status.ready, 'ready', 'not ready'));
    unmet.textContent = ms ? ms.spec.status.unmetConditions.map((c) => c.name + ': ' + c.reason).join('; ') : '';
    summary.update(node.name, ms);
  });
  watchKind(node, 'services', withInfo, (items) => {
    services.replaceChildren(...[...items.values()].map((s) =>
      el('tr', { 'data-service': s.metadata.id }, [
        el('td', {}, [s.metadata.id]),
        el('td', {}, [yes(s.spec.running, 'running', 'stopped')]),
        el('td', {}, [s.spec.unknown ? el('span', { class: 'wait' }, ['?']) : yes(s.spec.healthy, 'healthy', 'unhealthy')]),
      ])));
  });
  watchKind(node, 'addresses', withInfo, (items) => {
    const current = items.get('current');
    addresses.textContent = current ? current.spec.addresses.join(', ') : '';
  });
  watchKind(node, 'members', withInfo, (items) => {
    members.replaceChildren(...[...items.values()].map((m) =>
      el('tr', {}, [el('td', {}, [m.metadata.id]), el('td', {}, [JSON.stringify(m.spec)])])));
  }, () => members.replaceChildren(el('tr', {}, [el('td', { class: 'muted' }, ['this node has no etcd'])])));
  const recent = [];
  stream(node, '/v1/node/events?tail=15&follow=true', {
    open: () => { recent.length = 0; withInfo.opened('events'); },
    line: (event) => {
      if (event.type === 'heartbeat') return;
      recent.push(event.time.slice(11, 19) + ' ' + describeEvent(event));
      if (recent.length > 15) recent.shift();
      events.textContent = recent.join('\\n');
    },
    lost: (message) => reach.lost('events', message),
    missing: () => reach.lost('events', 'no event stream'),
  });
  return card;
}

function summaryLine(count) {
  const target = document.getElementById('summary');
  const states = new Map();
  const down = new Set();
  const render = () => {
    const ready = [...states.entries()].filter(([name, m]) => !down.has(name) && m && m.spec.status.ready).length;
    target.textContent = count + ' node' + (count === 1 ? '' : 's') + ', ' + ready + ' ready' +
      (down.size > 0 ? ', ' + down.size + ' unreachable' : '');
  };
  return {
    update(name, ms) { states.set(name, ms); render(); },
    reach(name, up) {
      if (up === !down.has(name)) return;
      if (up) down.delete(name); else down.add(name);
      render();
    },
  };
}

/** The dependency graph of one node, with a choice of node when there are several. */
function graph(nodes) {
  const holder = document.getElementById('graph-image');
  const show = (node) => {
    holder.textContent = 'loading…';
    const image = el('img', { alt: 'controller dependency graph of ' + node.name, src: node.base + '/v1/node/graph?format=svg' }, []);
    image.addEventListener('load', () => holder.replaceChildren(image));
    image.addEventListener('error', () => { holder.textContent = 'graph of ' + node.name + ' unavailable'; });
  };
  if (nodes.length > 1) {
    const choice = el('select', { id: 'graph-node', 'aria-label': 'node' }, nodes.map((n, i) => el('option', { value: String(i) }, [n.name])));
    choice.addEventListener('change', () => show(nodes[Number(choice.value)]));
    document.querySelector('#graph h2').append(' of ', choice);
  }
  show(nodes[0]);
}

async function main() {
  const nodes = await (await fetch('nodes.json')).json();
  const summary = summaryLine(nodes.length);
  document.getElementById('summary').textContent = nodes.length + ' node' + (nodes.length === 1 ? '' : 's');
  const list = document.getElementById('nodes');
  for (const node of nodes) list.append(nodeCard(node, summary));
  for (const [url, entries] of multiplexed) followMultiplexed(url, entries);
  graph(nodes);
}

main();
`;
