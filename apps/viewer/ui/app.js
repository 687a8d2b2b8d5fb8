/* Vigil viewer UI. Plain browser JavaScript, no build step.
 *
 * Every string that comes from a profile (function, file, label, service names) is put on the page
 * with textContent, d3's .text() or an attribute, never as HTML: profiles are untrusted input. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    services: [],
    tab: 'flame',
    flameChart: null,
    diffChart: null,
    flameTotal: 0,
    unit: '',
  };

  // ---------- small helpers ----------

  /** Creates an element with text content (never HTML) and optional class. */
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function setStatus(text, isError) {
    const status = $('status');
    status.textContent = text || '';
    status.classList.toggle('error', Boolean(isError));
  }

  async function api(path, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
    }
    const qs = query.toString();
    const res = await fetch(`/api/${path}${qs ? `?${qs}` : ''}`, { headers: { Accept: 'application/json' } });
    const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
    return body;
  }

  /** A value in its unit, readable: 1.23 s, 45.6 MiB, 1,234. */
  function formatValue(value, unit) {
    const abs = Math.abs(value);
    if (unit === 'nanoseconds') {
      if (abs >= 1e9) return `${(value / 1e9).toFixed(2)} s`;
      if (abs >= 1e6) return `${(value / 1e6).toFixed(1)} ms`;
      if (abs >= 1e3) return `${(value / 1e3).toFixed(1)} µs`;
      return `${Math.round(value)} ns`;
    }
    if (unit === 'bytes') {
      if (abs >= 1 << 30) return `${(value / (1 << 30)).toFixed(2)} GiB`;
      if (abs >= 1 << 20) return `${(value / (1 << 20)).toFixed(1)} MiB`;
      if (abs >= 1 << 10) return `${(value / (1 << 10)).toFixed(1)} KiB`;
      return `${Math.round(value)} B`;
    }
    return Math.round(value).toLocaleString('en-US');
  }

  const percent = (share) => `${(share * 100).toFixed(share >= 0.1 || share === 0 ? 1 : 2)}%`;

  function clearChildren(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function option(value, text) {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    return o;
  }

  // ---------- selection (service, type, sample type, range, label filter) ----------

  function currentService() {
    return state.services.find((s) => s.name === $('service').value);
  }

  function rangeParams() {
    const range = $('range').value;
    const ms = { '15m': 9e5, '1h': 36e5, '6h': 216e5, '24h': 864e5, '7d': 6048e5 }[range];
    if (!ms) return {};
    const now = Date.now();
    return { from: String(now - ms), to: String(now) };
  }

  function baseParams(withSampleType) {
    const params = { service: $('service').value, type: $('type').value, ...rangeParams() };
    if (withSampleType && $('sampleType').value) params.sampleType = $('sampleType').value;
    const key = $('labelKey').value;
    const value = $('labelValue').value;
    if (key && !$('labelValue').disabled && value !== '') params[`label.${key}`] = value;
    return params;
  }

  function fillServices() {
    const select = $('service');
    const previous = select.value;
    clearChildren(select);
    for (const s of state.services) select.appendChild(option(s.name, s.name));
    if (state.services.some((s) => s.name === previous)) select.value = previous;
    fillTypes();
  }

  function fillTypes() {
    const select = $('type');
    const previous = select.value;
    clearChildren(select);
    const service = currentService();
    for (const t of service ? service.types : []) {
      if (t.type === 'events') continue; // shown in the timeline tab
      select.appendChild(option(t.type, `${t.type} (${t.count})`));
    }
    const types = Array.from(select.options).map((o) => o.value);
    if (types.includes(previous)) select.value = previous;
    else if (types.includes('wall')) select.value = 'wall';
    else if (types.includes('cpu')) select.value = 'cpu';
    fillSampleTypes();
  }

  function fillSampleTypes() {
    const select = $('sampleType');
    const previous = select.value;
    clearChildren(select);
    select.appendChild(option('', '(default)'));
    const service = currentService();
    const type = service && service.types.find((t) => t.type === $('type').value);
    for (const st of type ? type.sampleTypes : []) select.appendChild(option(st.type, `${st.type} (${st.unit})`));
    if (Array.from(select.options).some((o) => o.value === previous)) select.value = previous;
  }

  async function fillLabels() {
    const keySelect = $('labelKey');
    const previousKey = keySelect.value;
    const previousValue = $('labelValue').value;
    clearChildren(keySelect);
    keySelect.appendChild(option('', '(no label filter)'));
    state.labels = {};
    if (!$('service').value || !$('type').value) return fillLabelValues();
    try {
      const params = baseParams(true);
      for (const k of Object.keys(params)) if (k.startsWith('label.')) delete params[k];
      const result = await api('labels', params);
      state.labels = result.labels;
      state.unit = result.unit;
    } catch (error) {
      setStatus(`labels: ${error.message}`, true);
    }
    const keys = Object.keys(state.labels);
    const preferred = ['trace endpoint', 'thread name', 'thread id', 'span id', 'local root span id'];
    keys.sort((a, b) => (preferred.indexOf(a) + 1 || 99) - (preferred.indexOf(b) + 1 || 99) || (a < b ? -1 : 1));
    for (const key of keys) keySelect.appendChild(option(key, key));
    if (keys.includes(previousKey)) keySelect.value = previousKey;
    fillLabelValues(previousValue);
  }

  function fillLabelValues(previousValue) {
    const select = $('labelValue');
    clearChildren(select);
    const key = $('labelKey').value;
    const values = (key && state.labels && state.labels[key]) || [];
    select.disabled = !key;
    for (const v of values) select.appendChild(option(v.value, `${v.value} (${formatValue(v.total, state.unit)})`));
    if (previousValue !== undefined && values.some((v) => v.value === previousValue)) select.value = previousValue;
  }

  // ---------- flame graph + hotspot table ----------

  function searchMatch(node, term) {
    if (!term) return false;
    const name = node.data.name || '';
    return name.toLowerCase().includes(String(term).toLowerCase());
  }

  function makeChart(container, total, unit, detailsEl) {
    const width = Math.max(300, container.clientWidth || 800);
    const chart = flamegraph()
      .width(width)
      .cellHeight(18)
      .transitionDuration(150)
      .minFrameSize(1)
      .sort(false)
      .setSearchMatch(searchMatch)
      .setDetailsElement(detailsEl)
      .setLabelHandler((d) => {
        const share = total > 0 ? d.value / total : 0;
        const file = d.data.file ? ` — ${d.data.file}` : '';
        return `${d.data.name}${file}: ${formatValue(d.value, unit)} (${percent(share)})`;
      });
    return chart;
  }

  async function loadFlame() {
    const container = $('flame');
    const params = baseParams(true);
    if (!params.service || !params.type) return;
    setStatus('loading…');
    const [tree, top] = await Promise.all([api('flamegraph', params), api('top', { ...params, limit: 100 })]);
    state.unit = tree.unit;
    state.flameTotal = tree.value;
    clearChildren(container);
    $('details').textContent = '';
    if (!tree.value) {
      container.appendChild(el('p', 'No samples for this selection.', 'hint'));
      state.flameChart = null;
    } else {
      tree.name = `all (${tree.sampleType})`;
      const chart = makeChart(container, tree.value, tree.unit, $('details'));
      d3.select(container).datum(tree).call(chart);
      state.flameChart = chart;
      const term = $('search').value.trim();
      if (term) chart.search(term);
    }
    renderTop(top);
    setStatus(`${tree.profileCount} profile(s), ${formatValue(tree.value, tree.unit)} ${tree.sampleType}`);
  }

  function renderTop(top) {
    const body = $('top-table').querySelector('tbody');
    clearChildren(body);
    for (const f of top.functions) {
      const row = document.createElement('tr');
      const nameCell = el('td', f.name, 'fn');
      nameCell.title = f.file || '';
      row.appendChild(nameCell);
      row.appendChild(el('td', formatValue(f.self, top.unit), 'num'));
      row.appendChild(el('td', percent(f.selfShare), 'num'));
      row.appendChild(el('td', percent(f.cumulativeShare), 'num'));
      row.addEventListener('click', () => {
        $('search').value = f.name;
        runSearch();
      });
      body.appendChild(row);
    }
  }

  function runSearch() {
    const term = $('search').value.trim();
    if (!state.flameChart) return;
    if (term) state.flameChart.search(term);
    else state.flameChart.clear();
    for (const row of $('top-table').querySelectorAll('tbody tr')) {
      const name = row.firstChild.textContent;
      row.classList.toggle('match', Boolean(term) && name.toLowerCase().includes(term.toLowerCase()));
    }
  }

  // ---------- timeline ----------

  async function loadTimeline() {
    // The label filter above is chosen from the flame graph's labels (endpoints, threads), which
    // events mostly lack, so the timeline shows every event of the service and range.
    const result = await api('timeline', { service: $('service').value, ...rangeParams() });
    const container = $('timeline');
    clearChildren(container);
    const summaryBody = $('timeline-summary').querySelector('tbody');
    clearChildren(summaryBody);
    for (const [kind, s] of Object.entries(result.summary)) {
      const row = document.createElement('tr');
      row.appendChild(el('td', kind));
      row.appendChild(el('td', s.count, 'num'));
      row.appendChild(el('td', formatValue(s.totalNs, 'nanoseconds'), 'num'));
      summaryBody.appendChild(row);
    }
    if (result.events.length === 0) {
      container.appendChild(el('p', 'No events for this selection (events come from `events` profiles).', 'hint'));
      setStatus('0 events');
      return;
    }
    const kinds = Array.from(new Set(result.events.map((e) => e.event))).sort();
    const width = Math.max(400, container.clientWidth || 900);
    const lane = 26;
    const margin = { left: 70, right: 10, top: 20, bottom: 24 };
    const height = margin.top + kinds.length * lane + margin.bottom;
    const minStart = d3.min(result.events, (e) => e.startMs);
    const maxEnd = d3.max(result.events, (e) => e.endMs);
    const x = d3.scaleTime().domain([new Date(minStart), new Date(Math.max(maxEnd, minStart + 1))]).range([margin.left, width - margin.right]);
    const color = d3.scaleOrdinal(d3.schemeTableau10).domain(kinds);
    const svg = d3.select(container).append('svg').attr('width', width).attr('height', height).attr('class', 'timeline');
    svg.append('g').attr('transform', `translate(0,${height - margin.bottom})`).call(d3.axisBottom(x).ticks(Math.max(2, Math.floor(width / 120))));
    svg.append('g').selectAll('text').data(kinds).join('text')
      .attr('x', 4).attr('y', (k, i) => margin.top + i * lane + lane / 2 + 4).text((k) => k);
    svg.append('g').selectAll('rect').data(result.events).join('rect')
      .attr('class', 'event')
      .attr('x', (e) => x(new Date(e.startMs)))
      .attr('y', (e) => margin.top + kinds.indexOf(e.event) * lane + 3)
      .attr('width', (e) => Math.max(2, x(new Date(e.endMs)) - x(new Date(e.startMs))))
      .attr('height', lane - 6)
      .attr('fill', (e) => color(e.event))
      .append('title')
      .text((e) => {
        const labels = Object.entries(e.labels).map(([k, v]) => `${k}: ${v}`).join(', ');
        return `${e.event} ${formatValue(e.durationNs, 'nanoseconds')} at ${new Date(e.startMs).toISOString()}${labels ? ` — ${labels}` : ''}`;
      });
    setStatus(`${result.events.length} event(s)${result.truncated ? ' (most recent shown)' : ''}`);
  }

  // ---------- diff ----------

  function toLocalInput(ms) {
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 19);
  }

  function fromLocalInput(value) {
    if (!value) return '';
    const ms = new Date(value).getTime();
    return Number.isFinite(ms) ? String(ms) : '';
  }

  function prefillDiffRanges(force) {
    const service = currentService();
    if (!service || (!force && $('baseFrom').value)) return;
    const first = Date.parse(service.first);
    const last = Date.parse(service.last);
    const mid = Math.round((first + last) / 2);
    $('baseFrom').value = toLocalInput(first - 1000);
    $('baseTo').value = toLocalInput(mid);
    $('newFrom').value = toLocalInput(mid + 1);
    $('newTo').value = toLocalInput(last + 1000);
  }

  async function loadDiff() {
    prefillDiffRanges(false);
    const params = baseParams(true);
    delete params.from;
    delete params.to;
    Object.assign(params, {
      baseFrom: fromLocalInput($('baseFrom').value), baseTo: fromLocalInput($('baseTo').value),
      newFrom: fromLocalInput($('newFrom').value), newTo: fromLocalInput($('newTo').value),
    });
    const result = await api('diff', params);
    const container = $('diff-flame');
    clearChildren(container);
    $('diff-details').textContent = '';
    if (result.tree.value > 0) {
      const total = result.tree.value;
      const chart = makeChart(container, total, result.unit, $('diff-details'))
        .setColorMapper((d) => {
          const delta = d.data.delta || 0;
          const share = total > 0 ? Math.min(1, Math.abs(delta) / total / 0.2) : 0;
          if (share < 0.01) return '#d8d8d8';
          const lightness = 90 - share * 45;
          return delta > 0 ? `hsl(0, 80%, ${lightness}%)` : `hsl(215, 80%, ${lightness}%)`;
        })
        .setLabelHandler((d) => `${d.data.name}: ${formatValue(d.value, result.unit)}, change ${d.data.delta >= 0 ? '+' : ''}${formatValue(d.data.delta || 0, result.unit)}`);
      result.tree.name = 'all';
      d3.select(container).datum(result.tree).call(chart);
      state.diffChart = chart;
    } else {
      container.appendChild(el('p', 'No samples in the new range.', 'hint'));
    }
    const body = $('diff-table').querySelector('tbody');
    clearChildren(body);
    for (const f of result.functions.slice(0, 100)) {
      const row = document.createElement('tr');
      row.appendChild(el('td', f.name, 'fn'));
      row.appendChild(el('td', percent(f.baseSelfShare), 'num'));
      row.appendChild(el('td', percent(f.newSelfShare), 'num'));
      const change = f.selfShareChange;
      row.appendChild(el('td', `${change >= 0 ? '+' : ''}${(change * 100).toFixed(2)} pt`, `num ${change > 0 ? 'slower' : change < 0 ? 'faster' : ''}`));
      body.appendChild(row);
    }
    setStatus(`base ${result.base.profileCount} profile(s), new ${result.new.profileCount} profile(s)`);
  }

  // ---------- leaks ----------

  async function loadLeaks() {
    const params = { service: $('service').value, ...rangeParams(), minPeriods: $('minPeriods').value || undefined };
    const result = await api('leaks', params);
    const body = $('leaks-table').querySelector('tbody');
    clearChildren(body);
    let count = 0;
    for (const group of result.groups) {
      for (const s of group.suspects) {
        count++;
        const row = document.createElement('tr');
        row.appendChild(el('td', s.rank, 'num'));
        const name = el('td', s.name, 'fn');
        name.title = (s.heaviestStack || []).join('\n');
        row.appendChild(name);
        row.appendChild(el('td', s.file ? `${s.file}${s.line ? `:${s.line}` : ''}` : ''));
        row.appendChild(el('td', formatValue(s.growthBytesPerMinute, 'bytes'), 'num'));
        row.appendChild(el('td', `${formatValue(s.firstBytes, 'bytes')} → ${formatValue(s.lastBytes, 'bytes')}`, 'num'));
        row.appendChild(el('td', s.periods, 'num'));
        row.appendChild(el('td', group.process));
        body.appendChild(row);
      }
    }
    if (count === 0) {
      const row = document.createElement('tr');
      const cell = el('td', `No leak suspects (${result.groups.reduce((n, g) => n + g.profileCount, 0)} heap profile(s) examined).`, 'hint');
      cell.colSpan = 7;
      row.appendChild(cell);
      body.appendChild(row);
    }
    setStatus(`${count} suspect(s)`);
  }

  // ---------- profiles ----------

  async function loadProfiles() {
    const result = await api('profiles', { service: $('service').value, ...rangeParams(), limit: 500 });
    const body = $('profiles-table').querySelector('tbody');
    clearChildren(body);
    for (const p of result.profiles) {
      const row = document.createElement('tr');
      row.appendChild(el('td', p.start));
      row.appendChild(el('td', p.type));
      row.appendChild(el('td', p.env || ''));
      row.appendChild(el('td', p.version || ''));
      row.appendChild(el('td', p.sampleCount, 'num'));
      row.appendChild(el('td', formatValue(p.bytes, 'bytes'), 'num'));
      const cell = document.createElement('td');
      const link = el('a', 'pprof');
      link.href = `/api/profiles/${encodeURIComponent(p.id)}/pprof`;
      link.setAttribute('download', '');
      cell.appendChild(link);
      row.appendChild(cell);
      body.appendChild(row);
    }
    setStatus(`${result.total} profile(s)`);
  }

  // ---------- wiring ----------

  const loaders = { flame: loadFlame, timeline: loadTimeline, diff: loadDiff, leaks: loadLeaks, profiles: loadProfiles };

  async function refresh() {
    if (!$('service').value) return;
    try {
      await loaders[state.tab]();
    } catch (error) {
      setStatus(error.message, true);
    } finally {
      // Lets automated tests (and curious users) see that a load finished.
      state.loadCount = (state.loadCount || 0) + 1;
      document.body.dataset.loads = String(state.loadCount);
    }
  }

  function showTab(tab) {
    state.tab = tab;
    for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
    for (const s of document.querySelectorAll('.tab')) s.classList.toggle('active', s.id === `tab-${tab}`);
    refresh();
  }

  async function loadServices() {
    state.services = (await api('services')).services;
    const empty = state.services.length === 0;
    $('empty').hidden = !empty;
    $('self-url').textContent = location.origin;
    $('self-url2').textContent = location.origin;
    fillServices();
  }

  async function selectionChanged(resetLabels) {
    if (resetLabels) {
      $('labelKey').value = '';
      prefillDiffRanges(true);
    }
    await fillLabels();
    await refresh();
  }

  $('service').addEventListener('change', () => { fillTypes(); selectionChanged(true); });
  $('type').addEventListener('change', () => { fillSampleTypes(); selectionChanged(true); });
  $('sampleType').addEventListener('change', () => selectionChanged(false));
  $('range').addEventListener('change', () => selectionChanged(false));
  $('labelKey').addEventListener('change', () => { fillLabelValues(); refresh(); });
  $('labelValue').addEventListener('change', () => refresh());
  $('refresh').addEventListener('click', async () => { await loadServices(); await selectionChanged(false); });
  $('search').addEventListener('input', runSearch);
  $('resetZoom').addEventListener('click', () => state.flameChart && state.flameChart.resetZoom());
  $('runDiff').addEventListener('click', () => refresh());
  $('minPeriods').addEventListener('change', () => refresh());
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));

  loadServices()
    .then(() => {
      // Start on the last hour, unless the chosen service has sent nothing in it.
      const service = currentService();
      if (service && Date.parse(service.last) < Date.now() - 36e5) $('range').value = 'all';
      return selectionChanged(false);
    })
    .then(() => document.body.setAttribute('data-ready', 'true'))
    .catch((error) => setStatus(error.message, true));
})();
