// p402 dashboard tables: filter, sort, group and export CSV, from each cell's exact value.
"use strict";

(function () {
  function cellValue(cell) {
    return cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
  }

  function dataRows(table) {
    return Array.from(table.tBodies)
      .filter(function (body) { return !body.classList.contains("grouped"); })
      .flatMap(function (body) { return Array.from(body.rows); })
      .filter(function (row) { return !row.hasAttribute("data-skip"); });
  }

  function heads(table) {
    return Array.from(table.tHead.rows[0].cells);
  }

  function isNumeric(kind) {
    return kind === "money" || kind === "count" || kind === "rate";
  }

  // Exact sums of decimal text, without floating point (money has at most 12 places).
  function addDecimal(a, b) {
    var scale = 12, f = function (s) {
      if (!s) return 0n;
      var neg = s.charAt(0) === "-", t = neg ? s.slice(1) : s;
      var parts = t.split("."), frac = (parts[1] || "").padEnd(scale, "0").slice(0, scale);
      var v = BigInt(parts[0] || "0") * 10n ** BigInt(scale) + BigInt(frac || "0");
      return neg ? -v : v;
    };
    var total = f(a) + f(b), neg = total < 0n, abs = neg ? -total : total;
    var whole = abs / 10n ** 12n, frac = (abs % 10n ** 12n).toString().padStart(12, "0");
    frac = frac.replace(/0+$/, "");
    return (neg ? "-" : "") + whole.toString() + (frac ? "." + frac : "");
  }

  function cents(text) {
    var n = Number(text || "0");
    if (n > 0 && n < 0.005) return "<$0.01";
    return (n < 0 ? "-$" : "$") + Math.abs(n).toLocaleString("en-US",
      { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function announce(tools, text) {
    tools.querySelector("[role=status]").textContent = text;
  }

  function applyFilter(table, tools) {
    var words = tools.querySelector("input").value.trim().toLowerCase();
    var shown = 0;
    dataRows(table).forEach(function (row) {
      var hit = !words || row.textContent.toLowerCase().indexOf(words) >= 0;
      row.hidden = !hit;
      shown += hit ? 1 : 0;
    });
    announce(tools, shown + " row(s) shown");
    var select = tools.querySelector("select");
    if (select && select.value !== "") regroup(table, tools);
  }

  function sortBy(table, index, th) {
    var kind = th.getAttribute("data-kind");
    var order = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    heads(table).forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", order);
    var sign = order === "ascending" ? 1 : -1;
    Array.from(table.tBodies).forEach(function (body) {
      var rows = Array.from(body.rows).filter(function (r) { return !r.hasAttribute("data-skip"); });
      rows.sort(function (a, b) {
        var x = cellValue(a.cells[index]), y = cellValue(b.cells[index]);
        if (isNumeric(kind)) return sign * ((Number(x) || 0) - (Number(y) || 0));
        return sign * x.localeCompare(y);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  }

  function regroup(table, tools) {
    var old = table.querySelector("tbody.grouped");
    if (old) old.remove();
    var select = tools.querySelector("select");
    var originals = Array.from(table.tBodies);
    if (select.value === "") {
      originals.forEach(function (b) { b.hidden = false; });
      return;
    }
    var by = Number(select.value), cols = heads(table), groups = new Map();
    dataRows(table).filter(function (r) { return !r.hidden; }).forEach(function (row) {
      var key = cellValue(row.cells[by]);
      if (!groups.has(key)) groups.set(key, { rows: 0, sums: {} });
      var g = groups.get(key);
      g.rows += 1;
      cols.forEach(function (h, i) {
        var kind = h.getAttribute("data-kind");
        if (kind === "money" || kind === "count") {
          g.sums[i] = addDecimal(g.sums[i] || "0", cellValue(row.cells[i]));
        }
      });
    });
    var body = document.createElement("tbody");
    body.className = "grouped";
    groups.forEach(function (g, key) {
      var tr = body.insertRow();
      cols.forEach(function (h, i) {
        var td = tr.insertCell(), kind = h.getAttribute("data-kind");
        if (i === by) { td.textContent = key + " (" + g.rows + ")"; td.dataset.value = key; }
        else if (kind === "money") {
          td.className = "num"; td.dataset.value = g.sums[i];
          td.title = g.sums[i] + " USD"; td.textContent = cents(g.sums[i]);
        } else if (kind === "count") {
          td.className = "num"; td.dataset.value = g.sums[i];
          td.textContent = Number(g.sums[i]).toLocaleString("en-US");
        } else { td.dataset.value = ""; }
      });
    });
    originals.forEach(function (b) { b.hidden = true; });
    table.appendChild(body);
    announce(tools, groups.size + " group(s) by " + cols[by].textContent);
  }

  function csvCell(text) {
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function exportCsv(table) {
    var cols = heads(table), grouped = table.querySelector("tbody.grouped");
    var rows = grouped ? Array.from(grouped.rows)
      : dataRows(table).filter(function (r) { return !r.hidden; });
    var lines = [cols.map(function (h) { return csvCell(h.textContent); }).join(",")];
    rows.forEach(function (row) {
      lines.push(Array.from(row.cells).map(function (c) { return csvCell(cellValue(c)); })
        .join(","));
    });
    var blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = table.getAttribute("data-export") || "p402.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function tools(table, n) {
    var id = table.id || "table" + n, box = document.createElement("div");
    box.className = "tools";
    var groupable = heads(table).map(function (h, i) { return [h, i]; })
      .filter(function (p) { return p[0].hasAttribute("data-group"); });
    var options = groupable.map(function (p) {
      return '<option value="' + p[1] + '">' + p[0].textContent + "</option>";
    }).join("");
    box.innerHTML =
      '<label for="' + id + '-filter">Filter</label>' +
      '<input type="search" id="' + id + '-filter" autocomplete="off">' +
      (groupable.length ? '<label for="' + id + '-group">Group by</label><select id="' + id +
        '-group"><option value="">no grouping</option>' + options + "</select>" : "") +
      '<button type="button">Export CSV</button>' +
      '<span role="status" class="dim"></span>';
    var anchor = table.closest(".table-wrap") || table;
    anchor.parentNode.insertBefore(box, anchor);
    box.querySelector("input").addEventListener("input", function () {
      applyFilter(table, box);
    });
    if (table.hasAttribute("data-more")) {
      // The table holds the top rows only: Enter asks the server to search every row.
      box.querySelector("input").addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        var url = new URL(window.location.href);
        url.searchParams.set("q", event.target.value.trim());
        url.searchParams.set("rows", "all");
        window.location.assign(url.toString());
      });
    }
    var select = box.querySelector("select");
    if (select) select.addEventListener("change", function () { regroup(table, box); });
    box.querySelector("button").addEventListener("click", function () { exportCsv(table); });
  }

  function sortable(table) {
    heads(table).forEach(function (th, index) {
      if (th.getAttribute("data-kind") === "other") return;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }

  document.querySelectorAll("table.data").forEach(function (table, n) {
    tools(table, n);
    sortable(table);
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
