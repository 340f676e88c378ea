//DEPS io.nayuki:qrcodegen:1.8.0
package workbook.room;

import io.nayuki.qrcodegen.QrCode;

/**
 * The room's page, whole in one answer: no outside asset, so it works on a room without internet.
 * It draws what /api/events sends: a row per learner, a cell per lab step, and above the grid the
 * steps most of the room is stuck on with the message most of them read. Every name and message
 * goes in as text (textContent), never as HTML. And the join command as text and as a QR code,
 * here and in the terminal.
 */
public final class RoomPage {
  private RoomPage() {}

  /** The page for a room whose learners join with this command; a learner is "stuck" after stuckMinutes on one red step. */
  public static String html(String joinCommand, int stuckMinutes) {
    return TEMPLATE.replace("%JOIN%", escape(joinCommand)).replace("%QR%", svg(joinCommand))
        .replace("%STUCK%", Integer.toString(stuckMinutes));
  }

  /** The text as a QR code of SVG squares (scales without blur on a projector). */
  static String svg(String text) {
    QrCode qr = QrCode.encodeText(text, QrCode.Ecc.MEDIUM);
    int n = qr.size, border = 2;
    StringBuilder path = new StringBuilder();
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        if (qr.getModule(x, y)) path.append('M').append(x + border).append(',').append(y + border).append("h1v1h-1z");
    int side = n + 2 * border;
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side + " " + side + "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"the join command as a QR code\">"
        + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"" + path + "\" fill=\"#000\"/></svg>";
  }

  /** The text as a QR code for a terminal: two rows of modules per line, in half blocks (dark on light). */
  public static String terminal(String text) {
    QrCode qr = QrCode.encodeText(text, QrCode.Ecc.LOW);
    int border = 2, from = -border, to = qr.size + border;
    StringBuilder b = new StringBuilder();
    for (int y = from; y < to; y += 2) {
      for (int x = from; x < to; x++) {
        boolean top = dark(qr, x, y), bottom = dark(qr, x, y + 1);
        // Light modules are drawn, dark ones left blank: most terminals are dark, and a scanner wants dark on light.
        b.append(top ? bottom ? ' ' : '▄' : bottom ? '▀' : '█');
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static boolean dark(QrCode qr, int x, int y) {
    return x >= 0 && y >= 0 && x < qr.size && y < qr.size && qr.getModule(x, y);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static final String TEMPLATE = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>The room</title>
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <link rel="icon" href="data:,">
      <style>
        body { font: 15px/1.35 system-ui, sans-serif; margin: 12px 16px; color: #111; background: #fafafa; }
        header { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
        header .qr { width: 150px; height: 150px; flex: none; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        code.join { font-size: 18px; background: #fff; border: 1px solid #bbb; padding: 4px 8px; display: inline-block; user-select: all; }
        .counts span { margin-right: 18px; }
        .counts b { font-size: 18px; }
        #live.off { color: #b00; font-weight: bold; }
        #hot { margin: 10px 0 12px; padding: 0; list-style: none; }
        #hot li { margin: 4px 0; }
        #hot .where { font-weight: bold; display: inline-block; min-width: 9em; }
        #hot .msg { font-family: ui-monospace, monospace; font-size: 14px; background: #fff3f3; padding: 1px 5px; }
        table { border-collapse: collapse; }
        th, td { padding: 0; }
        th.lab { font-size: 13px; border-left: 2px solid #999; text-align: left; padding-left: 3px; }
        th.step { font-size: 11px; color: #555; width: 17px; text-align: center; }
        th.step.first, td.first { border-left: 2px solid #999; }
        td.count { font-size: 12px; text-align: center; color: #b00; font-weight: bold; }
        td.name { padding-right: 10px; white-space: nowrap; max-width: 14em; overflow: hidden; text-overflow: ellipsis; }
        td.cell { width: 17px; height: 18px; }
        td.cell i { display: block; margin: 2px 1px; height: 14px; background: #e4e4e4; border-radius: 2px; }
        td.cell.done i { background: #3a9a47; }
        td.cell.red i { background: #d9534f; }
        td.cell.here i { background: #d9534f; outline: 2px solid #111; }
        td.now { padding-left: 10px; white-space: nowrap; font-size: 14px; }
        tr.stuck td.name { font-weight: bold; }
        .stuckmark { color: #fff; background: #b00; border-radius: 3px; padding: 0 5px; margin-left: 6px; font-size: 12px; font-weight: bold; }
        tr:hover td { background: #fff8d6; }
        #empty { color: #666; }
      </style></head>
      <body>
      <header>
        <div>
          <h1>The room</h1>
          <div>Learners join with: <code class="join">%JOIN%</code></div>
          <p class="counts">
            <span><b id="n">0</b> learners (room for <b id="cap" style="font-size:inherit;font-weight:normal"></b>)</span>
            <span><b id="green">0</b> green</span>
            <span><b id="stuck">0</b> stuck</span>
            <span title="reports with a wrong room code: someone may have mistyped it"><b id="wrong">0</b> wrong code</span>
            <span title="reports refused for any other reason (too big, too many, unknown lab or step)"><b id="refused">0</b> refused</span>
            <span id="live">connecting…</span>
          </p>
          <label>Stuck after <input id="stuckAfter" type="number" min="1" max="240" value="%STUCK%" style="width:4em"> minutes on one red step</label>
          · <a href="/api/session.csv">the session as CSV</a>
        </div>
        <div class="qr">%QR%</div>
      </header>
      <h2 style="font-size:17px;margin:14px 0 0">Where the room is</h2>
      <ul id="hot"><li id="empty">Nobody has run a test yet.</li></ul>
      <table id="grid"><thead></thead><tbody></tbody></table>
      <script>
      "use strict";
      let room = null, offset = 0;
      const $ = id => document.getElementById(id);
      const stuckInput = $("stuckAfter");
      const saved = localStorage.getItem("room.stuckAfter");
      if (saved) stuckInput.value = saved;
      stuckInput.addEventListener("change", () => { localStorage.setItem("room.stuckAfter", stuckInput.value); draw(); });
      function el(tag, cls, text) {
        const e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function minutes(ms) {
        const m = Math.floor(ms / 60000);
        return m < 1 ? "under a minute" : m === 1 ? "1 min" : m + " min";
      }
      function cellState(p, lab, step) {
        const at = p.progress[lab];
        if (!at) return "";
        if (at.green || step < at.step) return "done";
        if (step > at.step) return "";
        return p.state === "red" && p.lab === lab ? "here" : "red";
      }
      function draw() {
        if (!room) return;
        const now = Date.now() - offset;
        const stuckMs = Math.max(1, Number(stuckInput.value) || 10) * 60000;
        const isStuck = p => p.state === "red" && now - p.since >= stuckMs;
        $("n").textContent = room.learners.length;
        $("cap").textContent = room.capacity;
        $("green").textContent = room.learners.filter(p => p.state === "green").length;
        $("stuck").textContent = room.learners.filter(isStuck).length;
        $("wrong").textContent = room.wrongCode;
        $("refused").textContent = room.refused;
        const hot = $("hot");
        hot.replaceChildren();
        if (room.steps.length === 0) hot.append(el("li", "", room.learners.length ? "Everyone is green." : "Nobody has run a test yet."));
        for (const s of room.steps.slice(0, 6)) {
          const li = el("li", "hot");
          li.append(el("span", "where", "Lab " + s.lab + " · step " + s.step), " " + s.count + (s.count === 1 ? " learner" : " learners") + " ");
          if (s.message) {
            li.append(el("span", "msg", s.message));
            li.append(" (" + s.messageCount + " of " + s.count + " read this)");
          }
          hot.append(li);
        }
        const head = $("grid").tHead, body = $("grid").tBodies[0];
        head.replaceChildren();
        const labsRow = el("tr"), stepsRow = el("tr"), countRow = el("tr");
        labsRow.append(el("th")); stepsRow.append(el("th")); countRow.append(el("td", "name", "red here now"));
        const counts = {};
        for (const s of room.steps) counts[s.lab + " " + s.step] = s.count;
        for (const lab of room.labs) {
          const th = el("th", "lab", lab.id); th.colSpan = lab.steps; th.title = lab.title; labsRow.append(th);
          for (let n = 1; n <= lab.steps; n++) {
            stepsRow.append(el("th", "step" + (n === 1 ? " first" : ""), String(n)));
            countRow.append(el("td", "count" + (n === 1 ? " first" : ""), counts[lab.id + " " + n] || ""));
          }
        }
        head.append(labsRow, stepsRow, countRow);
        body.replaceChildren();
        for (const p of room.learners) {
          const tr = el("tr", "learner" + (isStuck(p) ? " stuck" : ""));
          const name = el("td", "name", p.name); name.title = p.name; tr.append(name);
          for (const lab of room.labs)
            for (let n = 1; n <= lab.steps; n++) {
              const state = cellState(p, lab.id, n);
              const td = el("td", "cell " + state + (n === 1 ? " first" : ""));
              td.dataset.lab = lab.id; td.dataset.step = n;
              if (state === "here") td.title = p.test + ": " + p.message;
              td.append(el("i"));
              tr.append(td);
            }
          const where = el("td", "now");
          if (p.state === "green") where.textContent = "lab " + p.lab + " green";
          else {
            where.textContent = "lab " + p.lab + " step " + p.step + ", " + minutes(now - p.since);
            if (isStuck(p)) where.append(el("span", "stuckmark", "stuck"));
          }
          tr.append(where);
          body.append(tr);
        }
      }
      function connect() {
        const events = new EventSource("/api/events");
        events.onopen = () => { $("live").textContent = "live"; $("live").className = ""; };
        events.onmessage = e => { room = JSON.parse(e.data); offset = Date.now() - room.now; draw(); };
        events.onerror = () => { $("live").textContent = "reconnecting… (the room's terminal may have stopped)"; $("live").className = "off"; };
      }
      connect();
      setInterval(draw, 15000);
      </script>
      </body></html>
      """;
}
