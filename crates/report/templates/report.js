(function () {
  "use strict";
  var node = document.getElementById("tt-data");
  if (!node) { return; }
  var data;
  try { data = JSON.parse(node.textContent); } catch (e) { return; }
  var body = document.getElementById("ctx-body");
  var status = document.getElementById("ctx-status");
  var input = document.getElementById("ctx-filter");
  var rows = [];
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }
  if (body) {
    var last = -1;
    data.events.forEach(function (ev) {
      if (ev.w !== last) {
        last = ev.w;
        var w = data.windows[ev.w];
        var head = document.createElement("tr");
        head.className = "win";
        var td = cell(head, "Around the " + w.level + " alert of " + w.time + " (" + w.module + "): " + w.message);
        td.colSpan = 4;
        body.appendChild(head);
        rows.push({ tr: head, text: "", head: true, w: ev.w });
      }
      var tr = document.createElement("tr");
      if (ev.hit) { tr.className = "hit"; }
      cell(tr, ev.t, "mono");
      cell(tr, ev.m);
      cell(tr, ev.e);
      cell(tr, ev.d);
      body.appendChild(tr);
      rows.push({ tr: tr, text: (ev.t + " " + ev.m + " " + ev.e + " " + ev.d).toLowerCase(), head: false, w: ev.w });
    });
  }
  function update() {
    var q = input ? input.value.trim().toLowerCase() : "";
    var shown = 0, total = 0, windowsShown = {};
    rows.forEach(function (r) {
      if (r.head) { return; }
      total += 1;
      var ok = q === "" || r.text.indexOf(q) !== -1;
      r.tr.hidden = !ok;
      if (ok) { shown += 1; windowsShown[r.w] = true; }
    });
    rows.forEach(function (r) { if (r.head) { r.tr.hidden = !windowsShown[r.w]; } });
    if (status) {
      status.textContent = total === 0 ? "No timeline event around the detections."
        : "Showing " + shown + " of " + total + " events" + (data.truncated ? " (list cut; see timeline.csv)" : "") + ".";
    }
  }
  if (input) { input.addEventListener("input", update); }
  update();
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
}());
