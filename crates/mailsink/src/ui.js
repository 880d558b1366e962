"use strict";
// Everything from a message is inserted with textContent / attributes, never innerHTML:
// mail is untrusted input. The HTML body only ever renders in a sandboxed iframe.
const PAGE = 50;
const $ = (id) => document.getElementById(id);
let shown = [];
let selected = null;
let limit = PAGE;
let tab = "html";
let loadedTabs = {};
let selectedRead = true;
const THUMBS = /^image\/(png|jpe?g|gif)$/i;

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}
function addr(a) { return a ? (a.Name ? `${a.Name} <${a.Address}>` : a.Address) : ""; }
function addrs(list) { return (list || []).map(addr).join(", "); }
function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}
function fmtSize(n) {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}
async function api(path, opts) {
  const r = await fetch(path, opts);
  if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
  return r;
}

async function loadList() {
  const q = $("q").value.trim();
  const path = q
    ? `/api/v1/search?query=${encodeURIComponent(q)}&limit=${limit}`
    : `/api/v1/messages?limit=${limit}`;
  let data;
  try {
    data = await (await api(path)).json();
  } catch (e) {
    $("status").textContent = `Error: ${e.message}`;
    return;
  }
  shown = data.messages;
  showTagbar(data.tags || [], q);
  const list = $("list");
  list.replaceChildren();
  if (!shown.length) list.append(el("li", { className: "empty", textContent: q ? "No message matches." : "No messages yet." }));
  for (const m of shown) {
    const li = el("li", { className: (m.Read ? "" : "unread ") + (m.ID === selected ? "selected" : "") },
      el("div", { className: "row1" },
        el("span", { className: "from", textContent: addr(m.From) || "(no sender)" }),
        el("span", { className: "time", textContent: when(m.Created) })),
      el("div", { className: "subject", textContent: m.Subject || "(no subject)" }),
      tagChips(m.Tags),
      el("div", { className: "snippet", textContent: (m.Attachments ? "📎 " : "") + m.Snippet }));
    if ((m.Codes || []).length) li.append(el("div", { className: "row-codes", textContent: `Code: ${m.Codes[0]}` }));
    li.dataset.id = m.ID;
    li.tabIndex = 0;
    li.addEventListener("click", () => openMessage(m.ID));
    li.addEventListener("keydown", (ev) => { if (ev.key === "Enter") openMessage(m.ID); });
    list.append(li);
  }
  if (data.messages_count > shown.length) {
    const more = el("button", { id: "more", type: "button", textContent: `Show more (${data.messages_count - shown.length} left)` });
    more.addEventListener("click", () => { limit += PAGE; loadList(); });
    list.append(el("li", { className: "empty" }, more));
  }
  $("status").textContent = q
    ? `${data.messages_count} of ${data.total} match`
    : `${data.total} message${data.total === 1 ? "" : "s"}, ${data.unread} unread`;
}

// Copies `text`; the clipboard API needs a secure context (localhost is one), so a
// selected hidden field is the fallback elsewhere.
async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const t = el("textarea", { value: text });
    document.body.append(t);
    t.select();
    document.execCommand("copy");
    t.remove();
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1200);
}
function showCodes(codes) {
  const box = $("codes");
  box.replaceChildren();
  if (!codes.length) return;
  box.append(el("span", { className: "label", textContent: "Codes" }));
  for (const c of codes) {
    const b = el("button", { type: "button", className: "copy", textContent: "Copy", title: `Copy ${c}` });
    b.addEventListener("click", () => copy(c, b));
    box.append(el("span", { className: "code" }, el("code", { textContent: c }), b));
  }
}

// Tags: chips on rows and in the message, a bar of every tag (a click searches it), and
// the message's own tags edited as a comma-separated list.
function tagChips(tags) {
  return el("div", { className: "tags" }, ...(tags || []).map((t) => el("span", { className: "tag", textContent: t })));
}
function showTagbar(tags, q) {
  const bar = $("tagbar");
  bar.replaceChildren();
  bar.hidden = !tags.length || document.querySelector("main").hidden;
  for (const t of tags) {
    const term = /\s/.test(t) ? `tag:"${t}"` : `tag:${t}`;
    const b = el("button", { type: "button", className: "tag", textContent: t, title: `Search ${term}` });
    b.setAttribute("aria-pressed", String(q === term));
    b.addEventListener("click", () => { $("q").value = q === term ? "" : term; limit = PAGE; loadList(); });
    bar.append(b);
  }
}
function showTags(tags) {
  $("m-tags").replaceChildren(tagChips(tags));
  $("tag-input").value = tags.join(", ");
}
function showRead(read) {
  selectedRead = read;
  $("toggle-read").textContent = read ? "Mark unread" : "Mark read";
}
async function setRead(body) {
  await api("/api/v1/messages", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  loadList();
}

function field(dl, name, value) {
  if (!value) return;
  dl.append(el("dt", { textContent: name }), el("dd", { textContent: value }));
}

async function openMessage(id) {
  let m;
  try {
    m = await (await api(`/api/v1/message/${encodeURIComponent(id)}`)).json();
  } catch (e) {
    $("status").textContent = `Error: ${e.message}`;
    return;
  }
  selected = m.ID;
  history.replaceState(null, "", `#${m.ID}`);
  for (const li of $("list").children) li.classList.toggle("selected", li.dataset.id === m.ID);
  const li = [...$("list").children].find((x) => x.dataset.id === m.ID);
  if (li) li.classList.remove("unread");
  $("placeholder").hidden = true;
  $("detail").classList.add("open");
  $("m-subject").textContent = m.Subject || "(no subject)";
  const dl = $("m-fields");
  dl.replaceChildren();
  field(dl, "From", addr(m.From));
  field(dl, "To", addrs(m.To));
  field(dl, "Cc", addrs(m.Cc));
  field(dl, "Bcc", addrs(m.Bcc));
  field(dl, "Reply-To", addrs(m.ReplyTo));
  field(dl, "Date", when(m.Date));
  field(dl, "Envelope", `MAIL FROM:<${m.Envelope.From}> RCPT TO:${m.Envelope.To.map((t) => `<${t}>`).join(" ")}`);
  field(dl, "Size", fmtSize(m.Size));
  showCodes(m.Codes || []);
  showTags(m.Tags || []);
  showRead(true);
  $("download").href = `/api/v1/message/${m.ID}/raw`;
  $("download").download = `${m.ID}.eml`;
  $("text").textContent = m.Text || "(no text part)";
  $("html-frame").src = `/view/${m.ID}.html`;
  const atts = $("attachments");
  atts.replaceChildren();
  for (const a of [...m.Attachments, ...m.Inline]) {
    const part = `/api/v1/message/${m.ID}/part/${encodeURIComponent(a.PartID)}`;
    const link = el("a", { href: part, textContent: a.FileName || `part ${a.PartID}`, target: "_blank", rel: "noopener" });
    // A thumbnail for the images the sink can decode (180×120 JPEG, made on request).
    const thumb = THUMBS.test(a.ContentType)
      ? el("img", { className: "thumb", src: `${part}/thumb`, alt: `Thumbnail of ${a.FileName || "the image"}`, width: 180, height: 120, loading: "lazy" })
      : "";
    atts.append(el("li", {}, thumb, link, ` — ${a.ContentType}, ${fmtSize(a.Size)}${a.ContentID ? " (inline)" : ""}`));
  }
  if (!atts.children.length) atts.append(el("li", { textContent: "No attachments." }));
  const links = $("links");
  links.replaceChildren();
  for (const url of m.Links) {
    const safe = /^https?:/i.test(url);
    links.append(el("li", {}, safe ? el("a", { href: url, textContent: url, target: "_blank", rel: "noopener noreferrer" }) : url));
  }
  if (!links.children.length) links.append(el("li", { textContent: "No links." }));
  document.querySelector('[data-tab="attachments"]').textContent = `Attachments (${m.Attachments.length + m.Inline.length})`;
  document.querySelector('[data-tab="links"]').textContent = `Links (${m.Links.length})`;
  loadedTabs = {};
  showRelease(false);
  $("release-status").textContent = "";
  $("link-results").tBodies[0].replaceChildren();
  $("links-total").textContent = "";
  showTab(tab);
}

async function showTab(name) {
  tab = name;
  for (const b of document.querySelectorAll("[role=tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== `panel-${name}`;
  if (!selected || loadedTabs[name]) return;
  loadedTabs[name] = true;
  try {
    if (name === "session") {
      const r = await fetch(`/api/v1/message/${selected}/session`);
      if (r.ok) {
        const s = await r.json();
        $("session-outcome").textContent = `Session ${s.ID} from ${s.Peer} (HELO ${s.Helo || "–"}): ${s.Outcome}`;
        $("session-transcript").textContent = transcriptText(s);
      } else {
        $("session-outcome").textContent = await r.text();
        $("session-transcript").textContent = "";
      }
    } else if (name === "checks") {
      await showHtmlCheck();
    } else if (name === "raw") {
      $("raw").textContent = await (await api(`/api/v1/message/${selected}/raw`)).text();
    } else if (name === "headers") {
      const h = await (await api(`/api/v1/message/${selected}/headers`)).json();
      const t = $("headers");
      t.replaceChildren();
      for (const [k, vs] of Object.entries(h)) for (const v of vs) t.append(el("tr", {}, el("th", { textContent: k }), el("td", { textContent: v })));
    }
  } catch (e) {
    loadedTabs[name] = false;
    $("status").textContent = `Error: ${e.message}`;
  }
}

// Checks: Mailpit's HTML check (support of the features found, in common clients) and
// link check (each link's status, on request: it makes the sink fetch every link).
const pct = (n) => `${Math.round(n)}%`;
async function showHtmlCheck() {
  const rows = $("html-warnings").tBodies[0];
  rows.replaceChildren();
  const r = await fetch(`/api/v1/message/${encodeURIComponent(selected)}/html-check`);
  if (!r.ok) {
    $("html-total").textContent = await r.text();
    return;
  }
  const c = await r.json();
  $("html-total").textContent = `${c.Warnings.length} features found in ${c.Total.Nodes} elements: ${pct(c.Total.Supported)} supported, ${pct(c.Total.Partial)} partially, ${pct(c.Total.Unsupported)} not.`;
  for (const w of c.Warnings) {
    const title = w.URL ? el("a", { href: w.URL, textContent: w.Title, target: "_blank", rel: "noopener noreferrer" }) : w.Title;
    rows.append(el("tr", {}, el("td", {}, title), el("td", { textContent: String(w.Score.Found) }),
      el("td", { textContent: pct(w.Score.Supported) }), el("td", { textContent: pct(w.Score.Partial) }),
      el("td", { textContent: pct(w.Score.Unsupported), className: w.Score.Unsupported > 0 ? "bad" : "" })));
  }
}
$("check-links").addEventListener("click", async () => {
  if (!selected) return;
  const rows = $("link-results").tBodies[0];
  rows.replaceChildren();
  $("links-total").textContent = "Checking…";
  const r = await fetch(`/api/v1/message/${encodeURIComponent(selected)}/link-check?follow=${$("follow").checked}`);
  if (!r.ok) {
    $("links-total").textContent = await r.text();
    return;
  }
  const c = await r.json();
  $("links-total").textContent = c.Links.length ? `${c.Links.length} links, ${c.Errors} with errors.` : "No links.";
  for (const l of c.Links) {
    const bad = l.StatusCode === 0 || l.StatusCode >= 400;
    rows.append(el("tr", {}, el("td", { textContent: l.StatusCode ? `${l.StatusCode} ${l.Status}` : l.Status, className: bad ? "bad" : "" }), el("td", { textContent: l.URL })));
  }
});

// Release: shown when the sink has a relay (GET /api/v1/webui); the recipients are asked
// for in a small form, and the sink's answer (or its reason for refusing) is shown.
function showRelease(open) {
  $("release").setAttribute("aria-expanded", String(open));
  $("release-form").hidden = !open;
  if (open) $("release-to").focus();
}
async function loadRelay() {
  try {
    const ui = await (await api("/api/v1/webui")).json();
    const relay = ui.MessageRelay || {};
    $("release").hidden = !relay.Enabled;
    $("release-relay").textContent = relay.Enabled
      ? `via ${relay.SMTPServer}${relay.AllowedRecipients ? `, only ${relay.AllowedRecipients}` : ""}`
      : "";
  } catch (e) {
    $("release").hidden = true;
  }
}
$("release").addEventListener("click", () => showRelease($("release-form").hidden));
$("release-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!selected) return;
  const to = $("release-to").value.split(",").map((t) => t.trim()).filter((t) => t);
  const r = await fetch(`/api/v1/message/${encodeURIComponent(selected)}/release`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ To: to }) });
  $("release-status").textContent = r.ok ? `Released to ${to.join(", ")}.` : `Not released: ${await r.text()}`;
  if (r.ok) showRelease(false);
});

function closeMessage() {
  selected = null;
  history.replaceState(null, "", location.pathname);
  $("detail").classList.remove("open");
  $("placeholder").hidden = false;
  $("html-frame").src = "about:blank";
}

for (const b of document.querySelectorAll("[role=tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
$("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); limit = PAGE; loadList(); });
$("delete-one").addEventListener("click", async () => {
  if (!selected) return;
  await api("/api/v1/messages", { method: "DELETE", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ IDs: [selected] }) });
  closeMessage();
  loadList();
});
$("tag-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!selected) return;
  const tags = $("tag-input").value.split(",").map((t) => t.trim()).filter((t) => t);
  try {
    await api("/api/v1/tags", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ IDs: [selected], Tags: tags }) });
  } catch (e) {
    $("status").textContent = `Error: ${e.message}`;
    return;
  }
  // The list has the tags as the sink cleaned them; a message the search leaves out keeps
  // what was typed.
  await loadList();
  const row = shown.find((m) => m.ID === selected);
  showTags(row ? row.Tags || [] : tags);
});
$("toggle-read").addEventListener("click", () => {
  if (!selected) return;
  showRead(!selectedRead);
  setRead({ IDs: [selected], Read: selectedRead });
});
$("read-all").addEventListener("click", () => setRead({ Read: true }));
$("delete-all").addEventListener("click", async () => {
  if (!confirm("Delete all messages?")) return;
  await api("/api/v1/messages", { method: "DELETE" });
  closeMessage();
  loadList();
});

// Live updates: events only say "something changed"; the list is re-read (debounced),
// so the current search and page stay right.
let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; loadList(); }, 150);
}
function connect() {
  const es = new EventSource("/api/v1/events");
  es.onopen = () => { $("live").classList.add("on"); refreshSoon(); };
  es.onmessage = (ev) => {
    let e = {};
    try { e = JSON.parse(ev.data); } catch (_) { /* keep going */ }
    if (e.Type === "clear" || (e.Type === "delete" && selected && (e.Data.IDs || []).includes(selected))) closeMessage();
    refreshSoon();
  };
  es.onerror = () => { $("live").classList.remove("on"); };
}

// Views: messages, and the fault rules (each re-read when shown).
const pages = { sessions: $("sessions-view"), faults: $("faults-view") };
function showView(name) {
  for (const b of document.querySelectorAll("#views button")) b.setAttribute("aria-pressed", String(b.dataset.view === name));
  document.querySelector("main").hidden = name !== "messages";
  for (const [k, page] of Object.entries(pages)) page.hidden = k !== name;
  for (const id of ["search-form", "status", "read-all", "delete-all"]) $(id).hidden = name !== "messages";
  if (name !== "messages") $("tagbar").hidden = true;
  history.replaceState(null, "", name === "messages" ? location.pathname : `?view=${name}`);
  if (name === "faults") loadFaults();
  if (name === "sessions") loadSessions();
}

// SMTP sessions: the list, and one transcript.
function transcriptText(s) {
  return s.Transcript.join("\n") || "(nothing was said)";
}
async function loadSessions() {
  let data;
  try {
    data = await (await api("/api/v1/sessions?limit=200")).json();
  } catch (e) {
    $("transcript").textContent = `Error: ${e.message}`;
    return;
  }
  const body = $("sessions").tBodies[0];
  body.replaceChildren();
  for (const s of data.sessions) {
    const tr = el("tr", { tabIndex: 0, className: "clickable" },
      ...[s.ID, when(s.Started), s.Peer, s.Helo, s.Outcome, s.Fault || "", s.MessageIDs.length].map((v) => el("td", { textContent: String(v) })));
    const show = () => {
      $("transcript-title").hidden = false;
      $("transcript-title").textContent = `Session ${s.ID} from ${s.Peer}: ${s.Outcome}`;
      $("transcript").textContent = transcriptText(s);
    };
    tr.addEventListener("click", show);
    tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") show(); });
    body.append(tr);
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colSpan: 7, className: "empty", textContent: "No sessions yet." })));
}
for (const b of document.querySelectorAll("#views button")) b.addEventListener("click", () => showView(b.dataset.view));

// Fault rules and chaos triggers.
async function loadFaults() {
  const r = await fetch("/api/v1/faults");
  $("faults-off").hidden = r.status !== 403;
  $("faults-on").hidden = r.status === 403;
  if (r.status === 403) { $("faults-off").textContent = await r.text(); return; }
  if (!r.ok) { $("fault-error").textContent = `${r.status} ${await r.text()}`; return; }
  const body = $("faults").tBodies[0];
  body.replaceChildren();
  for (const f of await r.json()) {
    const does = f.Action === "reply" ? `reply ${f.Code} ${f.Text}` : f.Action === "delay" ? `delay ${f.DelayMs} ms` : "disconnect";
    const del = el("button", { type: "button", className: "danger", textContent: "Delete" });
    del.addEventListener("click", async () => { await api(`/api/v1/faults/${encodeURIComponent(f.ID)}`, { method: "DELETE" }); loadFaults(); });
    body.append(el("tr", { className: f.Active ? "" : "inactive" },
      ...[f.ID, f.Stage, f.Query || "(all mail)", does, f.Count ?? "–", `${f.Probability}%`, f.Expires ? when(f.Expires) : "–", f.Applied, f.Status].map((v) => el("td", { textContent: String(v) })),
      el("td", {}, del)));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colSpan: 10, className: "empty", textContent: "No rules." })));
  const chaos = await (await api("/api/v1/chaos")).json();
  for (const [trigger, t] of Object.entries(chaos)) {
    $("chaos-form").elements[`${trigger}.ErrorCode`].value = t.ErrorCode;
    $("chaos-form").elements[`${trigger}.Probability`].value = t.Probability;
  }
}
function showActionFields() {
  const action = $("fault-form").elements.Action.value;
  for (const l of $("fault-form").querySelectorAll("[data-for]")) l.hidden = l.dataset.for !== action;
}
$("fault-form").elements.Action.addEventListener("change", showActionFields);
$("fault-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target.elements;
  const rule = { Query: f.Query.value.trim(), Stage: f.Stage.value, Action: f.Action.value };
  const num = (name) => (f[name].value === "" ? undefined : Number(f[name].value));
  if (rule.Action === "reply") { rule.Code = num("Code"); if (f.Text.value) rule.Text = f.Text.value; }
  if (rule.Action === "delay") rule.DelayMs = num("DelayMs");
  rule.Count = num("Count");
  rule.Probability = num("Probability");
  if (f.ExpiresIn.value.trim()) rule.ExpiresIn = f.ExpiresIn.value.trim();
  const r = await fetch("/api/v1/faults", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(rule) });
  $("fault-error").textContent = r.ok ? "" : `${r.status} ${await r.text()}`;
  loadFaults();
});
$("faults-clear").addEventListener("click", async () => { await api("/api/v1/faults", { method: "DELETE" }); loadFaults(); });
$("chaos-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {};
  for (const trigger of ["Sender", "Recipient", "Authentication"]) {
    body[trigger] = { ErrorCode: Number(ev.target.elements[`${trigger}.ErrorCode`].value), Probability: Number(ev.target.elements[`${trigger}.Probability`].value) };
  }
  const r = await fetch("/api/v1/chaos", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("chaos-error").textContent = r.ok ? "" : `${r.status} ${await r.text()}`;
  loadFaults();
});

const startView = new URLSearchParams(location.search).get("view");
if (startView in pages) showView(startView);
loadList().then(() => { if (location.hash.length > 1) openMessage(location.hash.slice(1)); });
loadRelay();
connect();
