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
    /** A range dragged on a time series chart ({fromMs, toMs}); overrides the preset range. */
    customRange: null,
    lastTop: null,
  };
  const params0 = new URLSearchParams(location.search);

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

  /** Every time on the page is the browser's local time, in one format, with the zone named in the header. */
  const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  function formatTime(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function utcOffset() {
    const minutes = -new Date().getTimezoneOffset();
    const sign = minutes >= 0 ? '+' : '-';
    const abs = Math.abs(minutes);
    return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }

  const isLevel = (sampleType) => /^inuse_/.test(sampleType || '');
  /** What a value means, said next to it: in-use heap is a level, everything else adds up over the range. */
  function aggregationText(aggregation, sampleType, profileCount) {
    if (aggregation === 'mean') return `${sampleType}: mean of ${profileCount} snapshot(s) per process, not a sum`;
    if (aggregation === 'latest') return `${sampleType}: latest snapshot of each process`;
    return `${sampleType}: summed over ${profileCount} profile(s)`;
  }
  const vigilMark = (f) => f.cumulative > 0 && f.vigil / f.cumulative > 0.5;

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
    if (state.customRange) return { from: String(Math.floor(state.customRange.fromMs)), to: String(Math.ceil(state.customRange.toMs)) };
    return presetRangeParams();
  }

  /** The preset range (ignoring a dragged one): the span the time series charts show. */
  function presetRangeParams() {
    // While a dragged range is active, the preset it was dragged on still frames the charts.
    const range = $('range').value === 'custom' ? (state.presetRange || 'all') : $('range').value;
    const ms = { '15m': 9e5, '1h': 36e5, '6h': 216e5, '24h': 864e5, '7d': 6048e5 }[range];
    if (!ms) return {};
    const now = Date.now();
    return { from: String(now - ms), to: String(now) };
  }

  function baseParams(withSampleType) {
    const params = { service: $('service').value, type: $('type').value, ...rangeParams() };
    if (withSampleType && $('sampleType').value) params.sampleType = $('sampleType').value;
    params.heap = $('heapAgg').value;
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
    // The URL's ?service= (the CLI and demo print it) wins on first load; later the user's choice.
    const wanted = previous || params0.get('service');
    if (state.services.some((s) => s.name === wanted)) select.value = wanted;
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
    const wantedType = previous || params0.get('type');
    if (types.includes(wantedType)) select.value = wantedType;
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
    const names = (type ? type.sampleTypes : []).map((st) => st.type);
    for (const st of type ? type.sampleTypes : []) {
      // One name with two units (io-wait count and nanoseconds): the value says which.
      const value = names.filter((n) => n === st.type).length > 1 ? `${st.type}/${st.unit}` : st.type;
      select.appendChild(option(value, `${st.type} (${st.unit})`));
    }
    if (Array.from(select.options).some((o) => o.value === previous)) select.value = previous;
    updateHeapControl();
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

  function updateHeapControl() {
    const sampleType = $('sampleType').value || (state.lastSampleType || '');
    $('heapAggLabel').hidden = !(isLevel(sampleType) || $('type').value === 'space');
  }

  function searchMatch(node, term) {
    if (!term) return false;
    const name = node.data.name || '';
    return name.toLowerCase().includes(String(term).toLowerCase());
  }

  const VIGIL_COLOR = '#c8ccd4';
  /** V8's names for time outside JavaScript: not a function anyone wants the callers of. */
  const PSEUDO_FRAME = /^\((idle|program|garbage collector|root|external|non-JS threads)\)$/;

  /**
   * An icicle (root at the top) so the root is in view at any window height; d3-flame-graph draws
   * it. Vigil's own frames are grey and labelled, so its cost in the app is visible and not mistaken for the app's.
   */
  function makeChart(container, total, unit, detailsEl, options) {
    const width = Math.max(300, container.clientWidth || 800);
    const chart = flamegraph()
      .width(width)
      .cellHeight(18)
      .inverted(!(options && options.rootAtBottom))
      .transitionDuration(150)
      .minFrameSize(1)
      .sort(false)
      .setSearchMatch(searchMatch)
      .setDetailsElement(detailsEl)
      .setColorMapper((d, original) => (d.data.vigil && !d.highlight ? VIGIL_COLOR : original))
      .setLabelHandler((d) => {
        const share = total > 0 ? d.value / total : 0;
        const file = d.data.file ? ` — ${d.data.file}` : '';
        const vigil = d.data.vigil ? ' [Vigil’s own work]' : '';
        return `${d.data.name}${file}: ${formatValue(d.value, unit)} (${percent(share)})${vigil}`;
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
    state.lastSampleType = tree.sampleType;
    updateHeapControl();
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
    const summary = `${formatValue(tree.value, tree.unit)} — ${aggregationText(tree.aggregation, tree.sampleType, tree.profileCount)}`;
    $('summary').textContent = summary;
    setStatus(`${tree.profileCount} profile(s)`);
    drawStrip(tree.sampleType, tree.unit).catch((error) => setStatus(`time series: ${error.message}`, true));
  }

  function renderTop(top) {
    state.lastTop = top;
    const body = $('top-table').querySelector('tbody');
    clearChildren(body);
    const names = $('functionNames');
    clearChildren(names);
    for (const f of top.functions) {
      const row = document.createElement('tr');
      const nameCell = el('td', f.name, 'fn');
      nameCell.title = f.file || '';
      if (vigilMark(f)) {
        row.classList.add('vigil');
        nameCell.appendChild(el('span', 'Vigil', 'badge'));
        nameCell.title = `${f.file || ''}\nVigil's own work in this process (${percent(f.vigil / top.total)} of the total)`;
      }
      row.appendChild(nameCell);
      row.appendChild(el('td', formatValue(f.self, top.unit), 'num'));
      row.appendChild(el('td', percent(f.selfShare), 'num'));
      row.appendChild(el('td', percent(f.cumulativeShare), 'num'));
      const sandwichCell = document.createElement('td');
      const button = el('button', '⇅', 'icon');
      button.type = 'button';
      button.title = `Callers and callees of ${f.name}`;
      button.setAttribute('aria-label', `Sandwich view of ${f.name}`);
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        openSandwich(f.name, f.file);
      });
      sandwichCell.appendChild(button);
      row.appendChild(sandwichCell);
      row.addEventListener('click', () => {
        $('search').value = f.name;
        runSearch();
      });
      body.appendChild(row);
      names.appendChild(option(f.name, f.file ? `${f.name} — ${f.file}` : f.name));
    }
  }

  function runSearch() {
    const term = $('search').value.trim();
    if (!state.flameChart) return;
    if (term) state.flameChart.search(term);
    else state.flameChart.clear();
    for (const row of $('top-table').querySelectorAll('tbody tr')) {
      const name = row.firstChild.firstChild ? row.firstChild.firstChild.textContent : '';
      row.classList.toggle('match', Boolean(term) && name.toLowerCase().includes(term.toLowerCase()));
    }
  }

  // ---------- time series (the strip above the flame graph, and the tab with every type) ----------

  /** Per-second rates for things that add up (1 s/s = one busy thread); levels as they are. */
  function seriesUnit(series) {
    if (series.kind === 'level') return { unit: series.unit, suffix: '' };
    if (series.unit === 'nanoseconds') return { unit: 'nanoseconds', suffix: '/s' };
    return { unit: series.unit, suffix: '/s' };
  }

  async function fetchSeries() {
    const result = await api('timeseries', { service: $('service').value, ...presetRangeParams() });
    return result.series;
  }

  function setCustomRange(fromMs, toMs) {
    state.customRange = fromMs === null ? null : { fromMs, toMs };
    const custom = $('range').querySelector('option[value="custom"]');
    if (state.customRange) {
      state.presetRange = state.presetRange || $('range').value;
      custom.hidden = false;
      custom.textContent = `${formatTime(fromMs)} – ${formatTime(toMs)}`;
      $('range').value = 'custom';
    } else {
      custom.hidden = true;
      $('range').value = state.presetRange || '1h';
      state.presetRange = null;
    }
    selectionChanged(false);
  }

  /** One chart of a series with a brush: dragging sets the range of every view. */
  function drawSeries(container, series, height) {
    const width = Math.max(300, container.clientWidth || 800);
    const margin = { left: 78, right: 12, top: 16, bottom: 20 };
    const points = series.points;
    const { unit, suffix } = seriesUnit(series);
    const svg = d3.select(container).append('svg').attr('width', width).attr('height', height).attr('class', 'series')
      .attr('data-sample-type', series.sampleType);
    svg.append('text').attr('x', margin.left).attr('y', 11).attr('class', 'series-title')
      .text(`${series.profileType} · ${series.sampleType}${series.kind === 'level' ? ' (snapshot per period)' : ` (${series.unit === 'nanoseconds' ? 'time' : series.unit} per second)`}`);
    if (points.length === 0) return;
    const x = d3.scaleTime()
      .domain([new Date(d3.min(points, (p) => p.startMs)), new Date(d3.max(points, (p) => p.endMs))])
      .range([margin.left, width - margin.right]);
    const y = d3.scaleLinear().domain([0, d3.max(points, (p) => p.value) || 1]).nice(3).range([height - margin.bottom, margin.top]);
    svg.append('g').attr('transform', `translate(0,${height - margin.bottom})`)
      .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor(width / 140))).tickFormat((d) => formatTime(d.getTime()).slice(11)));
    svg.append('g').attr('transform', `translate(${margin.left},0)`)
      .call(d3.axisLeft(y).ticks(3).tickFormat((v) => `${formatValue(v, unit)}${suffix}`));
    // Each period is a bar from its start to its end: the value is what happened in that period.
    svg.append('g').selectAll('rect').data(points).join('rect')
      .attr('class', 'period')
      .attr('x', (p) => x(new Date(p.startMs)))
      .attr('width', (p) => Math.max(1, x(new Date(p.endMs)) - x(new Date(p.startMs)) - 1))
      .attr('y', (p) => y(p.value))
      .attr('height', (p) => Math.max(0, height - margin.bottom - y(p.value)))
      .append('title')
      .text((p) => `${formatTime(p.startMs)} – ${formatTime(p.endMs).slice(11)}: ${formatValue(p.value, unit)}${suffix}`);
    const brush = d3.brushX()
      .extent([[margin.left, margin.top], [width - margin.right, height - margin.bottom]])
      .on('end', (event) => {
        if (!event.sourceEvent) return; // moved by code, not by the user
        if (!event.selection) return setCustomRange(null);
        const [a, b] = event.selection.map((px) => x.invert(px).getTime());
        setCustomRange(a, b);
      });
    const g = svg.append('g').attr('class', 'brush').call(brush);
    if (state.customRange) {
      const a = Math.max(margin.left, x(new Date(state.customRange.fromMs)));
      const b = Math.min(width - margin.right, x(new Date(state.customRange.toMs)));
      if (b > a) g.call(brush.move, [a, b]);
    }
  }

  async function drawStrip(sampleType, unit) {
    const container = $('strip');
    const all = await fetchSeries();
    const type = $('type').value;
    const series = all.find((s) => s.profileType === type && s.sampleType === sampleType && (!unit || s.unit === unit))
      || all.find((s) => s.profileType === type && s.sampleType === sampleType);
    clearChildren(container);
    if (series) drawSeries(container, series, 92);
  }

  async function loadSeries() {
    const container = $('series');
    const all = await fetchSeries();
    clearChildren(container);
    // Counts that duplicate a measured type (sample/count beside wall time) add nothing to look at.
    const shown = all.filter((s) => !(s.unit === 'count' && all.some((o) => o !== s && o.profileType === s.profileType && o.unit !== 'count' && (o.sampleType === s.sampleType || s.sampleType === 'sample'))));
    for (const series of shown) {
      const box = el('div', null, 'series-box');
      container.appendChild(box);
      drawSeries(box, series, 110);
    }
    if (shown.length === 0) container.appendChild(el('p', 'No profiles in this range.', 'hint'));
    setStatus(`${shown.length} series`);
  }

  // ---------- sandwich ----------

  function openSandwich(name, file) {
    $('sandwichFunction').value = name;
    state.sandwichFile = file || null;
    showTab('sandwich');
  }

  async function loadSandwich() {
    const name = $('sandwichFunction').value.trim();
    const callersEl = $('sandwich-callers');
    const calleesEl = $('sandwich-callees');
    clearChildren(callersEl);
    clearChildren(calleesEl);
    if (!name) {
      // Nothing picked yet: start with the heaviest function, which is what people ask about first.
      if (!state.lastTop) state.lastTop = await api('top', { ...baseParams(true), limit: 100 });
      const top = state.lastTop.functions.find((f) => !vigilMark(f) && !PSEUDO_FRAME.test(f.name));
      if (!top) return;
      $('sandwichFunction').value = top.name;
      state.sandwichFile = top.file || null;
      return loadSandwich();
    }
    const params = { ...baseParams(true), function: name };
    const fromTop = state.lastTop && state.lastTop.functions.find((f) => f.name === name);
    const file = state.sandwichFile !== undefined && state.sandwichFile !== null ? state.sandwichFile : fromTop && fromTop.file;
    if (file) params.file = file;
    const result = await api('sandwich', params);
    const fn = result.function;
    $('sandwich-summary').textContent = fn.cumulative > 0
      ? `${fn.name}${fn.file ? ` — ${fn.file}` : ''}: total ${formatValue(fn.cumulative, result.unit)} (${percent(fn.cumulative / result.total)}), self ${formatValue(fn.self, result.unit)} (${percent(fn.self / result.total)}); ${aggregationText(result.aggregation, result.sampleType, result.profileCount)}`
      : `${name} does not appear in this selection.`;
    if (fn.cumulative > 0) {
      const callers = makeChart(callersEl, result.total, result.unit, $('sandwich-details'), { rootAtBottom: true });
      d3.select(callersEl).datum(result.callers).call(callers);
      callersEl.scrollTop = callersEl.scrollHeight; // the function sits at the bottom of the callers
      const callees = makeChart(calleesEl, result.total, result.unit, $('sandwich-details'));
      d3.select(calleesEl).datum(result.callees).call(callees);
    }
    state.sandwichFile = undefined;
    setStatus(`${result.profileCount} profile(s)`);
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
    const timeTick = (d) => formatTime(d.getTime()).slice(11);
    const color = d3.scaleOrdinal(d3.schemeTableau10).domain(kinds);
    const svg = d3.select(container).append('svg').attr('width', width).attr('height', height).attr('class', 'timeline');
    svg.append('g').attr('transform', `translate(0,${height - margin.bottom})`).call(d3.axisBottom(x).ticks(Math.max(2, Math.floor(width / 120))).tickFormat(timeTick));
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
        return `${e.event} ${formatValue(e.durationNs, 'nanoseconds')} at ${formatTime(e.startMs)}${labels ? ` — ${labels}` : ''}`;
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

  /** The values A and B can take when comparing by version, env or a tag. */
  async function fillCompareValues() {
    const by = $('compareBy').value;
    $('compareTimes').hidden = by !== 'time';
    $('compareValues').hidden = by === 'time';
    $('compareTagLabel').hidden = by !== 'tag';
    if (by === 'time') return;
    let values = [];
    if (by === 'tag') {
      const { tags } = await api('tags', { service: $('service').value, ...presetRangeParams() });
      const tagSelect = $('compareTag');
      const previous = tagSelect.value;
      clearChildren(tagSelect);
      for (const name of Object.keys(tags)) tagSelect.appendChild(option(name, name));
      if (Object.keys(tags).includes(previous)) tagSelect.value = previous;
      values = (tags[tagSelect.value] || []).map((v) => v.value);
    } else {
      const service = currentService();
      values = service ? service[by === 'version' ? 'versions' : 'envs'] : [];
    }
    for (const id of ['baseValue', 'newValue']) {
      const select = $(id);
      const previous = select.value;
      clearChildren(select);
      for (const v of values) select.appendChild(option(v, v));
      if (values.includes(previous)) select.value = previous;
    }
    // Default to the two most different choices: the first and the last.
    if (values.length > 1 && $('baseValue').value === $('newValue').value) {
      $('baseValue').value = values[0];
      $('newValue').value = values[values.length - 1];
    }
  }

  async function loadDiff() {
    prefillDiffRanges(false);
    const params = baseParams(true);
    const by = $('compareBy').value;
    if (by === 'time') {
      delete params.from;
      delete params.to;
      Object.assign(params, {
        baseFrom: fromLocalInput($('baseFrom').value), baseTo: fromLocalInput($('baseTo').value),
        newFrom: fromLocalInput($('newFrom').value), newTo: fromLocalInput($('newTo').value),
      });
    } else {
      await fillCompareValues();
      const a = $('baseValue').value;
      const b = $('newValue').value;
      if (by === 'tag') {
        params[`baseTag.${$('compareTag').value}`] = a;
        params[`newTag.${$('compareTag').value}`] = b;
      } else if (by === 'version') {
        Object.assign(params, { baseVersion: a, newVersion: b });
      } else {
        Object.assign(params, { baseEnv: a, newEnv: b });
      }
    }
    const result = await api('diff', params);
    $('diff-matching').textContent = `Functions matched by ${result.matching}. ${aggregationText(result.aggregation, result.sampleType, result.new.profileCount)}. Rows marked “inlining?” moved self time between a function and its caller or callee while their total barely changed: V8 inlined one into the other on one side only, which a profile cannot tell from a real change.`;
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
      row.appendChild(el('td', f.file ? f.file.split(/[\\/]/).pop() : '', 'file'));
      row.appendChild(el('td', percent(f.baseSelfShare), 'num'));
      row.appendChild(el('td', percent(f.newSelfShare), 'num'));
      const change = f.selfShareChange;
      row.appendChild(el('td', `${change >= 0 ? '+' : ''}${(change * 100).toFixed(2)} pt`, `num ${change > 0 ? 'slower' : change < 0 ? 'faster' : ''}`));
      const note = el('td', f.inliningSuspect ? 'inlining?' : '', 'note');
      if (f.inliningSuspect) note.title = `Self time moved between this function and ${f.inliningSuspect} (caller or callee) while their total stayed: likely V8 inlining, not a change in speed`;
      row.appendChild(note);
      body.appendChild(row);
    }
    setStatus(`base ${result.base.profileCount} profile(s), new ${result.new.profileCount} profile(s)`);
    state.diffResult = result;
  }

  // ---------- leaks ----------

  async function loadLeaks() {
    const params = { service: $('service').value, ...rangeParams(), minPeriods: $('minPeriods').value || undefined };
    const result = await api('leaks', params);
    const body = $('leaks-table').querySelector('tbody');
    clearChildren(body);
    // One row per site; unconfirmed ones (no full GC between the profiles) are greyed and say so.
    const suspectRow = (s, rank, processText, className) => {
      const row = document.createElement('tr');
      if (className) row.className = className;
      row.appendChild(el('td', rank, 'num'));
      const name = el('td', s.name, 'fn');
      name.title = (s.heaviestStack || []).join('\n');
      row.appendChild(name);
      row.appendChild(el('td', s.file ? `${s.file}${s.line ? `:${s.line}` : ''}` : ''));
      row.appendChild(el('td', formatValue(s.growthBytesPerMinute, 'bytes'), 'num'));
      row.appendChild(el('td', `${formatValue(s.firstBytes, 'bytes')} → ${formatValue(s.lastBytes, 'bytes')}`, 'num'));
      row.appendChild(el('td', s.periods, 'num'));
      row.appendChild(el('td', processText));
      body.appendChild(row);
    };
    let count = 0;
    for (const group of result.groups) {
      for (const s of group.suspects) {
        count++;
        suspectRow(s, s.rank, group.process);
      }
    }
    let unconfirmed = 0;
    for (const group of result.groups) {
      for (const s of group.unconfirmed || []) {
        unconfirmed++;
        suspectRow(s, '?', `${group.process} — not yet confirmed: no full GC between these profiles`, 'unconfirmed');
      }
    }
    if (count === 0 && unconfirmed === 0) {
      const row = document.createElement('tr');
      const cell = el('td', `No leak suspects (${result.groups.reduce((n, g) => n + g.profileCount, 0)} heap profile(s) examined).`, 'hint');
      cell.colSpan = 7;
      row.appendChild(cell);
      body.appendChild(row);
    }
    setStatus(`${count} suspect(s)${unconfirmed ? `, ${unconfirmed} growing but not yet confirmed` : ''}`);
  }

  // ---------- profiles ----------

  async function loadProfiles() {
    const result = await api('profiles', { service: $('service').value, ...rangeParams(), limit: 500 });
    const body = $('profiles-table').querySelector('tbody');
    clearChildren(body);
    for (const p of result.profiles) {
      const row = document.createElement('tr');
      row.appendChild(el('td', formatTime(p.startMs)));
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

  const loaders = { flame: loadFlame, sandwich: loadSandwich, series: loadSeries, timeline: loadTimeline, diff: loadDiff, leaks: loadLeaks, profiles: loadProfiles };

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
    $('timezone').textContent = `times in ${TIME_ZONE} (${utcOffset()})`;
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
  $('range').addEventListener('change', () => {
    if ($('range').value !== 'custom') {
      state.presetRange = null;
      if (state.customRange) return setCustomRange(null);
    }
    selectionChanged(false);
  });
  $('heapAgg').addEventListener('change', () => refresh());
  for (const b of document.querySelectorAll('.clearRange')) b.addEventListener('click', () => setCustomRange(null));
  $('runSandwich').addEventListener('click', () => { state.sandwichFile = undefined; refresh(); });
  $('sandwichFunction').addEventListener('change', () => { state.sandwichFile = undefined; refresh(); });
  $('compareBy').addEventListener('change', () => fillCompareValues().catch((e) => setStatus(e.message, true)));
  $('compareTag').addEventListener('change', () => { for (const id of ['baseValue', 'newValue']) $(id).value = ''; fillCompareValues().catch((e) => setStatus(e.message, true)); });
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
      if (params0.get('tab') && loaders[params0.get('tab')]) {
        for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === params0.get('tab'));
        for (const sec of document.querySelectorAll('.tab')) sec.classList.toggle('active', sec.id === `tab-${params0.get('tab')}`);
        state.tab = params0.get('tab');
      }
      return selectionChanged(false);
    })
    .then(() => document.body.setAttribute('data-ready', 'true'))
    .catch((error) => setStatus(error.message, true));
})();
