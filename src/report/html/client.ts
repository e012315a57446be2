/**
 * @module report/html/client
 * The page's own script (plain ES2017, inlined into the report; uPlot is loaded before it as the
 * global `uPlot`). It reads the JSON block `#tcpwin-data` and draws, per charted connection and
 * sending direction, four uPlot charts on one shared time axis: a drag-zoom on any chart of a
 * connection sets the others' x scale (setScale hook), the cursor moves on all of them (cursor
 * sync), double-click zooms back out. Data segments are drawn as tcptrace's vertical bars (one per
 * bucket: lowest seq to highest end), markers and exchange spans in draw hooks. Exposes
 * `window.tcpwin = { charts, groups }` for tests and the curious.
 */
export const CLIENT_JS = String.raw`(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("tcpwin-data").textContent);
  var charts = [];
  var groups = {};
  window.tcpwin = { charts: charts, groups: groups, ready: false };
  var MARK = {
    retransmission: "#d62728", fast_retransmission: "#d62728", spurious_retransmission: "#ff9896",
    zero_window: "#9467bd", window_full: "#ff7f0e", window_full_inferred: "#e8a33d",
    lost_segment: "#8c564b", out_of_order: "#e377c2", zero_window_probe: "#9467bd"
  };

  function bytes(v) {
    if (v == null) return "-";
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2) + " GB";
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e8 ? 0 : 1) + " MB";
    if (a >= 1e4) return (v / 1e3).toFixed(1) + " kB";
    return Math.round(v) + " B";
  }
  function secs(v) {
    if (v == null) return "-";
    var a = Math.abs(v);
    if (a < 1e-3) return (v * 1e6).toFixed(0) + " µs";
    if (a < 1) return (v * 1e3).toFixed(a < 0.01 ? 2 : 1) + " ms";
    return v.toFixed(a < 10 ? 3 : 1) + " s";
  }
  function axisBytes(u, vals) { return vals.map(bytes); }
  function axisSecs(u, vals) {
    var span = u.scales.x.max - u.scales.x.min;
    var d = span < 0.01 ? 5 : span < 0.1 ? 4 : span < 1 ? 3 : span < 10 ? 2 : 1;
    return vals.map(function (v) { return v.toFixed(d); });
  }

  function syncScale(group) {
    return function (u, key) {
      if (key !== "x" || group.syncing) return;
      group.syncing = true;
      var mn = u.scales.x.min, mx = u.scales.x.max;
      for (var i = 0; i < group.charts.length; i++) {
        var o = group.charts[i];
        if (o !== u && (o.scales.x.min !== mn || o.scales.x.max !== mx)) o.setScale("x", { min: mn, max: mx });
      }
      group.syncing = false;
    };
  }

  function clip(u, ctx) {
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
  }

  /** tcptrace's data segments: per bucket a vertical bar from the lowest seq to the highest end. */
  function drawSegments(d) {
    return function (u) {
      var ctx = u.ctx, xs = u.data[0], lo = d.dataLo, hi = d.dataHi;
      var xmin = u.scales.x.min, xmax = u.scales.x.max;
      ctx.save();
      clip(u, ctx);
      ctx.strokeStyle = "#1f5fa8";
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.beginPath();
      for (var i = 0; i < xs.length; i++) {
        if (lo[i] == null || xs[i] < xmin || xs[i] > xmax) continue;
        var x = Math.round(u.valToPos(xs[i], "x", true)) + 0.5;
        var y0 = u.valToPos(lo[i], "y", true), y1 = u.valToPos(hi[i], "y", true);
        if (y0 - y1 < 3 * devicePixelRatio) y1 = y0 - 3 * devicePixelRatio;
        ctx.moveTo(x, y0);
        ctx.lineTo(x, y1);
      }
      ctx.stroke();
      ctx.restore();
    };
  }

  /** Event markers: at their seq on the time-sequence chart, on the zero line elsewhere. */
  function drawMarkers(d, onSeq) {
    return function (u) {
      var ctx = u.ctx, xmin = u.scales.x.min, xmax = u.scales.x.max, dpr = devicePixelRatio, r = 3.5 * dpr;
      // More markers of a kind in view than fit side by side would bury the data: that kind is
      // drawn as a rug of ticks along the bottom instead (one lane per kind), each still there.
      var visible = {}, lanes = {}, nl = 0, i, kind;
      for (i = 0; i < d.evT.length; i++) {
        if (d.evT[i] < xmin || d.evT[i] > xmax) continue;
        kind = d.kinds[d.evK[i]];
        visible[kind] = (visible[kind] || 0) + 1;
      }
      for (kind in visible) if (visible[kind] > u.bbox.width / (8 * dpr)) lanes[kind] = nl++;
      ctx.save();
      clip(u, ctx);
      ctx.lineWidth = 1.5 * dpr;
      // Markers past the cap were not kept: then every bucket with events gets a tick from its
      // counts (which hold every event), on its own lane along the bottom.
      if (onSeq && Object.keys(d.eventsDropped).length) {
        var rugs = [[d.retrans, MARK.retransmission], [d.windowFull, MARK.window_full], [d.zeroWindow, MARK.zero_window]];
        for (var g = 0; g < rugs.length; g++) {
          var a = rugs[g][0], yr = u.bbox.top + u.bbox.height - ((nl + g) * 8 + 2) * dpr;
          ctx.strokeStyle = rugs[g][1];
          ctx.beginPath();
          for (var j = 0; j < a.length; j += 2) {
            if (a[j] < xmin || a[j] > xmax) continue;
            var xr = Math.round(u.valToPos(a[j], "x", true)) + 0.5;
            ctx.moveTo(xr, yr);
            ctx.lineTo(xr, yr - 6 * dpr);
          }
          ctx.stroke();
        }
      }
      for (i = 0; i < d.evT.length; i++) {
        var t = d.evT[i];
        if (t < xmin || t > xmax) continue;
        kind = d.kinds[d.evK[i]];
        if (!onSeq && kind !== "zero_window") continue;
        var x = u.valToPos(t, "x", true);
        if (lanes[kind] != null) {
          var yb = u.bbox.top + u.bbox.height - (lanes[kind] * 8 + 2) * dpr;
          ctx.strokeStyle = MARK[kind] || "#333";
          ctx.beginPath();
          ctx.moveTo(Math.round(x) + 0.5, yb);
          ctx.lineTo(Math.round(x) + 0.5, yb - 6 * dpr);
          ctx.stroke();
          continue;
        }
        var y = onSeq ? u.valToPos(d.evS[i], "y", true) : u.valToPos(0, "y", true) - r;
        ctx.strokeStyle = ctx.fillStyle = MARK[kind] || "#333";
        ctx.beginPath();
        if (kind.indexOf("retransmission") >= 0) {
          ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r);
          ctx.stroke();
        } else if (kind.indexOf("window_full") === 0) {
          // Above the segment's end, pointing at it: the bar itself stays visible.
          ctx.moveTo(x, y - r * 0.4); ctx.lineTo(x + r, y - r * 2.2); ctx.lineTo(x - r, y - r * 2.2); ctx.closePath();
          ctx.fill();
        } else if (kind === "zero_window") {
          ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y - r); ctx.lineTo(x, y + r); ctx.closePath();
          ctx.fill();
        } else {
          ctx.arc(x, y, r * 0.7, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
      ctx.restore();
    };
  }

  /** Application exchanges (RocketMQ): request sent → acknowledged → response, in lanes on top. */
  function drawSpans(spans) {
    return function (u) {
      if (!spans || !spans.length) return;
      var ctx = u.ctx, xmin = u.scales.x.min, xmax = u.scales.x.max, dpr = devicePixelRatio;
      var laneEnd = [], h = 7 * dpr, top = u.bbox.top + 2 * dpr;
      ctx.save();
      clip(u, ctx);
      ctx.font = (10 * dpr) + "px system-ui, -apple-system, \"Segoe UI\", Roboto, Arial, \"Noto Sans\", sans-serif";
      ctx.textBaseline = "top";
      ctx.textAlign = "left"; // uPlot leaves its axes' alignment on the context
      for (var i = 0; i < spans.length; i++) {
        var s = spans[i];
        var end = s.responseS != null ? s.responseS : s.ackedS != null ? s.ackedS : s.requestLastS != null ? s.requestLastS : s.startS;
        // Timed out with no response: the requester waited the whole timeout.
        if (s.timedOut && s.responseS == null && s.timeoutS != null) end = Math.max(end, s.startS + s.timeoutS);
        if (end < xmin || s.startS > xmax) continue;
        var x0 = u.valToPos(s.startS, "x", true), x1 = Math.max(x0 + 2 * dpr, u.valToPos(end, "x", true));
        var lane = 0;
        while (lane < 6 && laneEnd[lane] != null && laneEnd[lane] > x0) lane++;
        if (lane === 6) continue;
        var label = (s.name || (s.code != null ? "code " + s.code : "exchange")) + (s.opaque != null ? " #" + s.opaque : "");
        var tw = ctx.measureText(label).width;
        laneEnd[lane] = x1 + (x1 - x0 > tw + 6 * dpr ? 0 : tw + 4 * dpr);
        var y = top + lane * (h + 12 * dpr);
        ctx.fillStyle = s.timedOut ? "rgba(214,39,40,0.55)" : s.responseS == null ? "rgba(255,127,14,0.55)" : "rgba(23,150,120,0.45)";
        ctx.fillRect(x0, y, x1 - x0, h);
        if (s.ackedS != null) {
          var xa = u.valToPos(s.ackedS, "x", true);
          ctx.fillStyle = "#0b4f3f";
          ctx.fillRect(xa - dpr, y - 2 * dpr, 2 * dpr, h + 4 * dpr);
        }
        ctx.fillStyle = "#222";
        ctx.fillText(label, x1 - x0 > tw + 6 * dpr ? x0 + 3 * dpr : x1 + 3 * dpr, y + h + dpr);
      }
      ctx.restore();
    };
  }

  function base(group, title, host, yLabel, yValues) {
    return {
      title: title,
      width: Math.max(360, host.clientWidth - 8),
      height: 230,
      scales: { x: { time: false } },
      cursor: { sync: { key: group.key }, drag: { x: true, y: false } },
      legend: { live: true },
      axes: [
        { label: "seconds since the capture's first packet", values: axisSecs, size: 36 },
        { label: yLabel, values: yValues, size: 76 }
      ],
      hooks: { setScale: [syncScale(group)], draw: [] }
    };
  }

  function add(group, host, opts, data) {
    var el = document.createElement("div");
    el.className = "chart";
    host.appendChild(el);
    var u = new uPlot(opts, data, el);
    group.charts.push(u);
    charts.push(u);
    return u;
  }

  var stepped = uPlot.paths.stepped({ align: 1 });
  var none = function () { return null; };

  function directionCharts(group, host, d, spans) {
    var h = document.createElement("h3");
    h.textContent = d.label;
    host.appendChild(h);
    var note = document.createElement("p");
    note.className = "note";
    var sum = function (a) { var s = 0; for (var i = 1; i < a.length; i += 2) s += a[i]; return s; };
    var dropped = Object.keys(d.eventsDropped).map(function (k) { return d.eventsDropped[k] + " " + k; });
    note.textContent = "one column = " + secs(d.widthS) + " (min and max kept per column); " +
      sum(d.retrans) + " retransmissions, " + sum(d.zeroWindow) + " zero windows, " + sum(d.windowFull) + " window full" +
      (dropped.length ? "; markers not drawn past the cap: " + dropped.join(", ") : "") +
      (spans && spans.length ? "; " + spans.length + " exchanges" : "");
    host.appendChild(note);

    // 1. Time-sequence (Stevens / tcptrace).
    var o1 = base(group, "time-sequence: data segments, ACK line, advertised-window edge (ack + window)", host, "relative sequence number", axisBytes);
    o1.series = [
      { label: "time", value: function (u, v) { return v == null ? "-" : secs(v); } },
      { label: "data (lowest seq)", stroke: "#1f5fa8", paths: none, points: { show: false }, value: function (u, v) { return bytes(v); } },
      { label: "data (highest end)", stroke: "#1f5fa8", paths: none, points: { show: false }, value: function (u, v) { return bytes(v); } },
      { label: "ACK", stroke: "#2ca02c", width: 1.5, paths: stepped, spanGaps: true, points: { show: false }, value: function (u, v) { return bytes(v); } },
      { label: "window edge", stroke: "#c9a400", width: 1.5, paths: stepped, spanGaps: true, points: { show: false }, value: function (u, v) { return bytes(v); } }
    ];
    o1.hooks.draw.push(drawSegments(d), drawMarkers(d, true), drawSpans(spans));
    add(group, host, o1, [d.t, d.dataLo, d.dataHi, d.ackHi, d.edgeHi]);

    // 2. Bytes in flight against the receiver's window.
    var o2 = base(group, "bytes in flight vs the receiver's window", host, "bytes", axisBytes);
    var s2 = [
      { label: "time", value: function (u, v) { return v == null ? "-" : secs(v); } },
      { label: "in flight (max)", stroke: "#1f77b4", fill: "rgba(31,119,180,0.12)", paths: stepped, spanGaps: true, points: { show: false }, value: function (u, v) { return bytes(v); } },
      { label: "in flight (min)", stroke: "rgba(31,119,180,0.5)", paths: stepped, spanGaps: true, points: { show: false }, value: function (u, v) { return bytes(v); } },
      { label: "receiver window (advertised)", stroke: "#2ca02c", width: 1.5, paths: stepped, spanGaps: true, points: { show: false }, value: function (u, v) { return bytes(v); } }
    ];
    var data2 = [d.t, d.bifHi, d.bifLo, d.rwndLo];
    if (d.rwndInfLo) {
      s2.push({ label: "receiver window (inferred scale)", stroke: "#d62728", dash: [6, 4], width: 1.5, paths: stepped, spanGaps: true, points: { show: false }, value: function (u, v) { return bytes(v); } });
      data2.push(d.rwndInfLo);
    }
    o2.series = s2;
    o2.hooks.draw.push(drawMarkers(d, false));
    add(group, host, o2, data2);

    // 3. Throughput.
    var o3 = base(group, "throughput (over " + secs(d.rateWindowS) + ")", host, "Mbit/s", function (u, vals) { return vals.map(function (v) { return v.toFixed(v < 10 ? 1 : 0); }); });
    o3.series = [
      { label: "time", value: function (u, v) { return v == null ? "-" : secs(v); } },
      { label: "sent (with retransmissions)", stroke: "#9aa7b8", points: { show: false }, value: function (u, v) { return v == null ? "-" : v.toFixed(2) + " Mbit/s"; } },
      { label: "acknowledged", stroke: "#1f5fa8", width: 1.5, points: { show: false }, value: function (u, v) { return v == null ? "-" : v.toFixed(2) + " Mbit/s"; } }
    ];
    add(group, host, o3, [d.rateT, d.sentMbps, d.ackedMbps]);

    // 4. RTT samples.
    var o4 = base(group, "RTT samples (Wireshark ack_rtt)", host, "ms", function (u, vals) { return vals.map(function (v) { return v.toFixed(v < 10 ? 2 : 0); }); });
    o4.series = [
      { label: "time", value: function (u, v) { return v == null ? "-" : secs(v); } },
      { label: "RTT (max)", stroke: "#ff7f0e", paths: none, points: { show: true, size: 4, fill: "#ff7f0e" }, value: function (u, v) { return v == null ? "-" : v + " ms"; } },
      { label: "RTT (min)", stroke: "#8c564b", paths: none, points: { show: true, size: 4, fill: "#8c564b" }, value: function (u, v) { return v == null ? "-" : v + " ms"; } }
    ];
    add(group, host, o4, [d.t, d.rttHi, d.rttLo]);
  }

  for (var c = 0; c < DATA.connections.length; c++) {
    var conn = DATA.connections[c];
    var host = document.getElementById("charts-" + conn.stream);
    if (!host) continue;
    var group = { key: "stream-" + conn.stream, charts: [], syncing: false };
    groups[conn.stream] = group;
    for (var k = 0; k < conn.dirs.length; k++) directionCharts(group, host, conn.dirs[k], conn.spans);
    // One time axis for the whole connection from the start.
    if (group.charts.length) group.charts[0].setScale("x", { min: conn.startS, max: conn.endS });
  }

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      for (var i = 0; i < charts.length; i++) {
        var w = charts[i].root.parentNode.clientWidth - 8;
        charts[i].setSize({ width: Math.max(360, w), height: 230 });
      }
    }, 150);
  });
  window.tcpwin.ready = true;
})();
`;
