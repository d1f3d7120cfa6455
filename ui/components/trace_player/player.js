// Client-side trace player (Streamlit components v2). Theory of operation:
// - Python sends the whole run ONCE (viz/player_data.py): Arrow tables ev/msg/st/diff + JSON meta.
//   `data` is byte-identical across reruns, so Streamlit does not re-invoke us while the learner steps.
// - When Streamlit does re-invoke us (new data), the previous cleanup is NOT called (pitfall 9):
//   state lives on the root element; same fingerprint -> only apply the seek / manual flag.
// - Stepping is pure browser work: binary search the window of steps around the cursor, rebuild
//   ~100 SVG nodes, update one aria-live label. Nothing is sent to Python per step.
// - Python hears from us only on deliberate acts (each call = one rerun, pitfall 10):
//   state "cursor" (debounced after stepping stops, at once on pause), trigger "choose" (pending
//   id in manual mode), trigger "select" (event index of a clicked message).
// - Sized for a projector: lanes at least LANE_MIN px apart, the diagram at least MIN_H px tall.
// - Teaching aids, all client-side: the caption of the latest captioned step <= cursor (meta.captions)
//   with previous/next-caption buttons and a Tour button that advances through them by itself, a legend drawn with the diagram's own marks, and the state
//   panel as one table per role (meta.roles: the protocol's field order, armed_timers last).
// - Live roles (meta.live, consensus protocols): each lane header shows the node's role and epoch AT
//   THE CURSOR ("★ s2 / leader · Term 3"), found by binary search in the lane's change points; the lane
//   is tinted while its role differs from its role at step 0 (a Raft leader or candidate).
// - Violations (meta.violations, one entry per episode): while the cursor is inside an episode the
//   involved lanes are outlined/tinted red, the breaking delivery is drawn red and thick, and the badge
//   says "X broke at step N: why"; clicking the badge or a violation mark jumps to step N.
// - Vector clocks toggle (a checkbox in the toolbar, browser-only state kept on the root element so it
//   survives re-initialisation): labels every clocked event of the visible window with its vector clock
//   (rebuilt at load in decode(); nothing extra in the payload) above/below its mark — sides alternating
//   per lane within a step and from step to step, stacking outwards when a lane has many events in one
//   step — and adds "L=… V=…" to the step's event list.
// - Anomaly marks (data.marks, NOT in the payload: they change per rerun like seek): the client operations
//   of a consistency anomaly, [[invoke ev, return ev | null, "core" | "culprit"], ...] plus a text. Each op
//   in the visible window is a dashed, tinted span on its node's lane from the invoke glyph to the return
//   glyph (or to the right edge while it has no reply at the cursor); the text is the spans' tooltip and
//   is shown once under the invariant badges (.tp-anomaly-text). New marks re-invoke us with the same
//   fingerprint: setMarks + render, nothing else is rebuilt. null removes them.
// - Tour focus (meta.tour, one entry per caption, computed in Python from the trace): while the cursor is
//   ON a captioned step (by the tour, the caption buttons, the keys or the slider alike) the diagram
//   highlights what the caption is about: a translucent halo under each named message's arrow
//   (.tp-hl-msg[data-mid]), a rounded band on each named lane from `since` to the cursor (.tp-hl-lane),
//   a ring round the lane marks of the named steps (.tp-hl-mark), and everything else dimmed slightly
//   (svg.tp-hl-on). Halos ignore the pointer, so clicks and tooltips reach the arrows; they go on any
//   step without a caption. Colours: palette "highlight" + "cursor", system colours in forced-colors mode.

const PX_STEP = 40, LANE_MIN = 64, MIN_H = 280, TOP = 24, AXIS = 22, GUTTER = 84, GUTTER_MAX = 190, LONG = 64, REPORT_MS = 600, TOUR_MS = 6000;
const VC_LINE = 11; // px between stacked vector-clock labels (10 px text)
const CELL_MAX = 90; // state cells longer than this are cut with "…" (the full value is the cell's title)
const SVGNS = "http://www.w3.org/2000/svg";

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function fmt(tpl, args) {
  return String(tpl).replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m));
}
function col(table, name) { return table.getChild(name).toArray(); }
function strCol(table, name) {
  const v = table.getChild(name), n = table.numRows, out = new Array(n);
  for (let i = 0; i < n; i++) { const x = v.get(i); out[i] = x == null ? "" : String(x); }
  return out;
}
function lowerBound(arr, x, lo, hi) { // first index in [lo,hi) with arr[i] >= x
  while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] < x) lo = m + 1; else hi = m; }
  return lo;
}
function upperBound(arr, x) { // first index with arr[i] > x
  let lo = 0, hi = arr.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] <= x) lo = m + 1; else hi = m; }
  return lo;
}
// A state value (canonical JSON) as compact text: strings unquoted, lists "[a, b]", null "—".
function valText(x, none) {
  if (x === null || x === undefined) return none;
  if (Array.isArray(x)) return "[" + x.map((y) => valText(y, "null")).join(", ") + "]";
  if (typeof x === "object") return "{" + Object.keys(x).map((k) => k + ": " + valText(x[k], "null")).join(", ") + "}";
  return String(x);
}
function parseVal(v) { try { return JSON.parse(v); } catch (e) { return v; } }
// armed_timers {name: [timer id, due]} as "name @due" per timer; "—" when none.
function timersText(x, none) {
  if (!x || typeof x !== "object") return none;
  const parts = Object.keys(x).map((k) => k + " @" + (Array.isArray(x[k]) ? x[k][1] : x[k]));
  return parts.length ? parts : none;
}

function decode(data) {
  const meta = data.meta, ev = data.ev, msg = data.msg, st = data.st, diff = data.diff;
  const D = {
    meta, L: meta.labels, C: meta.colors, nSteps: meta.n_steps, nLanes: meta.lanes.length,
    eStep: col(ev, "step"), eKind: col(ev, "kind"), eLane: col(ev, "lane"), ePeer: col(ev, "peer"),
    eMid: col(ev, "mid"), eType: col(ev, "mtype"), eLam: col(ev, "lamport"),
    ePl: strCol(ev, "pl"), eDt: strCol(ev, "dt"),
    mS: col(msg, "s"), mE: col(msg, "e"), mSl: col(msg, "sl"), mDl: col(msg, "dl"), mSs: col(msg, "ss"),
    mEs: col(msg, "es"), mEnd: col(msg, "end"), mReason: col(msg, "reason"), mDup: col(msg, "dup"),
    mMid: col(msg, "mid"), mClk: col(msg, "clk"),
    sTime: col(st, "time"), sCause: col(st, "cause"), sFirst: col(st, "first"),
    dStep: col(diff, "step"), dLane: col(diff, "lane"), dField: col(diff, "field"), dVal: strCol(diff, "val"),
  };
  D.nEvents = D.eStep.length;
  D.kindCode = Object.fromEntries(meta.kinds.map((k, i) => [k, i]));
  // Messages that stay open for long are few; they are checked on every draw (see drawMessages).
  D.longMsgs = [];
  for (let j = 0; j < D.mS.length; j++) {
    const es = D.mEs[j] < 0 ? D.nSteps : D.mEs[j];
    if (es - D.mSs[j] > LONG) D.longMsgs.push(j);
  }
  D.msgOfEnd = new Map(); D.msgOfStart = new Map();
  for (let j = 0; j < D.mS.length; j++) { D.msgOfStart.set(D.mS[j], j); if (D.mE[j] >= 0) D.msgOfEnd.set(D.mE[j], j); }
  // Vector clocks, rebuilt with the simulator's rule (reference: viz.player_data.replay_vector_clocks).
  const n = D.nLanes, vc = new Int32Array(D.nEvents * n), cur = new Int32Array(n * n), dk = D.kindCode.deliver;
  for (let i = 0; i < D.nEvents; i++) {
    const lane = D.eLane[i];
    if (D.eLam[i] < 0 || lane < 0) continue;
    const base = lane * n, src = D.eKind[i] === dk && D.msgOfEnd.has(i) ? D.mClk[D.msgOfEnd.get(i)] : -1;
    for (let k = 0; k < n; k++) {
      let x = cur[base + k];
      if (src >= 0 && vc[src * n + k] > x) x = vc[src * n + k];
      cur[base + k] = x;
    }
    cur[base + lane] += 1;
    for (let k = 0; k < n; k++) vc[i * n + k] = cur[base + k];
  }
  D.vc = vc;
  // State snapshots every K steps (values are canonical JSON strings), diff rows located by binary search.
  D.K = meta.snapshot_every; D.snaps = [];
  const state = meta.lanes.map(() => new Map());
  let r = 0;
  for (let s = 0; s < D.nSteps; s++) {
    while (r < D.dStep.length && D.dStep[r] === s) { state[D.dLane[r]].set(D.dField[r], D.dVal[r]); r++; }
    if (s % D.K === 0) D.snaps.push(state.map((m) => new Map(m)));
  }
  // Invariant changes by step (few): applied in order up to the cursor.
  D.down = meta.down; D.bands = meta.bands;
  // Live roles: per lane, change points (step, role code, epoch) as typed arrays for binary search.
  D.live = null;
  if (meta.live && meta.live.lanes) {
    D.live = { epoch: meta.live.epoch || "", roles: meta.live.roles, lanes: meta.live.lanes.map((flat) => {
      const n = Math.floor(flat.length / 3), st = new Int32Array(n), role = new Int32Array(n), ep = new Int32Array(n);
      for (let i = 0; i < n; i++) { st[i] = flat[3 * i]; role[i] = flat[3 * i + 1]; ep[i] = flat[3 * i + 2]; }
      return { st, role, ep };
    }) };
  }
  // Violation episodes: [invariant, label, start, end | -1, text, [lanes], message number | -1]
  D.viol = (meta.violations || []).map(([name, label, start, end, text, lanes, mid]) => ({ name, label, start, end, text, lanes, mid }));
  return D;
}

function vcString(D, i) {
  if (D.eLam[i] < 0) return "";
  const n = D.nLanes, parts = [];
  for (let k = 0; k < n; k++) parts.push(D.vc[i * n + k]);
  return "[" + parts.join(",") + "]";
}

function statesAt(D, step) {
  const base = Math.floor(step / D.K);
  const st = D.snaps[base].map((m) => new Map(m));
  let r = lowerBound(D.dStep, base * D.K + 1, 0, D.dStep.length);
  while (r < D.dStep.length && D.dStep[r] <= step) { st[D.dLane[r]].set(D.dField[r], D.dVal[r]); r++; }
  return st;
}

function laneName(D, l) { return l >= 0 ? D.meta.lanes[l][0] : ""; }
// Live [role code, epoch] of lane l after step c, or null (reference: viz.player_data.live_role_at).
function liveAt(D, l, c) {
  if (!D.live) return null;
  const x = D.live.lanes[l], i = upperBound(x.st, c) - 1;
  return i < 0 ? null : [x.role[i], x.ep[i]];
}
// The violation episodes under way after step c (few: a linear scan).
function activeViolations(D, c) { return D.viol.filter((v) => v.start <= c && (v.end < 0 || c < v.end)); }
// Header line under the lane name: "leader · Term 3" (the epoch only once there is one).
function liveText(D, code, epoch) {
  const L = D.L, role = D.live.roles[code] ? D.live.roles[code][1] : "";
  return D.live.epoch && epoch > 0 ? fmt(L.live_role_epoch, { role, epoch_name: D.live.epoch, epoch }) : role;
}
// Rough text width for the gutter (CJK glyphs about twice as wide as Latin ones).
function textWidth(s, px) {
  let w = 0;
  for (const ch of String(s)) w += ch.charCodeAt(0) > 0x2e80 ? px : px * 0.6;
  return w;
}

function eventText(D, i) {
  const L = D.L, k = D.eKind[i], kind = L.kind[k] || D.meta.kinds[k];
  const node = laneName(D, D.eLane[i]), peer = laneName(D, D.ePeer[i]);
  const type = D.eType[i] >= 0 ? D.meta.types[D.eType[i]] : "";
  let s = (node ? node + " · " : "") + kind;
  if (type) s += " " + type + (D.ePl[i] && D.ePl[i] !== "{}" ? " " + D.ePl[i] : "");
  if (D.eMid[i] >= 0) s += " (m" + D.eMid[i] + ")";
  if (peer) s += (k === D.kindCode.send ? " → " : " ← ") + peer;
  if (D.eDt[i]) s += " — " + D.eDt[i];
  return s;
}

function tooltipText(D, i, j) {
  const L = D.L, lines = [eventText(D, i)];
  if (j >= 0 && D.mEnd[j] === 2) lines.push("✕ " + L.drop_reason + ": " + (L.reason[D.mReason[j]] || L.dropped));
  if (D.eType[i] >= 0) lines.push(L.type + ": " + D.meta.types[D.eType[i]]);
  if (D.ePl[i]) lines.push(L.payload + ": " + D.ePl[i]);
  if (D.eLam[i] >= 0) { lines.push(L.lamport + ": " + D.eLam[i]); lines.push(L.vc + ": " + vcString(D, i)); }
  lines.push(L.step + " " + D.eStep[i] + " · " + L.time + " " + D.sTime[D.eStep[i]]);
  return lines.join("\n");
}

// The marks of non-message events; the legend draws the same ones (one source for both).
function markSvg(k, K, C, x, y, attrs, cur) {
  if (k === K.send || k === K.deliver || k === K.start) return `<circle ${attrs} cx="${x}" cy="${y}" r="${cur ? 5.5 : 3.5}" fill="${k === K.start ? C.lane : C.send}"/>`;
  if (k === K.crash) return `<text ${attrs} x="${x}" y="${y}" text-anchor="middle" dominant-baseline="central" style="fill:${C.crash};font-size:24px;font-weight:700">✕</text>`;
  if (k === K.restart) return `<circle ${attrs} cx="${x}" cy="${y}" r="8" fill="none" stroke="${C.restart}" stroke-width="3"/>`;
  if (k === K.timer) return `<rect ${attrs} x="${x - 5.5}" y="${y - 5.5}" width="11" height="11" transform="rotate(45 ${x} ${y})" fill="${C.timer}"/>`;
  if (k === K.invoke || k === K.return) return `<rect ${attrs} x="${x - 5.5}" y="${y - 5.5}" width="11" height="11" fill="${k === K.invoke ? "none" : C.invoke}" stroke="${C.invoke}" stroke-width="2"/>`;
  if (k === K.violation) return `<path ${attrs} d="M${x} ${y - 9} L${x + 9} ${y + 8} L${x - 9} ${y + 8} Z" fill="${C.violation}"/>`;
  if (k === K.note || k === K.skew || k === K.delay || k === K.duplicate) return `<circle ${attrs} cx="${x}" cy="${y}" r="3.5" fill="${C.note}"/>`;
  return "";
}
function arrowDefs(C, solid, open, bad) { // arrowheads sized in stroke widths (markerUnits=strokeWidth)
  return (bad ? `<marker id="${bad}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="${C.violation}"/></marker>` : "") +
    `<marker id="${solid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5.5" markerHeight="5.5" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="${C.deliver}"/></marker>` +
    `<marker id="${open}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5.5" markerHeight="5.5" orient="auto-start-reverse"><path d="M1 1 L9 5 L1 9" fill="none" stroke="${C.inflight}" stroke-width="2"/></marker>`;
}
// One line under the diagram: each item is a tiny SVG with the diagram's own mark, then its label.
function legendHtml(L, C, K, D) {
  const W = 26, H = 22, y = H / 2, sw = (inner, defs) => `<svg width="${W}" height="${H}" aria-hidden="true">${defs ? "<defs>" + defs + "</defs>" : ""}${inner}</svg>`;
  const item = (icon, text, title) => `<span class="tp-lg-item"${title ? ` title="${esc(title)}"` : ""}>${icon}<span>${esc(text)}</span></span>`;
  const defs = arrowDefs(C, "tp-lg-ah", "tp-lg-ah-open");
  const mark = (k) => sw(markSvg(k, K, C, W / 2, y, "", false));
  const leader = D && D.live ? D.live.roles.find((r) => r[0] === "leader") : null;
  return `<span class="tp-lg-title">${esc(L.legend)}:</span>` + [
    item(sw(`<line x1="2" y1="${y}" x2="${W - 2}" y2="${y}" stroke="${C.deliver}" stroke-width="2" marker-end="url(#tp-lg-ah)"/>`, defs), L.lg_delivered),
    item(sw(`<line x1="2" y1="${y}" x2="${W - 2}" y2="${y}" stroke="${C.inflight}" stroke-width="2" stroke-dasharray="5 4" marker-end="url(#tp-lg-ah-open)"/>`), L.lg_inflight),
    item(sw(`<line x1="2" y1="${y}" x2="${W - 10}" y2="${y}" stroke="${C.drop}" stroke-width="2"/><text x="${W - 8}" y="${y}" text-anchor="middle" dominant-baseline="central" style="fill:${C.drop};font-size:15px;font-weight:700">✕</text>`), L.lg_dropped, L.lg_dropped_hint + " (" + L.reason.filter(Boolean).join("; ") + ")"),
    item(sw(`<line x1="2" y1="${y}" x2="${W - 2}" y2="${y}" stroke="${C.duplicate}" stroke-width="2" stroke-dasharray="1 3" stroke-linecap="round"/>`), L.lg_duplicate + " 2×"),
    item(mark(K.crash), L.lg_crash),
    item(sw(`<line x1="2" y1="${y}" x2="${W - 2}" y2="${y}" stroke="${C.lane_down}" stroke-width="4" stroke-dasharray="2 3"/>`), L.lg_down),
    item(mark(K.restart), L.lg_restart),
    item(mark(K.timer), L.lg_timer),
    item(mark(K.invoke), L.lg_request),
    item(mark(K.return), L.lg_reply),
    item(mark(K.violation), L.lg_violation),
    leader ? item(sw(`<rect x="1" y="${y - 5}" width="${W - 2}" height="10" fill="${leader[2]}" opacity="0.35"/><text x="${W / 2}" y="${y}" text-anchor="middle" dominant-baseline="central" style="fill:${leader[2]};font-size:13px">★</text>`), L.lg_leader) : "",
    D && D.viol.length
      ? item(sw(`<rect x="2" y="3" width="${W - 4}" height="${H - 6}" rx="3" fill="${C.bad}" fill-opacity="0.12" stroke="${C.bad}" stroke-width="2"/>`), L.lg_involved) : "",
    D && D.meta.tour && D.meta.tour.length
      ? item(sw(`<line class="tp-lg-hl" x1="4" y1="${y}" x2="${W - 4}" y2="${y}"/><line x1="4" y1="${y}" x2="${W - 4}" y2="${y}" stroke="${C.deliver}" stroke-width="2"/>`), L.tour_focus, L.tour_focus_hint) : "",
    // shown only while there are anomaly marks (setMarks toggles it)
    `<span class="tp-lg-item tp-lg-anomaly" hidden>${sw(`<rect class="tp-anomaly tp-anomaly-culprit" x="2" y="${y - 6}" width="${W - 4}" height="12" rx="3"/>`)}<span>${esc(L.lg_anomaly || "anomaly")}</span></span>`,
  ].join("");
}

function initPlayer(root, D, api) {
  const P = { D, api, cursor: 0, playing: false, timer: null, reportTimer: null, lastReported: null,
              manual: false, seekGen: null, fp: D.meta.fp, marks: null };
  const $ = (sel) => root.querySelector(sel);
  const L = D.L, C = D.C, last = D.nSteps - 1;
  const svg = $(".tp-svg"), label = $(".tp-step-label"), slider = $(".tp-slider"), tip = $(".tp-tooltip");
  const btn = { first: $(".tp-first"), back: $(".tp-back"), forward: $(".tp-forward"), last: $(".tp-last"), play: $(".tp-play") };
  root.setAttribute("aria-label", L.region);
  root.style.setProperty("--tp-ok", C.ok); root.style.setProperty("--tp-bad", C.bad); root.style.setProperty("--tp-inflight", C.inflight);
  if (C.anomaly) root.style.setProperty("--tp-anomaly", C.anomaly);
  for (const k of ["first", "back", "forward", "last"]) { btn[k].title = L[k]; btn[k].setAttribute("aria-label", L[k]); }
  slider.max = String(last); slider.setAttribute("aria-label", L.slider);
  const speed = $(".tp-speed");
  speed.innerHTML = L.speeds.map(([v, name], i) => `<option value="${v}"${i === 1 ? " selected" : ""}>${esc(name)}</option>`).join("");
  speed.title = L.speed; speed.setAttribute("aria-label", L.speed);
  $(".tp-help").textContent = L.keyboard_help;
  const clocksBox = $(".tp-clocks");
  P.showClocks = !!root.__tpClocks; // survives a new run (re-initialisation) in the same element
  if (clocksBox) {
    clocksBox.checked = P.showClocks;
    $(".tp-clocks-text").textContent = L.clocks || "";
    clocksBox.parentElement.title = L.clocks_hint || "";
    clocksBox.setAttribute("aria-label", L.clocks || "");
  }
  $(".tp-h-inv").textContent = L.invariants; $(".tp-h-events").textContent = L.events; $(".tp-h-state").textContent = L.state;
  $(".tp-overview").title = L.overview;
  // Lanes at least LANE_MIN apart; a few lanes are spread over MIN_H so the diagram reads from afar.
  const LANE_H = Math.max(LANE_MIN, Math.floor((MIN_H - TOP - AXIS) / Math.max(1, D.nLanes)));
  const lanesBottom = TOP + D.nLanes * LANE_H, height = lanesBottom + AXIS;
  svg.setAttribute("height", String(height));
  const pendingIds = new Set(D.meta.pending.map((p) => p[0]));
  // captions: [[step, text], ...] sorted by step
  const caps = D.meta.captions || [], capSteps = caps.map((c) => c[0]);
  const capRow = $(".tp-caption-row"), capBox = $(".tp-caption"), capCount = $(".tp-caption-count");
  const capPrev = $(".tp-prev-caption"), capNext = $(".tp-next-caption");
  capRow.hidden = !caps.length;
  capRow.setAttribute("aria-label", L.captions);
  capPrev.textContent = L.prev_caption_text; capPrev.title = L.prev_caption; capPrev.setAttribute("aria-label", L.prev_caption);
  capNext.textContent = L.next_caption_text; capNext.title = L.next_caption; capNext.setAttribute("aria-label", L.next_caption);
  // the tour's focus per caption: [[lanes], [message numbers], [steps], since] (viz.player_data.caption_highlight)
  const focus = (D.meta.tour || []).map(([lanes, msgs, steps, since]) =>
    ({ lanes: new Set(lanes), msgs: new Set(msgs), steps: new Set(steps), since }));
  // The focus shown at cursor c: only ON a captioned step (between captions the caption text stays, the halo goes).
  const focusAt = (c) => {
    const i = upperBound(capSteps, c) - 1;
    return i >= 0 && capSteps[i] === c && focus[i] ? { i, f: focus[i] } : null;
  };
  root.style.setProperty("--tp-hl", C.highlight || "rgba(240,228,66,0.85)");
  root.style.setProperty("--tp-hl-edge", C.cursor || "#E69F00");
  const capTour = $(".tp-tour");
  capTour.title = L.tour; capTour.setAttribute("aria-label", L.tour); capTour.textContent = L.tour_text;
  $(".tp-legend").innerHTML = legendHtml(L, C, D.kindCode, D);
  // state panel: per role, the lanes, field codes in declared order, and the fields a crash wipes
  const roles = (D.meta.roles && D.meta.roles.length ? D.meta.roles
    : [["", "", D.meta.lanes.map((_, l) => l), D.meta.fields.map((_, k) => k), []]])
    .map(([id, name, lanes, fields, lost]) => ({ id, name, lanes, fields, lost: new Set(lost) }));
  const timersCode = D.meta.fields.indexOf("armed_timers");
  // each lane's declared role (its state-table group: the header's data-role without live roles), and
  // a gutter wide enough for "★ name" over "candidate · Term 12" when there are live roles
  const baseRole = D.meta.lanes.map(() => "");
  for (const r of roles) for (const l of r.lanes) baseRole[l] = r.id;
  let G = GUTTER;
  if (D.live) {
    const ep = D.live.epoch ? fmt(L.live_role_epoch, { role: "", epoch_name: D.live.epoch, epoch: 99 }) : "";
    const widest = Math.max(...D.live.roles.map((r) => textWidth(r[1] + ep, 11)), ...D.meta.lanes.map((ln) => textWidth("★ " + ln[0], 15)));
    G = Math.min(GUTTER_MAX, Math.max(GUTTER, Math.ceil(widest) + 22));
  }
  P.gutter = G;

  function setPlayLabel() {
    btn.play.textContent = P.playing ? L.pause_text : L.play_text;
    btn.play.title = P.playing ? L.pause : L.play; btn.play.setAttribute("aria-label", btn.play.title);
    btn.play.setAttribute("aria-pressed", P.playing ? "true" : "false");
  }

  function downAt(c) {
    const down = new Set();
    for (const [l, from, to] of D.down) if (from <= c && (to < 0 || to > c)) down.add(l);
    return down;
  }

  // One lane header: the name (★ for a leader), the live role and epoch under it when the protocol
  // has them, a box in the live role's colour, outlined red while the lane is involved in a violation.
  function laneHead(ln, l, y, isDown, vs, live) {
    const r = live && D.live.roles[live[0]], role = r ? r[0] : baseRole[l];
    const tips = [r ? fmt(L.live_role, { role: r[1] }) : ln[1]];
    if (isDown) tips.push(L.down);
    for (const v of vs || []) tips.push(fmt(L.violation_lane, { label: v.label }));
    const cls = "tp-lane-head" + (vs ? " tp-involved" : "") + (isDown ? " tp-lane-down" : "") + (role === "leader" ? " tp-is-leader" : "");
    const attrs = `class="${cls}" data-lane="${l}" data-role="${esc(role)}"${live ? ` data-epoch="${live[1]}"` : ""}`;
    const box = (fill) => `<rect class="tp-head-box" x="2" y="${y - LANE_H / 2 + 4}" width="${G - 8}" height="${LANE_H - 8}" rx="5"` +
      ` fill="${fill}" stroke="${vs ? C.bad : fill}"/>`;
    const title = `<title>${esc(tips.join("\n"))}</title>`;
    if (!r) { // no live roles: the name alone, as before (a box only to show a violation)
      const name = isDown
        ? `<text class="tp-lane-name" x="6" y="${y}" dominant-baseline="central" style="fill:${C.crash}">${esc(ln[0])} ✕</text>`
        : `<text class="tp-lane-name" x="6" y="${y}" dominant-baseline="central">${esc(ln[0])}</text>`;
      return `<g ${attrs}>${title}${vs ? box(C.bad) : ""}${name}</g>`;
    }
    const star = role === "leader" ? `<tspan class="tp-star" style="fill:${r[2]}">★ </tspan>` : "";
    const name = isDown
      ? `<text class="tp-lane-name" x="8" y="${y - 8}" dominant-baseline="central" style="fill:${C.crash}">${esc(ln[0])} ✕</text>`
      : `<text class="tp-lane-name" x="8" y="${y - 8}" dominant-baseline="central">${star}${esc(ln[0])}</text>`;
    const sub = `<text class="tp-lane-role" x="8" y="${y + 11}" dominant-baseline="central">${esc(isDown ? L.down : liveText(D, live[0], live[1]))}</text>`;
    return `<g ${attrs}>${title}${box(isDown ? C.lane_down : r[2])}${name}${sub}</g>`;
  }

  // ---------------------------------------------------------------- drawing
  function draw() {
    const c = P.cursor, width = P.width; // cached: reading layout here would force a reflow per step
    const vis = Math.max(4, Math.floor((width - G) / PX_STEP));
    let a = Math.max(0, c - Math.floor(vis * 0.66)); const b = Math.min(last, a + vis - 1);
    a = Math.max(0, Math.min(a, b - vis + 1));
    const hi = Math.min(b, c);
    const X = (step, frac) => G + (step - a + 0.5 + (frac || 0)) * PX_STEP;
    const Y = (lane) => TOP + lane * LANE_H + LANE_H / 2;
    const sub = (i) => { // position of event i inside its step column, so a step's events read left to right
      const s = D.eStep[i], f = D.sFirst[s], n = (s + 1 < D.nSteps ? D.sFirst[s + 1] : D.nEvents) - f;
      return n <= 1 ? 0 : ((i - f) / (n - 1) - 0.5) * 0.7;
    };
    const out = [];
    const F = focusAt(c), H = F ? F.f : null; // the tour's focus at this step, if the cursor is on a caption
    // partition bands (past part only)
    for (const [from, to, cut] of D.bands) {
      if (from > hi) continue;
      const end = to < 0 ? hi : Math.min(to, hi);
      if (end < a) continue;
      out.push(`<rect x="${X(Math.max(from, a), -0.5)}" y="0" width="${(end - Math.max(from, a) + (to < 0 || to > hi ? 1 : 0)) * PX_STEP}" height="${lanesBottom}" fill="${C.partition}"><title>${esc(L.partition + ": " + cut)}</title></rect>`);
    }
    // current step column
    out.push(`<rect x="${X(c, -0.5)}" y="0" width="${PX_STEP}" height="${lanesBottom}" fill="${C.current}"/>`);
    // lanes and down intervals
    const xEnd = X(hi, 0.5);
    for (let l = 0; l < D.nLanes; l++) {
      out.push(`<line class="tp-lane" x1="${G}" x2="${xEnd}" y1="${Y(l)}" y2="${Y(l)}" stroke="${C.lane}"/>`);
    }
    // live roles: tint a lane while its role is not the one it started the run in (a leader, a candidate)
    if (D.live) {
      for (let l = 0; l < D.nLanes; l++) {
        const x = D.live.lanes[l];
        let i = Math.max(0, upperBound(x.st, a) - 1);
        for (; i < x.st.length && x.st[i] <= hi; i++) {
          const r = D.live.roles[x.role[i]];
          if (!r || x.role[i] === x.role[0]) continue;
          const from = Math.max(a, x.st[i]), to = i + 1 < x.st.length ? Math.min(hi, x.st[i + 1] - 1) : hi;
          if (to < from) continue;
          out.push(`<rect class="tp-role-band" data-lane="${l}" data-role="${esc(r[0])}" x="${X(from, -0.5)}" y="${Y(l) - 5}" width="${(to - from + 1) * PX_STEP}" height="10" fill="${r[2]}"><title>${esc(fmt(L.live_role, { role: r[1] }))}</title></rect>`);
        }
      }
    }
    // violations under way: the involved lanes tinted from where it broke
    const viol = activeViolations(D, c), involved = new Map(), breaking = new Map();
    for (const v of viol) {
      for (const l of v.lanes) { if (!involved.has(l)) involved.set(l, []); involved.get(l).push(v); }
      if (v.mid >= 0) breaking.set(v.mid, v);
    }
    for (const [l, vs] of involved) {
      const from = Math.max(a, Math.min(...vs.map((v) => v.start)));
      if (from > hi) continue;
      out.push(`<rect class="tp-involved-lane" data-lane="${l}" x="${X(from, -0.5)}" y="${Y(l) - LANE_H / 2 + 3}" width="${(hi - from + 1) * PX_STEP}" height="${LANE_H - 6}" fill="${C.bad}" stroke="${C.bad}"><title>${esc(vs.map((v) => fmt(L.violation_lane, { label: v.label })).join("\n"))}</title></rect>`);
    }
    // tour focus: a band on each focused lane from `since` to the cursor (under the down marks and arrows)
    if (H) {
      const from = Math.max(a, H.since);
      for (const l of H.lanes) {
        if (from > hi) break;
        out.push(`<rect class="tp-hl tp-hl-lane" data-lane="${l}" x="${X(from, -0.5) + 2}" y="${Y(l) - 12}" width="${(hi - from + 1) * PX_STEP - 4}" height="24" rx="12"/>`);
      }
    }
    for (const [l, from, to] of D.down) {
      if (from > hi) continue;
      const end = to < 0 || to > hi ? hi : to;
      if (end < a) continue;
      out.push(`<line class="tp-down" x1="${X(Math.max(from, a), -0.5)}" x2="${X(end, 0.5)}" y1="${Y(l)}" y2="${Y(l)}" stroke="${C.lane_down}"><title>${esc(L.down)}</title></line>`);
    }
    // anomaly marks: the few marked client operations that overlap the visible window (under the arrows and glyphs)
    if (P.marks) {
      for (const [inv, ret, role] of P.marks.ops) {
        const s0 = D.eStep[inv], lane = D.eLane[inv];
        if (s0 > hi || lane < 0) continue;
        const done = ret !== null && D.eStep[ret] <= c, s1 = done ? D.eStep[ret] : hi;
        if (s1 < a) continue;
        const x1 = s0 < a ? X(a, -0.5) - 8 : X(s0, sub(inv)) - 9, x2 = done ? X(s1, sub(ret)) + 9 : xEnd;
        const h = role === "culprit" ? 26 : 20, tip = anomalyTip(inv, ret, role, done);
        out.push(`<rect class="tp-anomaly tp-anomaly-${role}${done ? "" : " tp-anomaly-open"}" data-op-invoke="${inv}" data-op-return="${ret === null ? "" : ret}" data-role="${role}" data-lane="${lane}"` +
          ` x="${x1}" y="${Y(lane) - h / 2}" width="${Math.max(18, x2 - x1)}" height="${h}" rx="4" aria-label="${esc(tip)}"/>`);
      }
    }
    // messages: rows sorted by start step; binary search from a - LONG, plus the few long ones
    const drawn = new Set(), inflightLabels = new Map(), halos = [], haloAt = out.length;
    const halo = (j, x1, y1, x2, y2) => { // under the arrow (spliced in at haloAt), never in the pointer's way
      if (!H || !H.msgs.has(D.mMid[j])) return "";
      halos.push(`<line class="tp-hl tp-hl-msg" data-mid="m${D.mMid[j]}" data-m="${j}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`);
      return " tp-hl-target";
    };
    const lo = lowerBound(D.mSs, a - LONG, 0, D.mSs.length);
    const one = (j) => {
      if (drawn.has(j) || D.mSs[j] > hi) return;
      const es = D.mEs[j] < 0 ? Infinity : D.mEs[j];
      if (es < a) return;
      drawn.add(j);
      const x1 = X(D.mSs[j], sub(D.mS[j])), y1 = Y(D.mSl[j]), y2 = Y(D.mDl[j]);
      const id = "m" + D.mMid[j], ev = D.mS[j];
      if (es <= c) {
        const x2 = X(D.mEs[j], sub(D.mE[j]));
        if (D.mEnd[j] === 2) { // dropped: stop 60% of the way and end in a cross
          const xm = x1 + (x2 - x1) * 0.6 + (x2 === x1 ? 12 : 0), ym = y1 + (y2 - y1) * 0.6;
          const hl = halo(j, x1, y1, xm, ym);
          out.push(`<line class="tp-hit" data-ev="${ev}" data-m="${j}" x1="${x1}" y1="${y1}" x2="${xm}" y2="${ym}"/>`);
          out.push(`<line class="tp-arrow tp-dropped${hl}" data-ev="${ev}" x1="${x1}" y1="${y1}" x2="${xm}" y2="${ym}" stroke="${C.drop}"/>`);
          out.push(`<text class="tp-x${hl}" data-ev="${ev}" data-m="${j}" x="${xm}" y="${ym}" text-anchor="middle" dominant-baseline="central" style="fill:${C.drop};font-size:18px;font-weight:700">✕</text>`);
        } else {
          const bad = D.mEnd[j] === 1 ? breaking.get(D.mMid[j]) : undefined;
          const color = bad ? C.violation : D.mDup[j] ? C.duplicate : C.deliver;
          const hl = halo(j, x1, y1, x2, y2);
          out.push(`<line class="tp-hit" data-ev="${ev}" data-m="${j}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`);
          out.push(`<line class="tp-arrow${bad ? " tp-breaking" : ""}${hl}" data-ev="${ev}"${bad ? ` data-mid="m${D.mMid[j]}"` : ""} x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" marker-end="url(#${bad ? "tp-ah-bad" : "tp-ah"})"${D.mDup[j] ? ' stroke-dasharray="1 3" stroke-linecap="round"' : ""}>${bad ? `<title>${esc(fmt(L.violation_msg, { label: bad.label }))}</title>` : ""}</line>`);
          if (D.mDup[j]) out.push(`<text x="${(x1 + x2) / 2 + 3}" y="${(y1 + y2) / 2 - 4}" style="fill:${C.duplicate};font-size:12px;font-weight:600">2×</text>`);
        }
      } else { // in flight at the cursor: dashed, ending at the cursor column on the destination lane
        const x2 = X(c, 0.48), pend = P.manual && c === last && pendingIds.has(id);
        const cls = "tp-arrow tp-inflight" + (pend ? " tp-pending-arrow" : "") + halo(j, x1, y1, x2, y2);
        out.push(`<line class="tp-hit" data-ev="${ev}" data-m="${j}"${pend ? ` data-pid="${id}"` : ""} x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`);
        out.push(`<line class="${cls}" data-ev="${ev}"${pend ? ` data-pid="${id}"` : ""} x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${C.inflight}" marker-end="url(#tp-ah-open)"/>`);
        // one label per destination lane ("m12 +6" when several converge), or they overprint each other
        const lab = inflightLabels.get(D.mDl[j]);
        if (lab) lab.ids.push(id); else inflightLabels.set(D.mDl[j], { x: x2, y: y2, ids: [id] });
      }
    };
    for (let j = lo; j < D.mSs.length && D.mSs[j] <= hi; j++) one(j);
    for (const j of D.longMsgs) one(j);
    if (halos.length) out.splice(haloAt, 0, ...halos);
    for (const { x, y, ids } of inflightLabels.values()) {
      const text = ids.length > 1 ? ids[0] + " +" + (ids.length - 1) : ids[0];
      out.push(`<text x="${x - 4}" y="${y - 8}" text-anchor="end" style="fill:${C.inflight};font-size:12px;font-weight:600"><title>${esc(L.in_flight + ": " + ids.join(", "))}</title>${esc(text)}</text>`);
    }
    // markers for non-message events of the visible past
    const e0 = D.sFirst[a], e1 = hi + 1 < D.nSteps ? D.sFirst[hi + 1] : D.nEvents, K = D.kindCode;
    const clockLabels = [], nth = new Int32Array(D.nLanes), nthMark = new Set(); let nthStep = -1;
    for (let i = e0; i < e1; i++) {
      const k = D.eKind[i], lane = D.eLane[i], s = D.eStep[i], cur = s === c ? " tp-cur" : "";
      const x = X(s, sub(i)), y = lane >= 0 && k !== K.violation ? Y(lane) : TOP / 2;
      const focused = H && lane >= 0 && H.steps.has(s) && H.lanes.has(lane) && k !== K.violation;
      const attrs = `class="tp-mark${k === K.violation ? " tp-viol-mark" : ""}${cur}${focused ? " tp-hl-target" : ""}" data-ev="${i}"`;
      if (focused && !nthMark.has(lane + ":" + s)) { // one ring per lane and step, round all its marks
        nthMark.add(lane + ":" + s);
        out.push(`<rect class="tp-hl tp-hl-mark" data-lane="${lane}" data-step="${s}" x="${X(s, -0.45)}" y="${y - 11}" width="${PX_STEP * 0.9}" height="22" rx="11"/>`);
      }
      const m = markSvg(k, K, C, x, y, attrs, cur);
      if (P.showClocks && lane >= 0 && D.eLam[i] >= 0) {
        // The k-th clocked event of a lane in a step: sides alternate (starting on the other side in the
        // next step, so neighbouring columns do not overprint), and stack outwards a line per pair.
        if (s !== nthStep) { nth.fill(0); nthStep = s; }
        const kth = nth[lane]++, up = (kth + s) % 2 === 0, level = kth >> 1;
        const ly = up ? y - 9 - VC_LINE * level : y + 17 + VC_LINE * level;
        clockLabels.push(`<text class="tp-vc" data-vc="${i}" x="${x}" y="${ly}" text-anchor="middle">${vcString(D, i)}</text>`);
      }
      if (m) out.push(m);
      else if (k === K.partition || k === K.heal) out.push(`<rect ${attrs} x="${x - 1}" y="0" width="2" height="${lanesBottom}" fill="${C.violation}" opacity="0.4"/>`);
      else if (k === K.end) out.push(`<rect ${attrs} x="${x - 1.5}" y="0" width="3" height="${lanesBottom}" fill="${C.lane}"/>`);
    }
    out.push(...clockLabels); // over the marks and arrows
    // x axis: the step index, a tick every 5 steps (subtle), "step →" in the gutter
    const axis = [`<text class="tp-axis" x="6" y="${height - 6}">${esc(L.axis)}</text>`];
    for (let s = Math.ceil(a / 5) * 5; s <= b; s += 5) {
      axis.push(`<line class="tp-tick" x1="${X(s)}" x2="${X(s)}" y1="${lanesBottom}" y2="${lanesBottom + 4}"/><text class="tp-axis" x="${X(s)}" y="${height - 6}" text-anchor="middle">${s}</text>`);
    }
    const defs = `<defs>${arrowDefs(C, "tp-ah", "tp-ah-open", "tp-ah-bad")}` +
      `<clipPath id="tp-clip"><rect x="${G - 4}" y="0" width="${width}" height="${height}"/></clipPath></defs>`;
    const downNow = downAt(c);
    const names = D.meta.lanes.map((ln, l) => laneHead(ln, l, Y(l), downNow.has(l), involved.get(l), liveAt(D, l, c))).join("");
    svg.innerHTML = defs + names + axis.join("") + `<g clip-path="url(#tp-clip)">` + out.join("") + "</g>";
    svg.classList.toggle("tp-hl-on", !!H);
    if (H) svg.dataset.focus = String(capSteps[F.i]); else delete svg.dataset.focus;
  }

  // The tooltip of a marked operation: its role, its request and reply (or "no reply yet"), the text.
  function anomalyTip(inv, ret, role, done) {
    const lines = [role === "culprit" ? (L.anomaly_culprit || "culprit") : (L.anomaly_core || "core"), eventText(D, inv)];
    lines.push(done ? eventText(D, ret) : (L.anomaly_open || "…"));
    if (P.marks && P.marks.text) lines.push(P.marks.text);
    return lines.join("\n");
  }
  // Marks from Python (data.marks): keep the valid ops (event indices of this run), show/hide the text.
  P.setMarks = (m) => {
    const ops = [];
    if (m && Array.isArray(m.ops)) {
      for (const op of m.ops) {
        if (!Array.isArray(op)) continue;
        const inv = op[0], ret = op[1];
        if (!Number.isInteger(inv) || inv < 0 || inv >= D.nEvents) continue;
        ops.push([inv, Number.isInteger(ret) && ret > inv && ret < D.nEvents ? ret : null, op[2] === "culprit" ? "culprit" : "core"]);
      }
    }
    P.marks = ops.length ? { ops, text: m.text ? String(m.text) : "" } : null;
    const box = $(".tp-anomaly-text"), lg = $(".tp-lg-anomaly");
    if (box) {
      box.hidden = !(P.marks && P.marks.text);
      box.innerHTML = box.hidden ? "" : `<span class="tp-anomaly-swatch" aria-hidden="true"></span><b>${esc(L.anomaly_heading || "")}:</b> ${esc(P.marks.text)}`;
    }
    if (lg) lg.hidden = !P.marks;
  };

  function drawOverview() { // once per trace: message density, violations, partitions, crashes
    const cv = $(".tp-overview-canvas"), w = Math.max(200, cv.clientWidth || 700), h = 28;
    cv.width = w; cv.height = h;
    const g = cv.getContext("2d"); if (!g) return;
    const bins = new Float32Array(w), scale = w / Math.max(1, D.nSteps);
    for (let j = 0; j < D.mSs.length; j++) bins[Math.min(w - 1, Math.floor(D.mSs[j] * scale))] += 1;
    let mx = 1; for (const v of bins) mx = Math.max(mx, v);
    g.fillStyle = C.partition;
    for (const [from, to] of D.bands) g.fillRect(from * scale, 0, Math.max(2, ((to < 0 ? D.nSteps : to) - from) * scale), h);
    g.fillStyle = C.send;
    for (let x = 0; x < w; x++) if (bins[x]) { const bh = Math.max(1, (bins[x] / mx) * (h - 4)); g.fillRect(x, h - bh, 1, bh); }
    g.fillStyle = C.violation;
    for (const [s, , ok] of D.meta.invariants) if (!ok) g.fillRect(s * scale, 0, 2, h);
    for (const [, from] of D.down) g.fillRect(from * scale, 0, 1, h / 2);
    $(".tp-overview-cursor").style.background = C.cursor;
  }

  function drawPanels() {
    const c = P.cursor;
    // invariant badges; a violated one names the step where it broke (click: jump there)
    const status = new Map(D.meta.invariant_names.map((n) => [n, ""]));
    for (const [s, name, ok, text] of D.meta.invariants) { if (s > c) break; status.set(name, ok ? "" : text); }
    const episode = new Map(activeViolations(D, c).map((v) => [v.name, v]));
    const badges = [];
    if (!status.size) badges.push(`<span class="tp-badge-text">${esc(L.no_invariants)}</span>`);
    const labels = D.meta.invariant_labels || {};
    for (const [name, text] of status) {
      const [label, about] = labels[name] || [name, name];
      const v = episode.get(name);
      if (text && v) {
        const jump = fmt(L.violation_jump, { step: v.start });
        badges.push(`<div class="tp-violation" data-step="${v.start}"><button type="button" class="tp-badge bad tp-jump" data-step="${v.start}" title="${esc(L.violated + " · " + about + "\n" + jump)}" aria-label="${esc(jump)}">✗ ${esc(label)}</button>` +
          `<span class="tp-badge-text tp-violation-text">${esc(fmt(L.violation_at, { label, step: v.start, text: v.text }))}</span></div>`);
      } else {
        badges.push(text
          ? `<div><span class="tp-badge bad" title="${esc(L.violated + " · " + about)}">✗ ${esc(label)}</span><span class="tp-badge-text">${esc(text)}</span></div>`
          : `<span class="tp-badge ok" title="${esc(L.holds + " · " + about)}">✓ ${esc(label)}</span>`);
      }
    }
    $(".tp-badges").innerHTML = badges.join("");
    // events of this step (capped: a boot step may have many)
    const f = D.sFirst[c], t = c + 1 < D.nSteps ? D.sFirst[c + 1] : D.nEvents, items = [];
    items.push(`<li><b>${esc(L.cause_label)}:</b> ${esc(L.cause_names[D.sCause[c]] || "")}</li>`);
    for (let i = f; i < Math.min(t, f + 40); i++) {
      const clock = P.showClocks && D.eLam[i] >= 0 ? ` <span class="tp-ev-clock">· L=${D.eLam[i]} · V=${vcString(D, i)}</span>` : "";
      items.push(`<li data-ev="${i}">${esc(eventText(D, i))}${clock}</li>`);
    }
    if (t === f) items.push(`<li>${esc(L.no_events)}</li>`);
    $(".tp-events").innerHTML = items.join("");
    // state: one table per role (nodes as rows, that role's fields in declared order, armed_timers last);
    // cells changed at this step highlighted; a down node's row marked, its volatile cells shown as lost
    const st = statesAt(D, c), changed = new Set();
    for (let r = lowerBound(D.dStep, c, 0, D.dStep.length); r < D.dStep.length && D.dStep[r] === c; r++) changed.add(D.dLane[r] + ":" + D.dField[r]);
    const down = downAt(c), tables = [];
    const head = (k) => esc(D.meta.fields[k]).replace(/_/g, "_<wbr>");
    for (const role of roles) {
      const rows = [`<tr><th class="tp-node-col">${esc(L.node)}</th>${role.fields.map((k) =>
        `<th${k === timersCode ? ` class="tp-timers-col" title="${esc(L.timers_hint)}"` : ""}>${head(k)}</th>`).join("")}</tr>`];
      for (const l of role.lanes) {
        const isDown = down.has(l);
        const cells = role.fields.map((k) => {
          const v = st[l].get(k), ch = changed.has(l + ":" + k) ? " tp-changed" : "";
          if (isDown && role.lost.has(k)) return `<td class="tp-lost${ch}" title="${esc(L.lost_hint)}">${esc(L.lost)}</td>`;
          const x = v === undefined ? null : parseVal(v);
          if (k === timersCode) {
            const parts = timersText(x, L.none);
            const html = Array.isArray(parts) ? parts.map((p) => `<span class="tp-timer">${esc(p)}</span>`).join(" ") : esc(parts);
            return `<td class="tp-timers${ch}${Array.isArray(parts) ? "" : " tp-none"}" title="${esc(Array.isArray(parts) ? parts.join(", ") : L.timers_hint)}">${html}</td>`;
          }
          const full = valText(x, L.none), shown = full.length > CELL_MAX ? full.slice(0, CELL_MAX - 1) + "…" : full;
          const title = (ch ? L.changed + ": " : "") + full;
          return `<td class="${ch.trim()}${x === null ? " tp-none" : ""}" title="${esc(title)}">${esc(shown)}</td>`;
        });
        const live = isDown ? null : liveAt(D, l, c), r = live && D.live.roles[live[0]];
        const name = esc(D.meta.lanes[l][0]) + (isDown ? ` <span class="tp-down-tag">✕ ${esc(L.down)}</span>` : "") +
          (r ? ` <span class="tp-live-tag${r[0] === "leader" ? " tp-live-leader" : ""}" style="border-color:${r[2]}">${r[0] === "leader" ? "★ " : ""}${esc(liveText(D, live[0], live[1]))}</span>` : "");
        rows.push(`<tr${isDown ? ' class="tp-is-down"' : ""}><th class="tp-node-col" scope="row">${name}</th>${cells.join("")}</tr>`);
      }
      const cap = role.name ? `<caption>${esc(role.name)}${role.lanes.length > 1 ? ` <span class="tp-count">× ${role.lanes.length}</span>` : ""}</caption>` : "";
      tables.push(`<table data-role="${esc(role.id)}">${cap}${rows.join("")}</table>`);
    }
    $(".tp-state").innerHTML = `<div class="tp-state-table">${tables.join("")}</div>`;
    // manual mode: the pending list at the last step
    const pend = $(".tp-pending");
    if (!P.manual) { pend.innerHTML = ""; return; }
    if (c !== last) { pend.innerHTML = `<div class="tp-h">${esc(L.pending)}</div><div>${esc(L.pending_hint)}</div>`; return; }
    const li = D.meta.pending.map(([id, kind, src, dst, type, due]) => {
      const what = kind === "timer" ? `${L.kind[D.kindCode.timer]} ${type} @ ${laneName(D, src)}` : `${type}: ${laneName(D, src)} → ${laneName(D, dst)}`;
      return `<li><button type="button" class="tp-pending-item" data-id="${esc(id)}" title="${esc(L.choose_hint)}">${esc(id)} · ${esc(what)} · t=${esc(due)}</button></li>`;
    });
    pend.innerHTML = `<div class="tp-h">${esc(L.pending)}</div>` + (li.length ? `<ul class="tp-pending-list">${li.join("")}</ul>` : `<div>${esc(L.no_pending)}</div>`);
  }

  function drawCaption(c) {
    if (!caps.length) return;
    const idx = upperBound(capSteps, c) - 1; // latest captioned step <= c
    if (idx < 0) {
      capBox.textContent = fmt(L.caption_none, { step: capSteps[0] });
      capBox.className = "tp-caption tp-caption-empty";
      capCount.textContent = fmt(L.caption_before, { n: caps.length });
    } else {
      capBox.textContent = caps[idx][1];
      capBox.className = "tp-caption" + (capSteps[idx] === c ? " tp-caption-now" : "");
      capBox.dataset.step = String(capSteps[idx]);
      capCount.textContent = fmt(L.caption_of, { k: idx + 1, n: caps.length });
    }
    capPrev.disabled = lowerBound(capSteps, c, 0, capSteps.length) === 0;
    capNext.disabled = upperBound(capSteps, c) >= capSteps.length;
  }

  function render() {
    const c = P.cursor;
    drawCaption(c);
    label.textContent = fmt(L.step_label, { k: c, n: last }) + " · " + fmt(L.step_label_time, { time: D.sTime[c] });
    slider.value = String(c);
    btn.first.disabled = btn.back.disabled = c === 0;
    btn.forward.disabled = btn.last.disabled = c === last;
    root.dataset.cursor = String(c);
    const ovw = P.ovWidth;
    $(".tp-overview-cursor").style.left = (last ? (c / last) * Math.max(0, ovw - 2) : 0) + "px";
    draw();
    drawPanels();
  }

  // ------------------------------------------------------------ cursor moves
  function report(now) {
    clearTimeout(P.reportTimer); P.reportTimer = null;
    const send = () => {
      P.reportTimer = null;
      if (P.playing || P.cursor === P.lastReported) return;
      P.lastReported = P.cursor;
      P.api.setStateValue("cursor", P.cursor);
    };
    if (now) send(); else P.reportTimer = setTimeout(send, REPORT_MS);
  }
  function go(k, fromUser) {
    k = Math.max(0, Math.min(last, k | 0));
    if (k === P.cursor) return;
    P.cursor = k;
    render();
    if (fromUser) report(false);
  }
  // guided tour: from caption to caption on a timer (TOUR_MS at the normal speed); any navigation stops it
  function setTourLabel() {
    capTour.textContent = P.touring ? L.tour_stop_text : L.tour_text;
    capTour.setAttribute("aria-pressed", P.touring ? "true" : "false");
  }
  function stopTour() {
    if (!P.touring) return;
    P.touring = false; clearTimeout(P.tourTimer); P.tourTimer = null; setTourLabel();
  }
  function tourTick() {
    if (!P.touring) return;
    const i = upperBound(capSteps, P.cursor);
    if (i >= capSteps.length) { stopTour(); return; }
    go(capSteps[i], true);
    P.tourTimer = setTimeout(tourTick, TOUR_MS * 4 / Number(speed.value || 4));
  }
  function tour() {
    if (P.touring) { stopTour(); return; }
    stop();
    if (upperBound(capSteps, P.cursor) >= capSteps.length) go(0, true); // at the end: start the story again
    P.touring = true; setTourLabel();
    tourTick();
  }
  function stop() {
    stopTour();
    if (!P.playing) return;
    P.playing = false; clearTimeout(P.timer); P.timer = null; setPlayLabel(); report(true);
  }
  function tick() {
    if (!P.playing) return;
    if (P.cursor >= last) { stop(); return; }
    go(P.cursor + 1, false);
    P.timer = setTimeout(tick, 1000 / Number(speed.value || 4));
  }
  function play() {
    stopTour();
    if (P.playing) { stop(); return; }
    if (P.cursor >= last) go(0, false);
    P.playing = true; setPlayLabel(); clearTimeout(P.reportTimer);
    P.timer = setTimeout(tick, 1000 / Number(speed.value || 4));
  }
  P.applySeek = (seek, manual) => {
    P.manual = !!manual;
    if (seek && seek.to !== undefined && seek.to !== null && seek.gen !== P.seekGen) {
      P.seekGen = seek.gen;
      stop();
      const k = Math.max(0, Math.min(last, seek.to | 0));
      P.lastReported = k; // the server asked for it, so it knows it
      P.cursor = -1; go(k, false);
    } else render();
  };

  // ---------------------------------------------------------------- events
  const on = (el, type, fn, opts) => { el.addEventListener(type, fn, opts); P.off.push(() => el.removeEventListener(type, fn, opts)); };
  P.off = [];
  on(btn.first, "click", () => { stop(); go(0, true); });
  on(btn.back, "click", () => { stop(); go(P.cursor - 1, true); });
  on(btn.forward, "click", () => { stop(); go(P.cursor + 1, true); });
  on(btn.last, "click", () => { stop(); go(last, true); });
  on(btn.play, "click", () => play());
  on(capPrev, "click", () => { const i = lowerBound(capSteps, P.cursor, 0, capSteps.length) - 1; if (i >= 0) { stop(); go(capSteps[i], true); } });
  on(capTour, "click", () => tour());
  on(capNext, "click", () => { const i = upperBound(capSteps, P.cursor); if (i < capSteps.length) { stop(); go(capSteps[i], true); } });
  on(slider, "input", () => { stop(); go(Number(slider.value), true); });
  if (clocksBox) on(clocksBox, "change", () => { P.showClocks = root.__tpClocks = clocksBox.checked; render(); });
  on(root, "keydown", (e) => {
    if (e.target && (e.target.tagName === "SELECT" || e.target.tagName === "INPUT" && e.key === " ")) return;
    const map = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    if (e.key in map) { e.preventDefault(); stop(); go(P.cursor + map[e.key], true); }
    else if (e.key === "Home") { e.preventDefault(); stop(); go(0, true); }
    else if (e.key === "End") { e.preventDefault(); stop(); go(last, true); }
    else if (e.key === " " || e.key === "Spacebar") { e.preventDefault(); play(); }
  });
  on(svg, "click", (e) => {
    const el = e.target.closest ? e.target.closest("[data-ev]") : null;
    if (!el) return;
    const pid = el.getAttribute("data-pid");
    if (pid) { stop(); report(true); P.api.setTriggerValue("choose", pid); return; }
    const i = Number(el.getAttribute("data-ev"));
    if (D.eKind[i] === D.kindCode.violation) { stop(); go(D.eStep[i], true); return; }
    if (el.hasAttribute("data-m")) { stop(); report(true); P.api.setTriggerValue("select", Number(el.getAttribute("data-ev"))); }
  });
  on(root, "click", (e) => {
    const item = e.target.closest ? e.target.closest(".tp-pending-item") : null;
    // Flush the debounced cursor report first: fired after the choice, it would move the
    // cursor of the new run back to where the learner stood in the old one.
    if (item) { stop(); report(true); P.api.setTriggerValue("choose", item.getAttribute("data-id")); return; }
    const jump = e.target.closest ? e.target.closest(".tp-jump") : null;
    if (jump) { stop(); go(Number(jump.getAttribute("data-step")), true); }
  });
  on(svg, "mousemove", (e) => {
    const el = e.target.closest ? e.target.closest("[data-ev]") : null;
    const span = !el && e.target.closest ? e.target.closest(".tp-anomaly") : null;
    if (!el && !span) { tip.hidden = true; return; }
    tip.textContent = span ? span.getAttribute("aria-label")
      : tooltipText(D, Number(el.getAttribute("data-ev")), el.hasAttribute("data-m") ? Number(el.getAttribute("data-m")) : -1);
    const rb = root.getBoundingClientRect();
    tip.style.left = Math.min(rb.width - 240, e.clientX - rb.left + 12) + "px";
    tip.style.top = (e.clientY - rb.top + 14) + "px";
    tip.hidden = false;
  });
  on(svg, "mouseleave", () => { tip.hidden = true; });
  on($(".tp-overview"), "click", (e) => {
    const r = e.currentTarget.getBoundingClientRect(), px = e.clientX - r.left, w = Math.max(1, r.width);
    // a click on (or within 4 px of) a violation mark lands on the step where it broke
    const near = D.viol.find((v) => Math.abs((v.start / Math.max(1, D.nSteps)) * w - px) <= 4);
    stop(); go(near ? near.start : Math.round((px / w) * last), true);
  });
  let ro = null;
  if (typeof ResizeObserver !== "undefined") {
    let w0 = 0;
    ro = new ResizeObserver(() => { const w = root.clientWidth; if (w !== w0) { w0 = w; measure(); drawOverview(); render(); } });
    ro.observe(root);
  }
  P.cleanup = () => {
    clearTimeout(P.timer); clearTimeout(P.reportTimer);
    if (ro) ro.disconnect();
    for (const f of P.off) f();
    P.off = [];
  };
  // test/bench hook: vector clock of event i as computed here
  P.vcOf = (i) => vcString(D, i);
  function measure() {
    P.width = Math.max(300, svg.clientWidth || root.clientWidth || 700);
    P.ovWidth = $(".tp-overview").clientWidth || 0;
  }
  measure();
  setPlayLabel();
  drawOverview();
  return P;
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".tp-root");
  if (!root || !data || !data.meta) return undefined;
  const api = { setStateValue, setTriggerValue };
  let P = root.__tp;
  if (P && P.fp === data.meta.fp) { // same run: only the seek / manual flag / marks may have changed
    P.api = api;
    P.setMarks(data.marks);
    P.applySeek(data.seek, data.manual);
    return P.cleanup;
  }
  if (P) P.cleanup();
  P = initPlayer(root, decode(data), api);
  root.__tp = P;
  P.setMarks(data.marks);
  P.applySeek(data.seek, data.manual);
  if (!data.seek || data.seek.to === undefined || data.seek.to === null) { P.cursor = -1; P.applySeek({ to: 0, gen: "init" }, data.manual); }
  return P.cleanup;
}
