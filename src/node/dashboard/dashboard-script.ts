/**
 * The dashboard's browser module, served as plain JavaScript (no build step): one card per node,
 * kept live by the resource API's watch streams and the node's event stream, and the controller
 * dependency graph drawn by the node API as SVG.
 */

/** `dashboard.js`: the page's ES module. */
export const dashboardScript = `
const stateTypes = {
  machine: ['runtime', 'MachineStatuses.runtime.talos.dev'],
  services: ['runtime', 'Services.v1alpha1.talos.dev'],
  addresses: ['network', 'NodeAddresses.net.talos.dev'],
  members: ['etcd', 'EtcdMembers.etcd.talos.dev'],
};

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children || []) node.append(child);
  return node;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads an NDJSON stream, reconnecting after a drop; onOpen runs before each (re)connection's first line. */
async function follow(url, onOpen, onLine) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url);
      if (res.status === 404) return false;
      if (!res.ok) throw new Error(url + ': ' + res.status);
      onOpen();
      attempt = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let i;
        while ((i = buffer.indexOf('\\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line !== '') onLine(JSON.parse(line));
        }
      }
    } catch (error) {
      // Shown on the page, where the reader looks; the next render replaces it once the stream is back.
      const summary = document.getElementById('summary');
      if (summary) summary.textContent = 'connection lost (' + url + '): ' + (error && error.message) + '; retrying';
    }
    await sleep(Math.min(5000, 250 * 2 ** attempt));
  }
}

/** Follows a kind: a live map id -> resource. */
function watchKind(base, key, render) {
  const [ns, type] = stateTypes[key];
  const items = new Map();
  const url = base + '/v1/watch/' + encodeURIComponent(ns) + '/' + encodeURIComponent(type) + '?bootstrapContents=true';
  return follow(
    url,
    () => items.clear(),
    (event) => {
      if (event.type === 'created' || event.type === 'updated') items.set(event.resource.metadata.id, event.resource);
      else if (event.type === 'destroyed') items.delete(event.resource.metadata.id);
      else if (event.type !== 'bootstrapped') return;
      render(items);
    },
  );
}

const yes = (value, good, bad) => el('span', { class: value ? 'ok' : 'bad' }, [value ? good : bad]);

function nodeCard(node, summary) {
  const title = el('h2', {}, [node.name]);
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
    title, facts,
    el('h3', {}, ['services']),
    el('table', {}, [el('thead', {}, [el('tr', {}, [el('th', {}, ['service']), el('th', {}, ['running']), el('th', {}, ['healthy'])])]), services]),
    el('h3', {}, ['addresses']), addresses,
    el('h3', {}, ['etcd members']),
    el('table', {}, [members]),
    el('h3', {}, ['recent events']), events,
  ]);

  fetch(node.base + '/v1/node/info').then((r) => r.json()).then((info) => {
    hostname.textContent = info.hostname;
    type.textContent = info.machineType;
  }).catch(() => card.classList.add('unreachable'));

  watchKind(node.base, 'machine', (items) => {
    const ms = items.get('machine');
    stage.textContent = ms ? ms.spec.stage : 'unknown';
    ready.replaceChildren(yes(ms && ms.spec.status.ready, 'ready', 'not ready'));
    unmet.textContent = ms ? ms.spec.status.unmetConditions.map((c) => c.name + ': ' + c.reason).join('; ') : '';
    summary.update(node.name, ms);
  });
  watchKind(node.base, 'services', (items) => {
    services.replaceChildren(...[...items.values()].map((s) =>
      el('tr', { 'data-service': s.metadata.id }, [
        el('td', {}, [s.metadata.id]),
        el('td', {}, [yes(s.spec.running, 'running', 'stopped')]),
        el('td', {}, [s.spec.unknown ? el('span', { class: 'wait' }, ['?']) : yes(s.spec.healthy, 'healthy', 'unhealthy')]),
      ])));
  });
  watchKind(node.base, 'addresses', (items) => {
    const current = items.get('current');
    addresses.textContent = current ? current.spec.addresses.join(', ') : '';
  });
  watchKind(node.base, 'members', (items) => {
    members.replaceChildren(...[...items.values()].map((m) =>
      el('tr', {}, [el('td', {}, [m.metadata.id]), el('td', {}, [JSON.stringify(m.spec)])])));
  }).then((known) => {
    if (known === false) members.replaceChildren(el('tr', {}, [el('td', { class: 'muted' }, ['this node has no etcd'])]));
  });
  const recent = [];
  follow(node.base + '/v1/node/events?tail=15&follow=true', () => { recent.length = 0; }, (event) => {
    if (event.type === 'heartbeat') return;
    const what = event.type === 'service'
      ? 'service ' + event.service + ' ' + event.state + (event.message ? ': ' + event.message : '')
      : event.type === 'config' ? 'config ' + event.action + ': ' + event.message
      : event.type + ' ' + (event.sequence || '') + ' ' + (event.phase || '') + ' ' + (event.task || '') + ' ' + event.action;
    recent.push(event.time.slice(11, 19) + ' ' + what);
    if (recent.length > 15) recent.shift();
    events.textContent = recent.join('\\n');
  });
  return card;
}

function summaryLine(count) {
  const target = document.getElementById('summary');
  const states = new Map();
  return {
    update(name, ms) {
      states.set(name, ms);
      const ready = [...states.values()].filter((m) => m && m.spec.status.ready).length;
      target.textContent = count + ' node' + (count === 1 ? '' : 's') + ', ' + ready + ' ready';
    },
  };
}

async function main() {
  const nodes = await (await fetch('nodes.json')).json();
  const summary = summaryLine(nodes.length);
  document.getElementById('summary').textContent = nodes.length + ' node' + (nodes.length === 1 ? '' : 's');
  const list = document.getElementById('nodes');
  for (const node of nodes) list.append(nodeCard(node, summary));
  const image = el('img', { alt: 'controller dependency graph', src: nodes[0].base + '/v1/node/graph?format=svg' }, []);
  image.addEventListener('load', () => document.getElementById('graph-image').replaceChildren(image));
  image.addEventListener('error', () => { document.getElementById('graph-image').textContent = 'graph unavailable'; });
}

main();
`;
