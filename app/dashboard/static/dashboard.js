// uforge-mock's dashboard: keeps the server-rendered sections current and sends the actions.
//
// Every few hundred milliseconds to a few seconds (data-poll-seconds) the page asks
// /_dashboard/live for its sections, rendered by the server, and puts those that changed in
// place. When the server is gone (restarted, stopped) it says so and keeps asking, less often,
// until it answers again. Actions are JSON requests to /_dashboard/control/..., which the
// browser sends with the session cookie (HttpOnly: this script never sees the token).
"use strict";

(function () {
  const body = document.body;
  const pollMs = Math.max(250, 1000 * Number(body.dataset.pollSeconds || "1"));
  const mode = body.dataset.mode;
  const shown = new Map();
  const liveState = document.getElementById("live-state");
  let failures = 0;
  let timer = null;

  function setLiveState(text, kind) {
    liveState.textContent = text;
    liveState.dataset.state = kind;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  async function poll() {
    let retryAfter = 0;
    try {
      const response = await fetch("/_dashboard/live", {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.ok) {
        const news = await response.json();
        if (news.mode !== mode) {
          // The server restarted with another token or setting: start again from the page.
          window.location.reload();
          return;
        }
        for (const [name, html] of Object.entries(news.sections)) {
          if (shown.get(name) === html) continue;
          const target = document.querySelector(`[data-live="${name}"]`);
          if (target) target.innerHTML = html;
          shown.set(name, html);
        }
        failures = 0;
        setLiveState("live", "live");
      } else {
        failures += 1;
        retryAfter = 1000 * Number(response.headers.get("Retry-After") || "0");
        setLiveState(`server answered ${response.status}, retrying`, "trouble");
      }
    } catch (error) {
      failures += 1;
      setLiveState("server unreachable, retrying", "trouble");
    }
    // After failures, ask less often (up to 5 s), so a stopped server costs nothing.
    const backoff = failures ? Math.min(5000, pollMs * 2 ** Math.min(failures, 4)) : pollMs;
    schedule(Math.max(backoff, retryAfter));
  }

  function say(text, kind) {
    const target = document.getElementById("action-message") || document.getElementById("login-message");
    if (!target) return;
    target.textContent = text;
    target.dataset.kind = kind;
  }

  async function errorText(response) {
    try {
      const error = (await response.json()).uforgeError;
      return error.localizedErrorMsg.message || `${response.status}`;
    } catch (ignored) {
      return `the server answered ${response.status}`;
    }
  }

  // One action: a JSON (or seed) request; the page refreshes at once after it.
  async function act(method, path, payload, contentType) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (payload !== undefined) {
      options.headers["Content-Type"] = contentType || "application/json";
      options.body = contentType ? payload : JSON.stringify(payload);
    }
    let response;
    try {
      response = await fetch(`/_dashboard/control${path}`, options);
    } catch (error) {
      say("The server is unreachable", "error");
      return null;
    }
    if (response.status === 401) {
      window.location.reload(); // the session is gone (another token): ask again
      return null;
    }
    if (!response.ok) {
      say(await errorText(response), "error");
      return null;
    }
    say("Done", "ok");
    schedule(0);
    return response;
  }

  function onClick(selector, handler) {
    document.addEventListener("click", (event) => {
      const target = event.target.closest(selector);
      if (target) handler(target, event);
    });
  }

  function onSubmit(id, handler) {
    const form = document.getElementById(id);
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      handler(form);
    });
  }

  onSubmit("login-form", async (form) => {
    const response = await fetch("/_dashboard/session", {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ token: form.elements.token.value }),
    });
    if (response.ok) {
      window.location.reload();
    } else {
      form.elements.token.value = "";
      say(await errorText(response), "error");
    }
  });

  onClick("#logout-button", async () => {
    await fetch("/_dashboard/session", { method: "DELETE", credentials: "same-origin" });
    window.location.reload();
  });

  onClick("[data-clock]", (button) => act("PUT", "/clock", { action: button.dataset.clock }));
  onSubmit("advance-form", (form) =>
    act("PUT", "/clock", { action: "advance", by: form.elements.by.value }),
  );

  onClick("[data-create-export]", (button) => {
    const format = document.getElementById("export-format");
    act("POST", "/exports", {
      mySoftware: Number(button.dataset.createExport),
      outputFormat: format ? format.value : "yaml",
    });
  });

  onClick("[data-create-appliance-export]", (button) => {
    const format = document.getElementById("export-format");
    act("POST", "/applianceexports", {
      appliance: Number(button.dataset.createApplianceExport),
      outputFormat: format ? format.value : "yaml",
    });
  });

  // The actions' paths by the kind of a row (an export 17 of each family may exist).
  const jobPaths = {
    export: "/exports/",
    import: "/bundleimports/",
    "appliance-export": "/applianceexports/",
    "appliance-import": "/applianceimports/",
  };

  onClick("[data-job]", (button) => {
    const path = jobPaths[button.dataset.job];
    const payload = { action: button.dataset.action };
    if (button.dataset.action === "fail") {
      const message = document.getElementById("fail-message");
      if (message && message.value) payload.message = message.value;
    }
    act("POST", path + button.dataset.id, payload);
  });

  onSubmit("fault-form", (form) => {
    const fields = form.elements;
    const spec = { method: fields.method.value, path: fields.path.value };
    if (fields.effect.value === "status") spec.status = Number(fields.status.value);
    if (fields.effect.value === "latency") spec.latencyMs = Number(fields.latencyMs.value);
    if (fields.effect.value === "drop") spec.drop = true;
    if (fields.times.value) spec.times = Number(fields.times.value);
    act("POST", "/faults", spec);
  });
  onClick("[data-remove-fault]", (button) =>
    act("DELETE", `/faults/${button.dataset.removeFault}`),
  );
  onClick("#faults-clear", () => act("DELETE", "/faults"));
  onClick("#journal-clear", () => act("DELETE", "/requests"));
  onClick("#reset-button", () => act("POST", "/reset"));

  onSubmit("seed-form", async (form) => {
    const file = form.elements.seed.files[0];
    if (!file) return;
    const json = file.name.toLowerCase().endsWith(".json");
    const text = await file.text();
    if (await act("POST", "/seed", text, json ? "application/json" : "application/yaml")) {
      form.reset();
    }
  });

  schedule(pollMs);
})();
