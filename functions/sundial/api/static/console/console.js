"use strict";
(() => {
  // The API is the page's own base: /v1/console -> /v1 (also behind a custom domain).
  const API = location.pathname.replace(/\/console\/?$/, "");
  const KEY_STORAGE = "sundial.apiKey";
  const TASK_REFRESH_MS = 3000;
  const LIST_REFRESH_MS = 5000;
  const PREVIEW_DELAY_MS = 300;
  const PREVIEW_REFRESH_MS = 15000;
  const RUNS_SHOWN = 25;
  const RUNS_CHARTED = 100;  // one page of the API
  const HANDLERS = ["echo", "log", "sleep"];
  const KNOWN_BADGES = ["active", "paused", "completed", "running", "retrying", "succeeded",
    "failed", "skipped"];

  const $main = document.getElementById("main");
  const $alert = document.getElementById("alert");
  const $status = document.getElementById("status");
  const $nav = document.getElementById("nav");
  const $signout = document.getElementById("signout");
  const $autoBox = document.getElementById("auto-box");
  const $auto = document.getElementById("auto");

  // ---- DOM: built node by node; user data only ever becomes text or attribute values --

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else if (value === true) {
        el.setAttribute(name, "");
      } else {
        el.setAttribute(name, String(value));
      }
    }
    add(el, children);
    return el;
  }

  function add(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  // Replace a region's content, keeping keyboard focus on the "same" control if it is
  // re-created (refreshes every few seconds must not throw a keyboard user out).
  function render(container, ...children) {
    const active = document.activeElement;
    const key = active && container.contains(active) ? active.getAttribute("data-focus") : null;
    container.replaceChildren();
    add(container, children);
    if (key) {
      const again = container.querySelector('[data-focus="' + CSS.escape(key) + '"]');
      if (again) again.focus();
    }
  }

  // ---- formatting -----------------------------------------------------------------------

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];

  // "Nov 22 02:30:00 +01:00": the wall time the API rendered in the task's zone (offset
  // shown unless UTC; year only when not this year). The full RFC 3339 is in the title.
  function fmtTime(ts) {
    if (!ts) return "\u2014";
    const m = String(ts).match(
      /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    if (!m) return String(ts);
    const year = Number(m[1]) === new Date().getFullYear() ? "" : m[1] + " ";
    const offset = m[5] === "Z" || m[5] === "+00:00" ? "" : " " + m[5];
    return year + MONTHS[Number(m[2]) - 1] + " " + Number(m[3]) + " " + m[4] + offset;
  }

  function relative(ts) {
    const ms = Date.parse(ts) - Date.now();
    if (Number.isNaN(ms)) return "";
    const s = Math.round(Math.abs(ms) / 1000);
    if (s < 1) return "now";
    let span;
    if (s < 90) span = s + " s";
    else if (s < 5400) span = Math.round(s / 60) + " min";
    else if (s < 129600) span = Math.round(s / 3600) + " h";
    else span = Math.round(s / 86400) + " d";
    return ms > 0 ? "in " + span : span + " ago";
  }

  function time(ts, withRelative) {
    if (!ts) return h("span", { class: "muted" }, "\u2014");
    return h("span", {}, h("time", { datetime: ts, title: ts }, fmtTime(ts)),
      withRelative ? h("span", { class: "muted small" }, " (" + relative(ts) + ")") : null);
  }

  // A run's start and finish: the time of day to the millisecond (the date is the fire's).
  function instant(ts) {
    if (!ts) return h("span", { class: "muted" }, "\u2014");
    const match = String(ts).match(/T(\d\d:\d\d:\d\d)(\.\d{1,3})?/);
    const text = match ? match[1] + (match[2] || ".000").padEnd(4, "0") : fmtTime(ts);
    return h("time", { datetime: ts, title: ts }, text);
  }

  function lateness(ms) {
    if (ms === null || ms === undefined) return "\u2014";
    return Math.abs(ms) < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s";
  }

  function badge(word) {
    const known = KNOWN_BADGES.includes(word) ? word : "other";
    return h("span", { class: "badge b-" + known }, String(word));
  }

  function clock() {
    return new Date().toLocaleTimeString();
  }

  function json(value, max) {
    const text = JSON.stringify(value, null, max ? 0 : 2);
    if (text === undefined) return "";
    return max && text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
  }

  function taskLabel(task) {
    return task.name || task.id;
  }

  function taskHref(id) {
    return "#/tasks/" + encodeURIComponent(id);
  }

  function targetSummary(target) {
    switch (target && target.type) {
      case "http": return (target.method || "POST") + " " + target.url;
      case "handler": return "handler " + target.name;
      case "lambda": return "Lambda " + target.arn;
      case "sqs": return "SQS " + target.queue_url;
      case "sns": return "SNS " + target.topic_arn;
      case "eventbridge":
        return "EventBridge " + target.bus + " (" + target.source + " / " +
          target.detail_type + ")";
      default: return json(target, 200);
    }
  }

  // A notification's destination: where events go. Its signing secret is never in a
  // response, and credential header values come masked, so neither can be shown.
  function destinationSummary(destination) {
    switch (destination && destination.type) {
      case "http": return "webhook " + destination.url;
      case "eventbridge": return "EventBridge bus " + (destination.bus || "default");
      default: return targetSummary(destination);
    }
  }

  function calendarHref(name) {
    return "#/calendars/" + encodeURIComponent(name);
  }

  // How many distinct days a calendar's entries cover: "2026-12-24..2026-12-31" is 8 of
  // them, and a date inside it adds none.
  function daysIn(dates) {
    const DAY_MS = 86400000;
    const days = new Set();
    for (const entry of dates) {
      const [first, last] = String(entry).split("..");
      const start = Date.parse(first);
      const end = Date.parse(last || first);
      if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
      for (let day = start; day <= end; day += DAY_MS) days.add(day);
    }
    return days.size;
  }

  // ---- the API ------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  function storedKey() {
    try { return sessionStorage.getItem(KEY_STORAGE); } catch (e) { return null; }
  }

  function storeKey(key) {
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (e) { /* storage disabled: the key lives as long as this page */ }
    memoryKey = key;
  }

  let memoryKey = storedKey();

  async function api(method, path, body, extraHeaders) {
    const headers = { Accept: "application/json", Authorization: "Bearer " + memoryKey };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, extraHeaders || {});
    let response;
    try {
      response = await fetch(API + path, {
        method, headers, cache: "no-store", credentials: "omit",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "network_error",
        "Could not reach the API (" + e.message + "). Is the server running?", null);
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const envelope = data && data.error;
      const error = envelope
        ? new ApiError(response.status, envelope.code || "error",
          envelope.message || response.statusText, envelope.field || null)
        : new ApiError(response.status, "http_" + response.status,
          (data && data.message) || text.slice(0, 300) || response.statusText, null);
      if (response.status === 401) signOut(error);
      throw error;
    }
    return data;
  }

  const descriptions = new Map();

  // A task's schedule in words, from POST /preview; cached per (schedule, zone). The
  // preview counts from the task's creation, not from now: a one-time task that has
  // fired has no fire time after now, and the API refuses such a preview; every stored
  // schedule fires after the moment it was accepted.
  function describeInto(el, task) {
    const { schedule, timezone } = task;
    const key = schedule + "\n" + timezone;
    let entry = descriptions.get(key);
    if (!entry) {
      entry = { text: null };
      const query = { schedule, timezone, count: 1 };
      if (task.created_at) query.after = task.created_at;
      entry.promise = api("POST", "/preview", query).then(
        (reply) => { entry.text = reply.description; },
        (error) => {
          if (error.status === 0 || error.status >= 500) descriptions.delete(key);
          entry.text = "";
        });
      descriptions.set(key, entry);
    }
    if (entry.text !== null) el.textContent = entry.text;
    else entry.promise.then(() => { el.textContent = entry.text; });
  }

  // ---- notices -----------------------------------------------------------------------

  // A notice ("Created …", "Signed in.") stays a few seconds, then fades out. It survives
  // the one navigation that usually follows it (create -> task page) but no other.
  const STATUS_SHOWN_MS = 5000;
  const STATUS_FADE_MS = 600;
  let statusTimers = [];
  let statusView = -1;

  function flash(message) {
    clearStatus();
    $status.textContent = message;
    statusView = viewToken;
    statusTimers = [
      setTimeout(() => $status.classList.add("fading"), STATUS_SHOWN_MS),
      setTimeout(clearStatus, STATUS_SHOWN_MS + STATUS_FADE_MS),
    ];
  }

  function clearStatus() {
    statusTimers.forEach(clearTimeout);
    statusTimers = [];
    $status.classList.remove("fading");
    $status.textContent = "";
  }

  function errorBox(error, context) {
    const close = h("button", { type: "button", class: "close", "aria-label": "Dismiss error" },
      "\u00d7");
    const box = h("div", { class: "error" }, close,
      h("p", {}, h("strong", {}, context || "Request failed")),
      h("p", { class: "error-message" }, error.message),
      error.code || error.field ? h("p", { class: "muted small" },
        error.code ? ["code ", h("code", {}, error.code)] : null,
        error.field ? [" \u00b7 field ", h("code", {}, error.field)] : null,
        error.status ? " \u00b7 HTTP " + error.status : null) : null);
    close.addEventListener("click", () => box.remove());
    return box;
  }

  function showError(error, context) {
    if (error instanceof ApiError && error.status === 401) return;  // sign-in shows it
    if (!(error instanceof ApiError)) {
      console.error(error);
      error = new ApiError(0, "console_error", String(error && error.message || error), null);
    }
    render($alert, errorBox(error, context));
  }

  function clearError() {
    $alert.replaceChildren();
  }

  // ---- views and refresh ----------------------------------------------------------------

  let viewToken = 0;
  let refreshTimer = null;

  function isCurrent(token) {
    return token === viewToken;
  }

  // Run `load` every `ms` while this view is shown, the tab is visible and auto-refresh
  // is on; `load` reports its own failures. One call at a time: the next waits for it.
  function every(ms, load) {
    const token = viewToken;
    clearTimeout(refreshTimer);
    const tick = async () => {
      if (!isCurrent(token)) return;
      if ($auto.checked && !document.hidden) await load();
      if (isCurrent(token)) refreshTimer = setTimeout(tick, ms);
    };
    refreshTimer = setTimeout(tick, ms);
  }

  // A loader that writes "updated at" (or why it failed) into `el`.
  function tracked(el, load, label) {
    return async () => {
      try {
        await load();
        el.className = "muted small";
        el.textContent = label + " \u00b7 updated " + clock();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return;
        el.className = "error-text small";
        el.textContent = "Refresh failed: " + error.message + " (retrying)";
      }
    };
  }

  function heading(text) {
    return h("h1", { tabindex: "-1" }, text);
  }

  function setNav(hash) {
    for (const link of $nav.querySelectorAll("a")) {
      if (link.getAttribute("href") === hash) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  function route() {
    viewToken += 1;
    clearTimeout(refreshTimer);
    clearError();  // an error belongs to the view it happened in
    if (statusView < viewToken - 1) clearStatus();
    const hash = location.hash.startsWith("#/") ? location.hash : "#/tasks";
    if (!memoryKey) return showLogin();
    $nav.hidden = false;
    $signout.hidden = false;
    $autoBox.hidden = false;
    let match;
    let view;
    if (hash === "#/tasks") view = showTasks();
    else if (hash === "#/new") view = showCreate();
    else if (hash === "#/dead-letters") view = showDeadLetters();
    else if (hash === "#/overview") view = showOverview();
    else if (hash === "#/calendars") view = showCalendars();
    else if ((match = hash.match(/^#\/tasks\/([^/?]+)$/))) {
      view = showTask(decoded(match[1]));
    } else if ((match = hash.match(/^#\/calendars\/([^/?]+)$/))) {
      view = showCalendar(decoded(match[1]));
    } else view = showNotFound();
    setNav(match ? hash.slice(0, hash.indexOf("/", 2)) : hash);
    const title = $main.querySelector("h1");
    if (title) {
      document.title = title.textContent + " \u00b7 Sundial console";
      if (moveFocus) title.focus();
    }
    moveFocus = true;
    Promise.resolve(view).catch((error) => showError(error));
  }

  function decoded(part) {
    try { return decodeURIComponent(part); } catch (e) { return part; }  // a malformed %-escape
  }

  let moveFocus = false;  // not on first load: the page starts at the top anyway

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function signOut(error) {
    storeKey(null);
    viewToken += 1;
    clearTimeout(refreshTimer);
    showLogin();
    if (error) render($alert, errorBox(error, "The API key was not accepted"));
  }

  // ---- sign in ------------------------------------------------------------------------

  function showLogin() {
    $nav.hidden = true;
    $signout.hidden = true;
    $autoBox.hidden = true;
    const input = h("input", { type: "password", id: "f-key", name: "key", autocomplete: "off",
      spellcheck: "false", required: true, "aria-describedby": "f-key-hint" });
    const form = h("form", { class: "card login", novalidate: true },
      heading("Sign in"),
      h("p", {}, "The console calls the Sundial API with your API key."),
      h("div", { class: "field" },
        h("label", { for: "f-key" }, "API key"), input,
        h("p", { class: "hint", id: "f-key-hint" },
          "Kept in this tab's session storage only, and sent as ",
          h("code", {}, "Authorization: Bearer \u2026"), ". Create one with ",
          h("code", {}, "sundial keys create --tenant NAME"), "; ",
          h("code", {}, "sundial local"), " prints one at start.")),
      h("button", { type: "submit", class: "primary" }, "Sign in"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        showError(new ApiError(0, "missing_key", "Enter an API key.", "key"), "Not signed in");
        input.focus();
        return;
      }
      storeKey(key);
      try {
        await api("GET", "/tasks?limit=1");
      } catch (error) {
        if (error.status !== 401) {
          storeKey(null);
          showError(error, "Could not sign in");
        }
        return;
      }
      clearError();
      flash("Signed in.");
      go(location.hash.startsWith("#/") ? location.hash : "#/tasks");
    });
    $main.replaceChildren(form);
    document.title = "Sign in \u00b7 Sundial console";
    input.focus();
  }

  function showNotFound() {
    $main.replaceChildren(heading("Page not found"),
      h("p", {}, "Nothing here. ", h("a", { href: "#/tasks" }, "Go to the task list"), "."));
  }

  // ---- task actions ---------------------------------------------------------------------

  // A button that runs `action` once at a time. It stays focusable while busy
  // (aria-disabled, not disabled), so focus survives the refresh that follows.
  function actionButton(text, focusKey, label, action, className) {
    const button = h("button", { type: "button", class: className, "data-focus": focusKey,
      "aria-label": label }, text);
    button.addEventListener("click", async () => {
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      try {
        await action();
      } catch (error) {
        showError(error, text + " failed");
      } finally {
        button.removeAttribute("aria-disabled");
      }
    });
    return button;
  }

  function taskPath(id, action) {
    return "/tasks/" + encodeURIComponent(id) + (action ? "/" + action : "");
  }

  function taskActions(task, after, afterDelete) {
    const label = taskLabel(task);
    const buttons = [];
    if (task.state === "active") {
      buttons.push(actionButton("Pause", "toggle:" + task.id, "Pause " + label, async () => {
        await api("POST", taskPath(task.id, "pause"));
        clearError();
        flash("Paused \u201c" + label + "\u201d.");
        await after();
      }));
    } else if (task.state === "paused") {
      buttons.push(actionButton("Resume", "toggle:" + task.id, "Resume " + label, async () => {
        await api("POST", taskPath(task.id, "resume"));
        clearError();
        flash("Resumed \u201c" + label + "\u201d: next fires are computed from now.");
        await after();
      }));
    }
    buttons.push(actionButton("Trigger", "trigger:" + task.id, "Trigger " + label + " now",
      async () => {
        const reply = await api("POST", taskPath(task.id, "trigger"));
        clearError();
        flash("Triggered \u201c" + label + "\u201d: execution " + reply.execution_id + ".");
        await after();
      }));
    buttons.push(actionButton("Delete", "delete:" + task.id, "Delete " + label, async () => {
      if (!window.confirm("Delete the task \u201c" + label +
        "\u201d? Its run history stays until it expires.")) return;
      await api("DELETE", taskPath(task.id));
      clearError();
      flash("Deleted \u201c" + label + "\u201d.");
      await afterDelete();
    }, "danger"));
    return buttons;
  }

  function lastRun(run) {
    if (!run) return h("span", { class: "muted" }, "never");
    return h("span", {}, badge(run.status), " ", time(run.fire_at, true),
      run.attempt > 1 ? h("span", { class: "muted small" }, " attempt " + run.attempt) : null);
  }

  function fireTimes(times, shown) {
    if (!times || !times.length) return h("span", { class: "muted" }, "none");
    return h("ul", { class: "times" },
      times.slice(0, shown).map((t) => h("li", {}, time(t, true))));
  }

  // ---- the task list ----------------------------------------------------------------

  let listFilter = "";

  function showTasks() {
    const token = viewToken;
    const filter = h("select", { id: "f-state" },
      [["", "All"], ["active", "Active"], ["paused", "Paused"], ["completed", "Completed"]]
        .map(([value, text]) => h("option", { value }, text)));
    filter.value = listFilter;
    const body = h("div", { class: "wide" }, h("p", { class: "muted" }, "Loading\u2026"));
    const updated = h("span", { class: "muted small" });
    let pages = 1;
    let loaded = false;

    async function load() {
      const tasks = [];
      let next = null;
      let fetched = 0;
      do {
        const query = new URLSearchParams({ limit: "50" });
        if (listFilter) query.set("state", listFilter);
        if (next) query.set("next_token", next);
        const reply = await api("GET", "/tasks?" + query);
        tasks.push(...reply.tasks);
        next = reply.next_token;
        fetched += 1;
      } while (next && fetched < pages);
      if (!isCurrent(token)) return;
      loaded = true;
      render(body, tasksTable(tasks, next));
    }

    const refresh = tracked(updated, load,
      "Auto-refreshing every " + LIST_REFRESH_MS / 1000 + " s");

    function tasksTable(tasks, next) {
      if (!tasks.length) {
        return h("p", { class: "card" }, listFilter ? "No " + listFilter + " tasks. " :
          "No tasks yet. ", h("a", { href: "#/new" }, "Create a task"), ".");
      }
      const more = next ? h("button", { type: "button", "data-focus": "more" },
        "Show more tasks") : null;
      if (more) more.addEventListener("click", () => { pages += 1; refresh(); });
      return [h("table", { class: "tasks" },
        h("caption", { class: "sr-only" }, "Tasks"),
        h("thead", {}, h("tr", {}, ["Name", "State", "Schedule", "Next fire times", "Last run",
          "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, tasks.map(taskRow))), more];
    }

    function taskRow(task) {
      const words = h("div", { class: "desc" });
      describeInto(words, task);
      return h("tr", { "data-task-id": task.id },
        h("td", {},
          h("a", { href: taskHref(task.id), "data-focus": "open:" + task.id }, taskLabel(task)),
          task.name ? h("div", { class: "muted small mono" }, task.id) : null),
        h("td", {}, badge(task.state)),
        h("td", {}, h("code", {}, task.schedule),
          h("span", { class: "muted small" }, " " + task.timezone), words),
        h("td", {}, task.state === "active" ? fireTimes(task.next_fire_times, 3)
          : h("span", { class: "muted" }, task.state === "paused" ? "paused" : "none")),
        h("td", {}, lastRun(task.last_run)),
        h("td", { class: "actions" }, taskActions(task, refresh, refresh)));
    }

    filter.addEventListener("change", () => {
      listFilter = filter.value;
      pages = 1;
      refresh();
    });
    const reload = h("button", { type: "button" }, "Refresh");
    reload.addEventListener("click", refresh);
    $main.replaceChildren(
      h("div", { class: "head" }, heading("Tasks"),
        h("a", { href: "#/new", class: "button primary" }, "New task")),
      h("div", { class: "toolbar" }, h("label", { for: "f-state" }, "State"), filter, reload,
        updated),
      body);
    every(LIST_REFRESH_MS, refresh);
    return refresh().then(() => {
      if (!loaded && isCurrent(token)) render(body, h("p", { class: "muted" }, "Not loaded."));
    });
  }

  // ---- one task and its runs ---------------------------------------------------------

  function showTask(id) {
    const token = viewToken;
    const title = heading("Task");
    const head = h("div", { class: "toolbar" });
    const props = h("div");
    const chart = h("div", { class: "chart" });
    const runs = h("div", { class: "wide" }, h("p", { class: "muted" }, "Loading\u2026"));
    const updated = h("span", { class: "muted small" });
    let gone = false;
    let current = null;  // the task as last read; the edit form starts from it

    async function load() {
      if (gone) return;
      let task;
      let runList;
      try {
        [task, runList] = await Promise.all([
          api("GET", taskPath(id)),
          api("GET", taskPath(id, "runs") + "?limit=" + RUNS_CHARTED),
        ]);
      } catch (error) {
        if (error.status === 404 && isCurrent(token)) {
          gone = true;
          clearTimeout(refreshTimer);
          title.textContent = "Task not found";
          render(props, h("p", { class: "card" }, error.message, " ",
            h("a", { href: "#/tasks" }, "Back to the task list"), "."));
          head.replaceChildren();
          tools.hidden = true;
          history.hidden = true;
          return;
        }
        throw error;
      }
      if (!isCurrent(token)) return;
      current = task;
      title.textContent = taskLabel(task);
      document.title = taskLabel(task) + " \u00b7 Sundial console";
      render(head, badge(task.state), taskActions(task, refresh, () => go("#/tasks")));
      render(props, taskProps(task));
      render(chart, runsChart(runList.runs));
      render(runs, runsTable(runList.runs.slice(0, RUNS_SHOWN)));
    }

    const refresh = tracked(updated, load,
      "Auto-refreshing every " + TASK_REFRESH_MS / 1000 + " s");

    // The forms are built once and left alone by the refresh, so typing is never lost.
    const tools = h("div", { class: "tools" },
      editSection(id, () => current, refresh),
      backfillSection(id, () => current, refresh));
    const history = h("section", { "aria-labelledby": "runs-title" },
      h("div", { class: "head" }, h("h2", { id: "runs-title" }, "Run history"), updated),
      chart, runs);
    $main.replaceChildren(
      h("p", {}, h("a", { href: "#/tasks" }, "\u2190 All tasks")), title, head, props, tools,
      history);
    every(TASK_REFRESH_MS, refresh);
    return refresh();
  }

  // ---- edit a task --------------------------------------------------------------------

  // An API error's `field` on PATCH -> the edit form's control.
  const EDIT_CONTROLS = {
    schedule: "e-schedule", timezone: "e-timezone", description: "e-description",
    payload: "e-payload", "retry.max_attempts": "e-attempts",
    "retry.backoff_seconds": "e-backoff", timeout_seconds: "e-timeout", overlap: "e-overlap",
  };

  // "Edit task": a form filled from the task when opened, saved as a PATCH of the fields
  // that changed with If-Match: the version it was filled from. If the task changed in
  // between, the API answers 412 and nothing is overwritten; the form offers a reload.
  function editSection(id, currentTask, afterSave) {
    const { controls, field, setFieldError, clearFieldErrors } = formFields();
    const schedule = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
    const timezone = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
    const description = h("input", { type: "text", autocomplete: "off", maxlength: "1024" });
    const payload = h("textarea", { rows: "4", spellcheck: "false" });
    const attempts = h("input", { type: "number", min: "1", inputmode: "numeric" });
    const backoff = h("input", { type: "number", min: "0", inputmode: "numeric" });
    const timeout = h("input", { type: "number", min: "1", inputmode: "numeric" });
    const overlap = h("select", {}, ["allow", "skip", "buffer_one"]
      .map((value) => h("option", { value }, value)));
    const conflict = h("div", { class: "error", role: "alert", hidden: true });
    const save = h("button", { type: "submit", class: "primary" }, "Save changes");
    const cancel = h("button", { type: "button" }, "Cancel");
    let base = null;  // the task the form was filled from: what "changed" means, and If-Match
    let busy = false;

    // Each edited value as the form shows it and as the API takes it.
    const FIELDS = [
      ["schedule", schedule, (t) => t.schedule, (v) => v.trim()],
      ["timezone", timezone, (t) => t.timezone, (v) => v.trim()],
      ["description", description, (t) => t.description || "", (v) => v.trim()],
      ["payload", payload, (t) => json(t.payload), (v) => JSON.parse(v.trim() || "null")],
      ["retry.max_attempts", attempts, (t) => String(t.retry.max_attempts), Number],
      ["retry.backoff_seconds", backoff, (t) => String(t.retry.backoff_seconds), Number],
      ["timeout_seconds", timeout, (t) => String(t.timeout_seconds), Number],
      ["overlap", overlap, (t) => t.overlap, (v) => v],
    ];

    function fill(task) {
      base = task;
      for (const [, control, shown] of FIELDS) control.value = shown(task);
      clearFieldErrors();
      conflict.hidden = true;
      conflict.replaceChildren();
    }

    // Only what changed goes in the PATCH: a field nobody touched is never rewritten.
    function changes() {
      const body = {};
      for (const [path, control, shown, parse] of FIELDS) {
        if (control.value === shown(base)) continue;
        let value;
        try {
          value = parse(control.value);
        } catch (e) {
          throw new ApiError(0, "invalid_json", "Not valid JSON: " + e.message, path);
        }
        if (path === "payload" && JSON.stringify(value) === JSON.stringify(base.payload)) continue;
        const [head, tail] = path.split(".");
        if (tail) body[head] = Object.assign(body[head] || {}, { [tail]: value });
        else body[head] = value;
      }
      return body;
    }

    function showConflict(error) {
      const reload = h("button", { type: "button" }, "Reload the form");
      reload.addEventListener("click", async () => {
        await afterSave();
        fill(currentTask());
        schedule.focus();
      });
      render(conflict,
        h("p", {}, h("strong", {}, "Not saved: the task was changed elsewhere.")),
        h("p", {}, "You edited version " + base.version + "; " + error.message + ". " +
          "Nothing was overwritten. Reload the form to start again from the latest " +
          "version (your changes here are discarded)."),
        h("p", {}, reload));
      conflict.hidden = false;
      reload.focus();
    }

    async function submit(event) {
      event.preventDefault();
      if (busy || !base) return;
      clearError();
      clearFieldErrors();
      let body;
      try {
        body = changes();
      } catch (error) {
        setFieldError(EDIT_CONTROLS[error.field], error.message);
        controls[EDIT_CONTROLS[error.field]].control.focus();
        return;
      }
      if (!Object.keys(body).length) {
        flash("Nothing to save: no field was changed.");
        return;
      }
      busy = true;
      save.setAttribute("aria-disabled", "true");
      try {
        const task = await api("PATCH", taskPath(id), body,
          { "If-Match": '"' + base.version + '"' });
        section.open = false;
        await afterSave();  // the page shows the saved task before saying so
        flash("Saved \u201c" + taskLabel(task) + "\u201d (version " + task.version + ").");
      } catch (error) {
        if (error.status === 401) return;
        if (error.status === 412) {
          showConflict(error);
          return;
        }
        const controlId = EDIT_CONTROLS[error.field] ||
          (error.field && error.field.startsWith("payload") ? "e-payload" : null);
        if (controlId && setFieldError(controlId, error.message)) {
          controls[controlId].control.focus();
        } else {
          showError(error, "The task was not saved");
        }
      } finally {
        busy = false;
        save.removeAttribute("aria-disabled");
      }
    }

    const form = h("form", { novalidate: true, "aria-label": "Edit task" },
      h("div", { class: "row2" },
        field("e-schedule", "Schedule", schedule),
        field("e-timezone", "Time zone", timezone, null)),
      field("e-description", "Description", description),
      field("e-payload", "Payload (JSON)", payload),
      h("div", { class: "row3" },
        field("e-attempts", "Maximum attempts", attempts),
        field("e-backoff", "Backoff (seconds)", backoff),
        field("e-timeout", "Timeout (seconds)", timeout),
        field("e-overlap", "Overlap", overlap)),
      conflict,
      h("div", { class: "toolbar" }, save, cancel,
        h("span", { class: "muted small" }, "Saves only the fields you change.")));
    form.addEventListener("submit", submit);
    const summary = h("summary", {}, "Edit task");
    const section = h("details", { class: "card tool" }, summary, form);
    cancel.addEventListener("click", () => { section.open = false; });
    // Opening the form fills it from the task as last read: that version is the one the
    // save must find unchanged. It is filled in the summary's click (mouse or keyboard),
    // which runs before the details opens: the "toggle" event comes later, queued behind
    // input the browser may run first, and filling there could wipe what was just typed.
    summary.addEventListener("click", () => {
      if (!section.open && currentTask()) fill(currentTask());
    });
    section.addEventListener("toggle", () => {
      if (section.open && !form.contains(document.activeElement)) schedule.focus();
    });
    return section;
  }

  // ---- backfill ---------------------------------------------------------------------

  // A datetime-local value ("2026-05-01T09:00" or with seconds) read as UTC.
  function utcFromLocalInput(value) {
    if (!value) return null;
    return (value.length === 16 ? value + ":00" : value) + "Z";
  }

  function localInputFromDate(date) {
    return date.toISOString().slice(0, 19);
  }

  // "Backfill": run the task's scheduled times in a past range now (times in UTC, as the
  // API's range is absolute; the task's own zone only decides which times those are).
  function backfillSection(id, currentTask, afterBackfill) {
    const { controls, field, setFieldError, clearFieldErrors } = formFields();
    const from = h("input", { type: "datetime-local", step: "1" });
    const to = h("input", { type: "datetime-local", step: "1" });
    const submit = h("button", { type: "submit", class: "primary" }, "Run these fires now");
    const outcome = h("p", { class: "small", role: "status" });
    let busy = false;

    async function backfill(event) {
      event.preventDefault();
      if (busy) return;
      clearError();
      clearFieldErrors();
      outcome.textContent = "";
      const start = utcFromLocalInput(from.value);
      const end = utcFromLocalInput(to.value);
      if (!start) { setFieldError("b-from", "Enter the start of the range."); from.focus(); return; }
      if (!end) { setFieldError("b-to", "Enter the end of the range."); to.focus(); return; }
      busy = true;
      submit.setAttribute("aria-disabled", "true");
      try {
        const reply = await api("POST", taskPath(id, "backfill"), { start, end });
        const task = currentTask();
        const what = reply.fires === 1 ? "1 run" : reply.fires + " runs";
        outcome.className = "small";
        outcome.textContent = "Queued " + what + " (fire times from " + start + " to " + end +
          ").";
        flash("Backfill of \u201c" + (task ? taskLabel(task) : id) + "\u201d: queued " +
          what + ".");
        await afterBackfill();
      } catch (error) {
        if (error.status === 401) return;
        const controlId = error.field === "start" ? "b-from" : error.field === "end" ? "b-to"
          : null;
        if (!controlId || !setFieldError(controlId, error.message)) {
          outcome.className = "small error-text";
          outcome.textContent = "Not queued: " + error.message;
        } else {
          controls[controlId].control.focus();
        }
      } finally {
        busy = false;
        submit.removeAttribute("aria-disabled");
      }
    }

    const form = h("form", { novalidate: true, "aria-label": "Backfill" },
      h("p", { class: "hint" }, "Runs the task's scheduled fire times in this range now, both " +
        "ends included (at most 1,000). A time that already ran is not run again. " +
        "Times are UTC."),
      h("div", { class: "row2" },
        field("b-from", "From (UTC)", from),
        field("b-to", "To (UTC)", to)),
      h("div", { class: "toolbar" }, submit), outcome);
    form.addEventListener("submit", backfill);
    const section = h("details", { class: "card tool" }, h("summary", {}, "Backfill"), form);
    // Opened empty, it proposes the last hour.
    section.addEventListener("toggle", () => {
      if (!section.open || from.value || to.value) return;
      const end = new Date(Math.floor(Date.now() / 60000) * 60000);
      to.value = localInputFromDate(end);
      from.value = localInputFromDate(new Date(end.getTime() - 3600000));
    });
    return section;
  }

  // ---- the runs chart -----------------------------------------------------------------

  const SVG_NS = "http://www.w3.org/2000/svg";
  const CHART = { width: 720, height: 220, left: 64, right: 16, top: 14, bottom: 34 };

  function svg(tag, attributes, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      el.setAttribute(name, String(value));
    }
    return add(el, children);
  }

  // The task's recent runs: fire time across, lateness up, one dot per run coloured by
  // status. A run not started yet (no lateness) sits on the zero line, drawn hollow.
  function runsChart(runs) {
    const points = runs
      .map((run) => ({ run, at: Date.parse(run.fire_at), late: run.lateness_ms }))
      .filter((point) => !Number.isNaN(point.at));
    if (!points.length) return null;
    const times = points.map((point) => point.at);
    let first = Math.min(...times);
    let last = Math.max(...times);
    if (first === last) { first -= 30000; last += 30000; }
    const lates = points.map((point) => point.late || 0);
    const high = niceCeiling(Math.max(0, ...lates));
    const low = Math.min(...lates) < 0 ? -niceCeiling(-Math.min(...lates)) : 0;
    const { width, height, left, right, top, bottom } = CHART;
    const x = (at) => left + (at - first) / (last - first) * (width - left - right);
    const y = (ms) => top + (high - ms) / (high - low) * (height - top - bottom);

    const oldest = points.reduce((a, b) => (a.at <= b.at ? a : b)).run.fire_at;
    const newest = points.reduce((a, b) => (a.at >= b.at ? a : b)).run.fire_at;
    const summary = "Lateness of the last " + points.length + " run" +
      (points.length === 1 ? "" : "s") + " by fire time";
    const yTicks = [...new Set([high, high / 2, 0, low])];
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-labelledby": "chart-title chart-desc" },
      svg("title", { id: "chart-title" }, summary),
      svg("desc", { id: "chart-desc" }, "From " + fmtTime(oldest) + " to " + fmtTime(newest) +
        "; lateness from " + lateness(low) + " to " + lateness(high) + "."),
      yTicks.map((ms) => [
        svg("line", { class: ms === 0 ? "axis zero" : "grid", x1: left, x2: width - right,
          y1: y(ms), y2: y(ms) }),
        svg("text", { class: "tick", x: left - 6, y: y(ms) + 4, "text-anchor": "end" },
          lateness(ms)),
      ]),
      svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: height - bottom }),
      svg("text", { class: "tick", x: left, y: height - bottom + 16, "text-anchor": "start" },
        fmtTime(oldest)),
      svg("text", { class: "tick", x: width - right, y: height - bottom + 16,
        "text-anchor": "end" }, fmtTime(newest)),
      svg("text", { class: "tick", x: (left + width - right) / 2, y: height - 4,
        "text-anchor": "middle" }, "fire time \u2192 \u00b7 lateness \u2191"),
      points.map(({ run, at, late }) => svg("circle", {
        class: "point p-" + statusClass(run.status) + (late === null || late === undefined
          ? " unstarted" : ""),
        cx: x(at).toFixed(1), cy: y(late || 0).toFixed(1), r: 4,
        "data-execution-id": run.execution_id,
      }, svg("title", {}, fmtTime(run.fire_at) + " \u00b7 " + run.status + " \u00b7 " +
        "lateness " + lateness(late)))));

    const counts = new Map();
    for (const { run } of points) counts.set(run.status, (counts.get(run.status) || 0) + 1);
    const legend = h("ul", { class: "legend", "aria-label": "Runs by status" },
      [...counts].map(([status, count]) => h("li", {},
        h("span", { class: "swatch p-" + statusClass(status), "aria-hidden": "true" }),
        status + " " + count)));
    return h("figure", {}, chart, legend);
  }

  // The top of the lateness scale: the smallest 1, 2 or 5 x 10^n ms (at least 10 ms) at
  // or above `ms`, so the ticks read as round numbers.
  function niceCeiling(ms) {
    for (let power = 10; ; power *= 10) {
      for (const factor of [1, 2, 5]) {
        if (power * factor >= ms) return power * factor;
      }
    }
  }

  function statusClass(status) {
    return KNOWN_BADGES.includes(status) ? status : "other";
  }

  function taskProps(task) {
    const words = h("span", { class: "desc" });
    describeInto(words, task);
    const rows = [
      ["ID", h("span", { class: "mono" }, task.id)],
      ["Schedule", [h("code", {}, task.schedule), " \u2014 ", words]],
      ["Time zone", task.timezone],
      ["Next fire times", task.state === "active" ? fireTimes(task.next_fire_times, 5)
        : h("span", { class: "muted" }, task.state)],
      ["Last run", lastRun(task.last_run)],
      ["Target", h("span", { class: "mono" }, targetSummary(task.target))],
      ["Payload", h("pre", {}, json(task.payload))],
      ["Retry", "up to " + task.retry.max_attempts + " attempts, backoff " +
        task.retry.backoff_seconds + " s (max " + task.retry.max_backoff_seconds +
        " s), events expire after " + task.retry.max_event_age_seconds + " s"],
      ["Timeout", task.timeout_seconds + " s"],
      ["Overlap", task.overlap],
      ["Misfire", task.misfire.policy + " (grace " + task.misfire.grace_seconds + " s)"],
    ];
    if (task.jitter_seconds) rows.push(["Jitter", task.jitter_seconds + " s"]);
    if (task.max_runs != null) {
      rows.push(["Run limit", task.remaining_runs + " of " + task.max_runs +
        " scheduled runs left"]);
    }
    if (task.pause_after_failures != null) {
      rows.push(["Pause after", task.pause_after_failures + " consecutive failed runs"]);
    }
    if (task.state === "paused") {
      rows.push(["Paused", task.pause_reason === "failures"
        ? "after " + (task.pause_after_failures || "repeated") + " consecutive failed runs"
        : "by its user"]);
    }
    if ((task.exclude || []).length) {
      rows.push(["Excluded days", task.exclude.map((entry, i) => [i ? ", " : "",
        entry.startsWith("calendar:")
          ? h("a", { href: calendarHref(entry.slice("calendar:".length)) }, h("code", {}, entry))
          : h("code", {}, entry)])]);
    }
    if ((task.notifications || []).length) {
      rows.push(["Notifications", h("ul", { class: "plain notifications" },
        task.notifications.map((notification) => h("li", {},
          notification.on.map((event, i) => [i ? ", " : "", h("code", {}, event)]),
          " \u2192 ", h("span", { class: "mono" }, destinationSummary(notification.destination)))))]);
    }
    if (task.start_at) rows.push(["Starts", time(task.start_at)]);
    if (task.end_at) rows.push(["Ends", time(task.end_at)]);
    if (task.description) rows.push(["Description", task.description]);
    const tags = Object.entries(task.tags || {});
    if (tags.length) {
      rows.push(["Tags", tags.map(([k, v], i) => [i ? ", " : "", h("code", {}, k + ":" + v)])]);
    }
    rows.push(["Version", String(task.version)]);
    rows.push(["Created", time(task.created_at)]);
    rows.push(["Updated", time(task.updated_at)]);
    return h("dl", { class: "props" },
      rows.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
  }

  function runsTable(runs) {
    if (!runs.length) {
      return h("p", { class: "card muted" },
        "No runs yet. They appear here as the task fires (or when you trigger it).");
    }
    return h("table", { class: "runs" },
      h("caption", { class: "sr-only" }, "Runs, newest first"),
      h("thead", {}, h("tr", {}, ["Fire time", "Status", "Attempt", "Lateness", "Started",
        "Finished", "Error or result"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, runs.map((run) => h("tr", { "data-execution-id": run.execution_id },
        h("td", {}, time(run.fire_at),
          h("div", { class: "muted small mono ids" }, run.execution_id)),
        h("td", {}, badge(run.status)),
        h("td", {}, String(run.attempt)),
        h("td", {}, lateness(run.lateness_ms)),
        h("td", {}, instant(run.started_at)),
        h("td", {}, instant(run.finished_at)),
        h("td", {}, runOutcome(run))))));
  }

  function runOutcome(run) {
    const parts = [];
    if (run.error) parts.push(h("div", { class: "error-text" }, run.error));
    if (run.reason) parts.push(h("div", {}, "reason: " + run.reason));
    if (run.next_attempt_at) parts.push(h("div", { class: "small" }, "next attempt ",
      time(run.next_attempt_at, true)));
    if (run.result !== null && run.result !== undefined) {
      parts.push(h("code", { class: "small", title: json(run.result, 2000) },
        json(run.result, 120)));
    }
    return parts.length ? parts : h("span", { class: "muted" }, "\u2014");
  }

  // ---- forms ------------------------------------------------------------------------

  // Labelled form fields, each with a hint and an error line tied to its control by
  // aria-describedby, so an API error about a field is read out with the field.
  function formFields() {
    const controls = {};

    function field(id, label, control, hint) {
      control.id = id;
      const error = h("p", { class: "field-error", id: id + "-error", hidden: true });
      const hintEl = hint ? h("p", { class: "hint", id: id + "-hint" }, hint) : null;
      control.setAttribute("aria-describedby", (hintEl ? id + "-hint " : "") + id + "-error");
      controls[id] = { control, error };
      return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl, error);
    }

    function setFieldError(id, message) {
      const entry = controls[id];
      if (!entry) return false;
      entry.error.textContent = message || "";
      entry.error.hidden = !message;
      if (message) entry.control.setAttribute("aria-invalid", "true");
      else entry.control.removeAttribute("aria-invalid");
      return true;
    }

    function clearFieldErrors() {
      for (const id of Object.keys(controls)) setFieldError(id, "");
    }

    return { controls, field, setFieldError, clearFieldErrors };
  }

  // ---- create a task ------------------------------------------------------------------

  // An API error's `field` (dotted path) -> the form control that holds it.
  const FIELD_CONTROLS = {
    name: "f-name", schedule: "f-schedule", timezone: "f-timezone", payload: "f-payload",
    description: "f-description", "retry.max_attempts": "f-attempts",
    timeout_seconds: "f-timeout", overlap: "f-overlap", "target.url": "f-url",
    "target.method": "f-method", "target.name": "f-handler",
  };

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "console-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function showCreate() {
    const token = viewToken;
    const { controls, field, setFieldError, clearFieldErrors } = formFields();

    const name = h("input", { type: "text", autocomplete: "off", spellcheck: "false",
      maxlength: "64", placeholder: "nightly-report" });
    const schedule = h("input", { type: "text", autocomplete: "off", spellcheck: "false",
      required: true, placeholder: "*/15 * * * *" });
    const timezone = h("input", { type: "text", autocomplete: "off", spellcheck: "false",
      list: "zones", value: "UTC" });
    let zones = [];
    try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { zones = []; }
    const zoneList = h("datalist", { id: "zones" },
      ["UTC", ...zones].map((z) => h("option", { value: z })));

    const typeHttp = h("input", { type: "radio", name: "target-type", id: "t-http", value: "http",
      checked: true });
    const typeHandler = h("input", { type: "radio", name: "target-type", id: "t-handler",
      value: "handler" });
    const url = h("input", { type: "url", autocomplete: "off", spellcheck: "false",
      placeholder: "https://example.com/hook" });
    const method = h("select", {}, ["POST", "GET", "PUT", "PATCH", "DELETE"]
      .map((m) => h("option", { value: m }, m)));
    const handler = h("input", { type: "text", autocomplete: "off", spellcheck: "false",
      list: "handlers", placeholder: "echo" });
    const handlerList = h("datalist", { id: "handlers" },
      HANDLERS.map((n) => h("option", { value: n })));
    const httpBox = h("div", { class: "row" },
      field("f-url", "URL", url), field("f-method", "Method", method));
    const handlerBox = h("div", { hidden: true },
      field("f-handler", "Handler name", handler,
        "A function registered in the executor, e.g. echo (returns the payload)."));
    const payload = h("textarea", { rows: "5", spellcheck: "false" });
    payload.value = "{}";

    const description = h("input", { type: "text", autocomplete: "off", maxlength: "1024" });
    const attempts = h("input", { type: "number", min: "1", max: "100", value: "3",
      inputmode: "numeric" });
    const timeout = h("input", { type: "number", min: "1", value: "30", inputmode: "numeric" });
    const overlap = h("select", {}, [["allow", "allow \u2014 runs may overlap"],
      ["skip", "skip \u2014 skip a fire while a run is going"],
      ["buffer_one", "buffer_one \u2014 queue one fire"]]
      .map(([value, text]) => h("option", { value }, text)));
    const more = h("details", {}, h("summary", {}, "More options"),
      field("f-description", "Description", description),
      field("f-attempts", "Maximum attempts", attempts),
      field("f-timeout", "Timeout (seconds)", timeout),
      field("f-overlap", "Overlap", overlap));

    const preview = h("div", { class: "preview", id: "preview", "aria-live": "polite" },
      h("p", { class: "muted" }, "Type a schedule to see its next fire times."));
    const submit = h("button", { type: "submit", class: "primary" }, "Create task");

    function syncTarget() {
      httpBox.hidden = !typeHttp.checked;
      handlerBox.hidden = !typeHandler.checked;
      url.required = typeHttp.checked;
      handler.required = typeHandler.checked;
    }
    typeHttp.addEventListener("change", syncTarget);
    typeHandler.addEventListener("change", syncTarget);

    // Live preview: debounced; only the newest answer is shown.
    let previewTimer = null;
    let previewSeq = 0;
    // The periodic refresh only keeps "in 5 s" current; it never re-sends a schedule the
    // API refused (that answer would not change), only the next edit does.
    let previewAccepted = false;
    async function runPreview() {
      const seq = ++previewSeq;
      const expression = schedule.value.trim();
      const zone = timezone.value.trim() || "UTC";
      previewAccepted = false;
      if (!expression) {
        setFieldError("f-schedule", "");
        render(preview, h("p", { class: "muted" }, "Type a schedule to see its next fire times."));
        return;
      }
      try {
        const reply = await api("POST", "/preview",
          { schedule: expression, timezone: zone, count: 5 });
        if (seq !== previewSeq || !isCurrent(token)) return;
        previewAccepted = true;
        setFieldError("f-schedule", "");
        setFieldError("f-timezone", "");
        render(preview, h("p", { class: "desc" }, reply.description),
          h("ol", { class: "times numbered", "aria-label": "Next fire times" },
            reply.fire_times.map((t) => h("li", {}, time(t, true)))));
      } catch (error) {
        if (seq !== previewSeq || !isCurrent(token) || error.status === 401) return;
        const onZone = error.field === "timezone";
        if (error.status >= 400 && error.status < 500) {
          setFieldError(onZone ? "f-timezone" : "f-schedule", error.message);
          setFieldError(onZone ? "f-schedule" : "f-timezone", "");
          render(preview, h("p", { class: "muted" },
            "No preview until the " + (onZone ? "time zone" : "schedule") + " is valid."));
        } else {
          render(preview, h("p", { class: "error-text" }, "Preview failed: " + error.message));
        }
      }
    }
    function previewSoon() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(runPreview, PREVIEW_DELAY_MS);
    }
    schedule.addEventListener("input", previewSoon);
    timezone.addEventListener("input", previewSoon);
    timezone.addEventListener("change", previewSoon);

    payload.addEventListener("input", () => {
      try { JSON.parse(payload.value || "null"); setFieldError("f-payload", ""); }
      catch (e) { setFieldError("f-payload", "Not valid JSON: " + e.message); }
    });

    function controlFor(path) {
      if (!path) return null;
      if (FIELD_CONTROLS[path]) return FIELD_CONTROLS[path];
      if (path.startsWith("payload")) return "f-payload";
      if (path === "target" || path.startsWith("target.")) {
        return typeHttp.checked ? "f-url" : "f-handler";
      }
      if (path.startsWith("retry")) return "f-attempts";
      return null;
    }

    function fail(id, message) {
      setFieldError(id, message);
      return id;
    }

    let idempotencyKey = newIdempotencyKey();
    let lastBody = null;
    let busy = false;

    async function create(event) {
      event.preventDefault();
      if (busy) return;
      clearError();
      clearFieldErrors();
      const body = { schedule: schedule.value.trim(), timezone: timezone.value.trim() || "UTC" };
      const invalid = [];
      if (name.value.trim()) body.name = name.value.trim();
      if (!body.schedule) invalid.push(fail("f-schedule", "Enter a schedule, e.g. */15 * * * *."));
      if (typeHttp.checked) {
        if (!url.value.trim()) invalid.push(fail("f-url", "Enter the URL to call."));
        body.target = { type: "http", url: url.value.trim(), method: method.value };
      } else {
        if (!handler.value.trim()) {
          invalid.push(fail("f-handler", "Enter a handler name, e.g. echo."));
        }
        body.target = { type: "handler", name: handler.value.trim() };
      }
      try {
        body.payload = JSON.parse(payload.value.trim() || "{}");
      } catch (e) {
        invalid.push(fail("f-payload", "Not valid JSON: " + e.message));
      }
      if (description.value.trim()) body.description = description.value.trim();
      if (attempts.value !== "") body.retry = { max_attempts: Number(attempts.value) };
      if (timeout.value !== "") body.timeout_seconds = Number(timeout.value);
      body.overlap = overlap.value;
      if (invalid.length) {
        const first = controls[invalid[0]].control;
        if (more.contains(first)) more.open = true;
        first.focus();
        return;
      }
      // A retry of the same body (say, after a network error) reuses the key, so the
      // API returns the first response instead of creating the task twice.
      const text = JSON.stringify(body);
      if (text !== lastBody) {
        idempotencyKey = newIdempotencyKey();
        lastBody = text;
      }
      busy = true;
      submit.setAttribute("aria-disabled", "true");
      try {
        const task = await api("POST", "/tasks", body, { "Idempotency-Key": idempotencyKey });
        flash("Created \u201c" + taskLabel(task) + "\u201d.");
        go(taskHref(task.id));
      } catch (error) {
        if (error.status === 401) return;
        const id = controlFor(error.field);
        if (id && setFieldError(id, error.message)) {
          const control = controls[id].control;
          if (more.contains(control)) more.open = true;
          control.focus();
        }
        showError(error, "The task was not created");
      } finally {
        busy = false;
        submit.removeAttribute("aria-disabled");
      }
    }

    const form = h("form", { novalidate: true, "aria-labelledby": "create-title" },
      field("f-name", "Name", name, "Optional. Letters, digits, '.', '_' or '-'; unique."),
      field("f-schedule", "Schedule", schedule,
        ["Cron with 5 fields, or 6 with seconds first (",
          h("code", {}, "*/2 * * * * *"), "), ", h("code", {}, "cron(\u2026)"), ", ",
          h("code", {}, "rate(5 minutes)"), ", ", h("code", {}, "at(2030-01-01T09:00:00)"), ", ",
          h("code", {}, "@daily"), ", ", h("code", {}, "@every 1h30m"), "."]),
      field("f-timezone", "Time zone", timezone, "An IANA name, e.g. Europe/Berlin."),
      zoneList,
      h("fieldset", {}, h("legend", {}, "Target"),
        h("div", { class: "radios" },
          h("label", {}, typeHttp, " HTTP URL"),
          h("label", {}, typeHandler, " Handler")),
        httpBox, handlerBox, handlerList),
      field("f-payload", "Payload (JSON)", payload,
        "Sent as the HTTP body, or passed to the handler."),
      more,
      h("div", { class: "toolbar" }, submit, h("a", { href: "#/tasks" }, "Cancel")));
    form.addEventListener("submit", create);
    syncTarget();

    $main.replaceChildren(
      h("h1", { id: "create-title", tabindex: "-1" }, "New task"),
      h("div", { class: "create" }, form,
        h("section", { class: "card", "aria-labelledby": "preview-title" },
          h("h2", { id: "preview-title" }, "Next fire times"), preview)));
    every(PREVIEW_REFRESH_MS, async () => { if (previewAccepted) await runPreview(); });
    if (!moveFocus) schedule.focus();
  }

  // ---- overview ------------------------------------------------------------------------

  const HOUR_MS = 3600000;
  const DAY_MS = 24 * HOUR_MS;
  const OVERVIEW_REFRESH_MS = 30000;
  const OVERVIEW_TASK_PAGES = 2;  // the first 100 tasks
  const OVERVIEW_DEAD_LETTER_PAGES = 3;
  const OVERVIEW_PARALLEL = 4;  // run-history reads in flight at once

  // Run `work` on each item, a few at a time.
  async function inBatches(items, size, work) {
    const results = [];
    for (let i = 0; i < items.length; i += size) {
      results.push(...await Promise.all(items.slice(i, i + size).map(work)));
    }
    return results;
  }

  // A count over a window, and whether it may be higher (the page read ended inside it).
  function tally() {
    return { hour: 0, day: 0, hourMore: false, dayMore: false };
  }

  function countInto(counts, at, now) {
    if (at >= now - HOUR_MS) counts.hour += 1;
    if (at >= now - DAY_MS) counts.day += 1;
  }

  function markTruncated(counts, oldest, now) {
    if (oldest >= now - HOUR_MS) counts.hourMore = true;
    if (oldest >= now - DAY_MS) counts.dayMore = true;
  }

  // The tenant's fires, failures and dead letters over the last hour and day, from the
  // API's lists: the tasks (whose last run tells which ran today at all), one page of
  // runs for each of those, and the dead letters. Fires and failures count by fire time.
  async function loadOverview() {
    const now = Date.now();
    const tasks = [];
    let next = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: "50" });
      if (next) query.set("next_token", next);
      const reply = await api("GET", "/tasks?" + query);
      tasks.push(...reply.tasks);
      next = reply.next_token;
      pages += 1;
    } while (next && pages < OVERVIEW_TASK_PAGES);
    const moreTasks = Boolean(next);

    const ranToday = tasks.filter((task) => task.last_run &&
      Date.parse(task.last_run.fire_at) >= now - DAY_MS);
    const perTask = await inBatches(ranToday, OVERVIEW_PARALLEL, async (task) => {
      const fires = tally();
      const failures = tally();
      let reply;
      try {
        reply = await api("GET", taskPath(task.id, "runs") + "?limit=" + RUNS_CHARTED);
      } catch (error) {
        // Deleted since the list was read: its runs are no longer listed anywhere.
        if (error.status === 404) return { task, fires, failures };
        throw error;
      }
      for (const run of reply.runs) {
        const at = Date.parse(run.fire_at);
        countInto(fires, at, now);
        if (run.status === "failed") countInto(failures, at, now);
      }
      if (reply.next_token && reply.runs.length) {
        const oldest = Math.min(...reply.runs.map((run) => Date.parse(run.fire_at)));
        markTruncated(fires, oldest, now);
        markTruncated(failures, oldest, now);
      }
      return { task, fires, failures };
    });

    const deadLetters = tally();
    next = null;
    pages = 0;
    let older = false;
    let oldestSeen = now;
    do {
      const query = new URLSearchParams({ limit: "100" });
      if (next) query.set("next_token", next);
      const reply = await api("GET", "/dead-letters?" + query);
      for (const item of reply.dead_letters) {
        const at = Date.parse(item.dead_lettered_at);
        if (at < now - DAY_MS) older = true;
        oldestSeen = Math.min(oldestSeen, at);
        countInto(deadLetters, at, now);
      }
      next = reply.next_token;
      pages += 1;
    } while (next && !older && pages < OVERVIEW_DEAD_LETTER_PAGES);
    if (next && !older) markTruncated(deadLetters, oldestSeen, now);

    const fires = tally();
    const failures = tally();
    for (const one of perTask) {
      for (const [total, part] of [[fires, one.fires], [failures, one.failures]]) {
        total.hour += part.hour;
        total.day += part.day;
        total.hourMore = total.hourMore || part.hourMore;
        total.dayMore = total.dayMore || part.dayMore;
      }
    }
    return { fires, failures, deadLetters, perTask, taskCount: tasks.length, moreTasks };
  }

  function showOverview() {
    const token = viewToken;
    const body = h("div", {}, h("p", { class: "muted" }, "Loading\u2026"));
    const updated = h("span", { class: "muted small" });

    async function load() {
      const overview = await loadOverview();
      if (!isCurrent(token)) return;
      render(body, overviewTotals(overview), overviewByTask(overview.perTask),
        h("p", { class: "muted small" }, overviewScope(overview)));
    }
    const refresh = tracked(updated, load,
      "Auto-refreshing every " + OVERVIEW_REFRESH_MS / 1000 + " s");

    const reload = h("button", { type: "button" }, "Refresh");
    reload.addEventListener("click", refresh);
    $main.replaceChildren(heading("Overview"),
      h("p", { class: "muted" }, "This tenant's fires, failures and dead letters over the " +
        "last hour and the last day."),
      h("div", { class: "toolbar" }, reload, updated), body);
    every(OVERVIEW_REFRESH_MS, refresh);
    return refresh();
  }

  // "12", or "100+" when the lists read ended inside the span.
  function counted(counts, span) {
    return String(counts[span]) + (counts[span + "More"] ? "+" : "");
  }

  function overviewTotals({ fires, failures, deadLetters }) {
    const row = (label, span) => h("tr", {},
      h("th", { scope: "row" }, label),
      h("td", { "data-metric": "fires-" + span }, counted(fires, span)),
      h("td", { "data-metric": "failures-" + span, class: failures[span] ? "error-text" : null },
        counted(failures, span)),
      h("td", { "data-metric": "dead-letters-" + span }, counted(deadLetters, span)));
    return h("table", { class: "overview" },
      h("caption", { class: "sr-only" }, "Fires, failures and dead letters"),
      h("thead", {}, h("tr", {}, ["", "Fires", "Failures", "Dead letters"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, row("Last hour", "hour"), row("Last day", "day")));
  }

  function overviewByTask(perTask) {
    const busy = perTask.filter((one) => one.fires.day)
      .sort((a, b) => b.failures.day - a.failures.day || b.fires.day - a.fires.day);
    if (!busy.length) return h("p", { class: "card" }, "No task fired in the last day.");
    return [h("h2", {}, "By task (last day)"), h("div", { class: "wide" },
      h("table", { class: "by-task" },
        h("thead", {}, h("tr", {}, ["Task", "Fires (hour)", "Fires (day)", "Failures (hour)",
          "Failures (day)"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, busy.map(({ task, fires, failures }) => h("tr", {},
          h("td", {}, h("a", { href: taskHref(task.id) }, taskLabel(task))),
          h("td", {}, counted(fires, "hour")), h("td", {}, counted(fires, "day")),
          h("td", {}, counted(failures, "hour")), h("td", {}, counted(failures, "day")))))))];
  }

  function overviewScope({ taskCount, moreTasks, perTask }) {
    return "Counted from the last " + RUNS_CHARTED + " runs of each task that ran in the " +
      "last day (" +
      perTask.length + " of " + taskCount + " task" + (taskCount === 1 ? "" : "s") +
      (moreTasks ? "; only the first " + taskCount + " tasks are read" : "") + "). " +
      "\u201c+\u201d: at least that many. Fires and failures count by fire time; runs of " +
      "deleted tasks are not counted.";
  }

  // ---- dead letters ----------------------------------------------------------------

  function showDeadLetters() {
    const token = viewToken;
    const body = h("div", { class: "wide" }, h("p", { class: "muted" }, "Loading\u2026"));
    const updated = h("span", { class: "muted small" });
    const all = actionButton("Redrive all", "redrive-all", "Redrive all dead letters", async () => {
      const reply = await api("POST", "/dead-letters/redrive", {});
      clearError();
      flash("Redriven: " + reply.redriven + " execution(s) sent to run again.");
      await refresh();
    }, "primary");

    async function load() {
      const reply = await api("GET", "/dead-letters?limit=100");
      if (!isCurrent(token)) return;
      all.hidden = !reply.dead_letters.length;
      render(body, deadLettersTable(reply.dead_letters));
    }
    const refresh = tracked(updated, load,
      "Auto-refreshing every " + LIST_REFRESH_MS / 1000 + " s");

    function deadLettersTable(items) {
      if (!items.length) {
        return h("p", { class: "card" },
          "No dead letters: every execution succeeded or is still being retried.");
      }
      return h("table", { class: "dead-letters" },
        h("caption", { class: "sr-only" }, "Dead letters, newest first"),
        h("thead", {}, h("tr", {}, ["Execution", "Task", "Fire time", "Attempts", "Error",
          "Dead-lettered", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, items.map((item) => h("tr", { "data-execution-id": item.execution_id },
          h("td", { class: "mono small ids" }, item.execution_id),
          h("td", {}, h("a", { href: taskHref(item.task_id), class: "mono small" }, item.task_id)),
          h("td", {}, time(item.fire_at)),
          h("td", {}, item.attempt === null || item.attempt === undefined
            ? "\u2014" : String(item.attempt)),
          h("td", {}, h("div", { class: "error-text" }, item.error || ""),
            item.reason ? h("div", { class: "muted small" }, "reason: " + item.reason) : null),
          h("td", {}, time(item.dead_lettered_at, true)),
          h("td", { class: "actions" }, actionButton("Redrive", "redrive:" + item.execution_id,
            "Redrive " + item.execution_id, async () => {
              const reply = await api("POST", "/dead-letters/redrive",
                { execution_ids: [item.execution_id] });
              clearError();
              flash("Redriven: " + reply.redriven + " execution(s) sent to run again.");
              await refresh();
            }))))));
    }

    const reload = h("button", { type: "button" }, "Refresh");
    reload.addEventListener("click", refresh);
    $main.replaceChildren(
      h("div", { class: "head" }, heading("Dead letters"), all),
      h("p", { class: "muted" }, "Executions that failed for good. A redrive runs them again " +
        "with their attempt count kept; they leave this list once they succeed."),
      h("div", { class: "toolbar" }, reload, updated),
      body);
    every(LIST_REFRESH_MS, refresh);
    return refresh();
  }

  // ---- calendars ---------------------------------------------------------------------

  // The tenant's calendars: named sets of days that tasks exclude with `calendar:NAME`.
  // Read-only here: they are written with the API or `sundial calendars`.
  function showCalendars() {
    const token = viewToken;
    const body = h("div", { class: "wide" }, h("p", { class: "muted" }, "Loading\u2026"));
    const updated = h("span", { class: "muted small" });

    async function load() {
      const reply = await api("GET", "/calendars");
      if (!isCurrent(token)) return;
      render(body, calendarsTable(reply.calendars));
    }
    const refresh = tracked(updated, load,
      "Auto-refreshing every " + LIST_REFRESH_MS / 1000 + " s");

    function calendarsTable(calendars) {
      if (!calendars.length) {
        return h("p", { class: "card" }, "No calendars yet. Create one with ",
          h("code", {}, "sundial calendars import NAME FILE.ics"), " or ",
          h("code", {}, "PUT /v1/calendars/NAME"), ".");
      }
      return h("table", { class: "calendars" },
        h("caption", { class: "sr-only" }, "Calendars, by name"),
        h("thead", {}, h("tr", {}, ["Name", "Description", "Days", "Updated"]
          .map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, calendars.map((calendar) => h("tr", { "data-calendar": calendar.name },
          h("td", {}, h("a", { href: calendarHref(calendar.name) }, calendar.name)),
          h("td", {}, calendar.description || h("span", { class: "muted" }, "\u2014")),
          h("td", { "data-days": "" }, String(daysIn(calendar.dates))),
          h("td", {}, time(calendar.updated_at, true))))));
    }

    const reload = h("button", { type: "button" }, "Refresh");
    reload.addEventListener("click", refresh);
    $main.replaceChildren(
      heading("Calendars"),
      h("p", { class: "muted" }, "Days that tasks skip when their ", h("code", {}, "exclude"),
        " names ", h("code", {}, "calendar:NAME"), ", in each task's own time zone."),
      h("div", { class: "toolbar" }, reload, updated),
      body);
    every(LIST_REFRESH_MS, refresh);
    return refresh();
  }

  async function showCalendar(name) {
    const token = viewToken;
    const title = heading(name);
    const back = h("p", {}, h("a", { href: "#/calendars" }, "\u2190 All calendars"));
    const body = h("div", {}, h("p", { class: "muted" }, "Loading\u2026"));
    $main.replaceChildren(back, title, body);
    let calendar;
    try {
      calendar = await api("GET", "/calendars/" + encodeURIComponent(name));
    } catch (error) {
      if (error.status !== 404) throw error;
      if (isCurrent(token)) {
        title.textContent = "Calendar not found";
        render(body, h("p", { class: "card" }, error.message));
      }
      return;
    }
    if (!isCurrent(token)) return;
    const props = h("dl", { class: "props" },
      [["Description", calendar.description || h("span", { class: "muted" }, "\u2014")],
        ["Days", String(daysIn(calendar.dates)) + " (" + calendar.dates.length + " entries)"],
        ["Updated", time(calendar.updated_at, true)],
        ["Used as", h("code", {}, "calendar:" + calendar.name)],
      ].map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
    const dates = h("ul", { class: "plain dates" },
      calendar.dates.map((entry) => h("li", {}, h("code", {}, entry.replace("..", " \u2013 ")))));
    render(body, props, h("section", { "aria-labelledby": "dates-title" },
      h("h2", { id: "dates-title" }, "Dates"), dates));
  }

  // ---- start ---------------------------------------------------------------------------

  $signout.addEventListener("click", () => {
    storeKey(null);
    clearError();
    flash("Signed out.");
    viewToken += 1;
    clearTimeout(refreshTimer);
    showLogin();
  });
  document.getElementById("skip").addEventListener("click", (event) => {
    event.preventDefault();
    const title = $main.querySelector("h1") || $main;
    title.focus();
  });
  window.addEventListener("hashchange", route);
  route();
})();
