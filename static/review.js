/* Keyboard shortcuts for the review app. Progressive enhancement only: every
   page works the same without this file (links, forms and Tab do everything).
   Served from static/ under the review app's CSP (script-src 'self'); the
   portal never loads it. The help panel's text is in the page (translated);
   this file only toggles classes and moves focus. */
(function () {
  "use strict";

  const help = document.getElementById("shortcuts");
  const rows = Array.from(document.querySelectorAll("table.cases tbody tr"));
  const listLink = document.getElementById("nav-cases");
  const GAP_MS = 1500; // "g" then "l" within this time goes to the list
  let current = -1;
  let pendingG = 0;

  document.querySelectorAll(".js-only").forEach((el) => el.classList.remove("hidden"));

  function typing(target) {
    return target instanceof Element && target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function rowLink(row) {
    return row.querySelector("a[href]");
  }

  function select(index) {
    if (rows.length === 0) {
      return;
    }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("current", i === current));
    const link = rowLink(rows[current]);
    if (link) {
      link.focus();
    }
  }

  function focusedRow() {
    const active = document.activeElement;
    const row = active instanceof Element ? active.closest("table.cases tbody tr") : null;
    return row ? rows.indexOf(row) : -1;
  }

  function move(delta) {
    const from = focusedRow() >= 0 ? focusedRow() : current;
    select(from < 0 ? 0 : from + delta);
  }

  function openCurrent() {
    const index = focusedRow() >= 0 ? focusedRow() : current;
    const link = index >= 0 ? rowLink(rows[index]) : null;
    if (link) {
      window.location.assign(link.href);
    }
  }

  function focusField(selector) {
    const field = document.querySelector(selector);
    if (field) {
      field.focus();
      field.scrollIntoView({ block: "center" });
      return true;
    }
    return false;
  }

  function toggleHelp(show) {
    if (!help) {
      return;
    }
    const visible = show === undefined ? help.classList.contains("hidden") : show;
    help.classList.toggle("hidden", !visible);
    if (visible) {
      help.focus();
    }
  }

  function goToList() {
    if (listLink) {
      window.location.assign(listLink.href);
    }
  }

  const actions = {
    j: () => move(1),
    k: () => move(-1),
    o: openCurrent,
    "/": () => focusField("form.filters select, form.filters input"),
    "?": () => toggleHelp(),
    r: () => focusField("form.reply textarea"),
    s: () => focusField("#new_status"),
    u: goToList,
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    if (event.key === "Escape") {
      if (help && !help.classList.contains("hidden")) {
        toggleHelp(false);
      } else if (typing(event.target)) {
        event.target.blur();
      }
      return;
    }
    if (typing(event.target)) {
      return; // never steal a letter from someone writing
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && focusedRow() >= 0) {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (event.key === "l" && Date.now() - pendingG < GAP_MS) {
      pendingG = 0;
      event.preventDefault();
      goToList();
      return;
    }
    pendingG = event.key === "g" ? Date.now() : 0;
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // The reply to the reporter: with JavaScript, the confirmation is inline (without it, the server
  // shows a confirm page). The server sends nothing without confirmed=1 either way.
  document.querySelectorAll("form[data-confirm=reply]").forEach((form) => {
    const box = form.querySelector(".inline-confirm");
    const text = form.querySelector("textarea");
    const confirmed = form.querySelector("input[name=confirmed]");
    const check = form.querySelector("[data-action=check]");
    if (!box || !text || !confirmed || !check) {
      return;
    }
    form.addEventListener("submit", (event) => {
      if (confirmed.value === "1" || text.value.trim() === "") {
        return; // confirmed, or empty (the server says what is missing)
      }
      event.preventDefault();
      box.querySelector(".preview").textContent = text.value;
      box.classList.remove("hidden");
      check.classList.add("hidden");
      text.readOnly = true;
      box.querySelector("[data-action=send]").focus();
    });
    box.querySelector("[data-action=send]").addEventListener("click", () => {
      confirmed.value = "1";
      form.submit();
    });
    box.querySelector("[data-action=change]").addEventListener("click", () => {
      box.classList.add("hidden");
      check.classList.remove("hidden");
      text.readOnly = false;
      text.focus();
    });
  });
})();
