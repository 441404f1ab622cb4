// hookworker console: the little JavaScript the pages use. Every page
// works without it; with it the overview refreshes itself, a replay shows
// its progress live, and the Test page previews as one types.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var page = document.body.dataset.page;

  // focusedIn reports whether the keyboard focus is inside el: a region
  // being read or used is not replaced under the reader.
  function focusedIn(el) { return el && el.contains(document.activeElement); }

  function fetchText(url, opts) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, opts)).then(function (r) {
      if (r.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search); throw new Error("logged out"); }
      return r.text().then(function (t) { if (!r.ok) { throw new Error(t || r.statusText); } return t; });
    });
  }

  // The overview: fetch the page again and swap its live regions.
  function refreshOverview() {
    fetchText(location.pathname, { headers: { Accept: "text/html" } }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      ["ov-at", "ov-cards", "ov-dead", "ov-workers", "ov-consumers"].forEach(function (id) {
        var cur = document.getElementById(id), next = doc.getElementById(id);
        if (cur && next && !focusedIn(cur) && cur.innerHTML !== next.innerHTML) { cur.innerHTML = next.innerHTML; }
      });
    }).catch(function () {}).then(function () { setTimeout(refreshOverview, 2000); });
  }

  // A replay: poll its status until it is done.
  function followReplay() {
    var root = document.getElementById("replay");
    if (!root) { return; }
    fetchText("/replays/" + root.dataset.job + "/status", { headers: { Accept: "application/json" } }).then(function (t) {
      var st = JSON.parse(t);
      ["selected", "replayed", "succeeded", "failed", "waiting"].forEach(function (k) {
        var el = root.querySelector('[data-field="' + k + '"]');
        if (el) { el.textContent = st[k]; }
      });
      var bar = document.getElementById("replay-progress");
      bar.max = st.selected; bar.value = st.progress; bar.textContent = st.progress + " of " + st.selected;
      st.rows.forEach(function (row) {
        var tr = root.querySelector('tr[data-seq="' + row.seq + '"]');
        if (!tr) { return; }
        var cells = tr.querySelectorAll("td");
        cells[3].textContent = row.state; cells[3].className = "state " + (row.result || "");
        cells[4].textContent = row.detail || "";
      });
      var state = document.getElementById("replay-state");
      if (st.done) {
        state.textContent = "Finished" + (st.error ? ": " + st.error : "") + ".";
        root.dataset.done = "true";
        return;
      }
      setTimeout(followReplay, 400);
    }).catch(function () { setTimeout(followReplay, 1500); });
  }

  // The Test page: preview 300 ms after the last keystroke; an answer to
  // an older request than the last one shown is dropped.
  function testPage() {
    var form = document.getElementById("test-form"), out = document.getElementById("preview");
    var busy = document.getElementById("t-busy"), timer = null, sent = 0, shown = 0;
    function preview() {
      var n = ++sent;
      busy.hidden = false;
      fetchText("/test/preview", {
        method: "POST",
        headers: { Accept: "text/html", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (html) {
        if (n < shown) { return; }
        shown = n; out.innerHTML = html; out.dataset.seq = String(n);
      }).catch(function (e) {
        if (n >= shown) { shown = n; out.textContent = "The preview failed: " + e.message; }
      }).then(function () { if (n === sent) { busy.hidden = true; } });
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 300); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); clearTimeout(timer); preview(); });
  }

  if (page === "overview") { setTimeout(refreshOverview, 2000); }
  if (page === "replay") { followReplay(); }
  if (page === "test") { testPage(); }
}());
