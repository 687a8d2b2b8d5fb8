import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dependencyDir } from '../http/static-assets';
import type { FlameNode } from '../analysis/flame-tree';

export interface FlameGraphHtmlOptions {
  title: string;
  /** e.g. `cpu`, `inuse_space`. */
  sampleType: string;
  /** pprof unit: nanoseconds, bytes, count. */
  unit: string;
  /** One line under the title: where the data came from, how values combined. */
  subtitle: string;
}

/** JSON that can sit inside a <script> element: no `</script>`, no `<!--`, no U+2028/2029 surprises. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline script text can end its element only with `</script`; the vendor bundles never should, but be sure. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

/** The page's own code: an icicle (root at the top), search, and a hotspot table; every name set as text. */
const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('vigil-data').textContent);
  var unit = data.unit;
  function fmt(v) {
    var a = Math.abs(v);
    if (unit === 'nanoseconds') return a >= 1e9 ? (v / 1e9).toFixed(2) + ' s' : a >= 1e6 ? (v / 1e6).toFixed(1) + ' ms' : a >= 1e3 ? (v / 1e3).toFixed(1) + ' µs' : Math.round(v) + ' ns';
    if (unit === 'bytes') return a >= 1073741824 ? (v / 1073741824).toFixed(2) + ' GiB' : a >= 1048576 ? (v / 1048576).toFixed(1) + ' MiB' : a >= 1024 ? (v / 1024).toFixed(1) + ' KiB' : Math.round(v) + ' B';
    return Math.round(v).toLocaleString('en-US');
  }
  function pct(v) { return data.tree.value > 0 ? (100 * v / data.tree.value).toFixed(2) + '%' : '0%'; }
  var container = document.getElementById('flame');
  var chart = flamegraph().width(Math.max(300, container.clientWidth)).cellHeight(18).inverted(true).minFrameSize(1).sort(false)
    .setDetailsElement(document.getElementById('details'))
    .setLabelHandler(function (d) { return d.data.name + (d.data.file ? ' — ' + d.data.file : '') + ': ' + fmt(d.value) + ' (' + pct(d.value) + ')'; });
  d3.select(container).datum(data.tree).call(chart);
  document.getElementById('search').addEventListener('input', function (e) { var t = e.target.value.trim(); if (t) chart.search(t); else chart.clear(); });
  document.getElementById('reset').addEventListener('click', function () { chart.resetZoom(); });
  var body = document.querySelector('#top tbody');
  data.top.forEach(function (f) {
    var tr = document.createElement('tr');
    [f.name, fmt(f.self), pct(f.self), pct(f.cumulative)].forEach(function (text, i) {
      var td = document.createElement('td');
      td.textContent = text;
      if (i > 0) td.className = 'num'; else { td.className = 'fn'; td.title = f.file || ''; }
      tr.appendChild(td);
    });
    tr.addEventListener('click', function () { document.getElementById('search').value = f.name; chart.search(f.name); });
    body.appendChild(tr);
  });
})();
`;

const PAGE_STYLE = `
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; }
header { padding: 10px 16px; border-bottom: 1px solid #e4e7ec; }
h1 { margin: 0; font-size: 18px; color: #6941c6; }
.sub { color: #667085; font-size: 12px; }
.toolbar { display: flex; gap: 8px; padding: 8px 16px; }
.split { display: grid; grid-template-columns: minmax(0, 1fr) 400px; gap: 16px; padding: 0 16px; }
#flame { max-height: calc(100vh - 150px); overflow-y: auto; }
.side { max-height: calc(100vh - 150px); overflow-y: auto; }
#details { min-height: 1.4em; font: 12px ui-monospace, monospace; color: #667085; padding: 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e4e7ec; }
td.fn { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.num { text-align: right; white-space: nowrap; }
tbody tr { cursor: pointer; }
.d3-flame-graph-label { font-family: ui-monospace, monospace; font-size: 11px; }
`;

/**
 * One self-contained HTML file with an interactive flame graph (icicle, search, zoom, hotspot
 * table), as 0x and clinic.js give: d3 and d3-flame-graph are inlined, so it opens offline, from
 * disk or a mail attachment, and loads nothing from the network (its CSP forbids it).
 */
export function flameGraphHtml(tree: FlameNode, top: readonly { name: string; file: string; self: number; cumulative: number }[], options: FlameGraphHtmlOptions): string {
  const d3 = readFileSync(join(dependencyDir('d3'), 'dist', 'd3.min.js'), 'utf8');
  const flame = dependencyDir('d3-flame-graph');
  const flameJs = readFileSync(join(flame, 'dist', 'd3-flamegraph.min.js'), 'utf8');
  const flameCss = readFileSync(join(flame, 'dist', 'd3-flamegraph.css'), 'utf8');
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const data = { unit: options.unit, sampleType: options.sampleType, tree, top: top.slice(0, 200) };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(options.title)}</title>
<style>${flameCss}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1>${escape(options.title)}</h1><div class="sub">${escape(options.subtitle)}</div></header>
<div class="toolbar"><input id="search" type="search" placeholder="Search functions" aria-label="Search functions"> <button type="button" id="reset">Reset zoom</button></div>
<div id="details"></div>
<div class="split"><div id="flame"></div><div class="side"><table id="top"><thead><tr><th>Function</th><th class="num">Self</th><th class="num">Self %</th><th class="num">Total %</th></tr></thead><tbody></tbody></table></div></div>
<script type="application/json" id="vigil-data">${scriptSafeJson(data)}</script>
<script>${inlineScript(d3)}</script>
<script>${inlineScript(flameJs)}</script>
<script>${inlineScript(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
