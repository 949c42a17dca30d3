// The command-room screen: new cases arrive over the tenant's websocket; the page also polls
// live.json (every few seconds when the server says pushes cannot reach it, rarely otherwise)
// and reconnects a dropped socket with backoff. Case text is citizen input: it is only ever
// set as textContent, never as HTML.
"use strict";
(function () {
  const body = document.body;
  const feed = document.getElementById("feed");
  const status = document.getElementById("live-status");
  const template = document.getElementById("case-template");
  if (!feed || !template) return;

  const pollSeconds = Number(body.dataset.pollSeconds || 30);
  const caseUrl = (id) => body.dataset.caseUrl.replace("/0/", `/${id}/`);
  const alertUrl = (id) => body.dataset.alertUrl.replace("/0/", `/${id}/`);
  const alerts = document.getElementById("alerts");
  let latest = Number(body.dataset.latestId || 0);
  let panelsTimer = null;
  const MAX_FEED = 50;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function render(card) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.id = String(card.id);
    if (card.escalated) item.classList.add("escalated");
    const number = item.querySelector(".number");
    number.textContent = card.tracking_number;
    number.href = caseUrl(card.id);
    item.querySelector(".scenario").textContent = card.scenario;
    item.querySelector(".township").textContent = card.township || "—";
    const state = item.querySelector(".state");
    state.textContent = card.state_label;
    state.className = `state state-${card.state}`;
    const time = item.querySelector("time");
    time.dateTime = card.created_at;
    time.textContent = card.created_at.slice(5, 16).replace("T", " ");
    item.querySelector(".excerpt").textContent = card.excerpt;
    return item;
  }

  function show(card) {
    const existing = feed.querySelector(`li[data-id="${Number(card.id)}"]`);
    const item = render(card);
    if (existing) {
      existing.replaceWith(item);
    } else {
      item.classList.add("fresh");
      feed.querySelector(".empty")?.remove();
      feed.prepend(item);
      while (feed.children.length > MAX_FEED) feed.lastElementChild.remove();
    }
    latest = Math.max(latest, Number(card.id));
    refreshPanelsSoon();
  }

  // One of this person's own alerts (督办提醒), pushed to their screens only.
  function showAlert(alert) {
    if (!alerts || alerts.querySelector(`li[data-id="${Number(alert.id)}"]`)) return;
    const item = document.createElement("li");
    item.className = `alert alert-${alert.kind} fresh`;
    item.dataset.id = String(alert.id);
    const link = document.createElement("a");
    link.href = alertUrl(alert.id);
    link.textContent = alert.text;
    item.append(link);
    alerts.querySelector(".empty")?.remove();
    alerts.prepend(item);
  }

  // The lists and counts are rendered by the server (escaped there); re-fetched in one go
  // a moment after cases arrive, so a burst of cases costs one request.
  function refreshPanelsSoon() {
    clearTimeout(panelsTimer);
    panelsTimer = setTimeout(async () => {
      const response = await fetch(body.dataset.panelsUrl, { credentials: "same-origin" });
      if (response.ok) document.getElementById("panels").innerHTML = await response.text();
      // The map's shading and points change with the same events: one more request per burst.
      const map = document.getElementById("map");
      if (map?.dataset.mapUrl) {
        const drawn = await fetch(map.dataset.mapUrl, { credentials: "same-origin" });
        if (drawn.ok) map.innerHTML = await drawn.text();
      }
    }, 1500);
  }

  async function poll() {
    try {
      const response = await fetch(`${body.dataset.liveUrl}?after=${latest}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403 || response.redirected) {
        setStatus("closed", "登录已失效，请刷新页面重新登录");
        return;
      }
      const data = await response.json();
      data.cases.slice().reverse().forEach(show);
      // Transitions and colour changes of cases already shown reach a polling screen this way.
      refreshPanelsSoon();
    } catch (error) {
      setStatus("polling", "网络中断，正在重试…");
    }
    setTimeout(poll, pollSeconds * 1000);
  }

  let retry = 1;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${body.dataset.socketPath}`);
    socket.addEventListener("open", () => {
      retry = 1;
      // A short poll interval means the server cannot push across processes (no Redis).
      setStatus("live", pollSeconds <= 5 ? `已连接（每 ${pollSeconds} 秒刷新）` : "实时");
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.case) show(message.case);
      if (message.alert) showAlert(message.alert);
    });
    socket.addEventListener("close", () => {
      setStatus("polling", "实时连接中断，定时刷新中");
      retry = Math.min(retry * 2, 60);
      setTimeout(connect, retry * 1000);
    });
  }

  connect();
  setTimeout(poll, pollSeconds * 1000);
})();
