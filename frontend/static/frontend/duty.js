/* 外勤在岗: while the officer is on duty and this page is open, follow the browser's position
   and post the latest one every few seconds (fetch, same origin, Django's CSRF token). */
(function () {
  "use strict";
  var box = document.getElementById("duty-reporter");
  if (!box) return;
  var last = document.getElementById("duty-last");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var every = Math.max(5, Number(box.dataset.every) || 60) * 1000;
  var latest = null;
  var sentAt = 0;

  function say(text) { last.textContent = text; }

  function send() {
    if (!latest) return;
    var body = new URLSearchParams({
      latitude: latest.latitude.toFixed(6),
      longitude: latest.longitude.toFixed(6),
      accuracy: String(Math.round(latest.accuracy || 0))
    });
    sentAt = Date.now();
    fetch(box.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": token},
      body: body
    }).then(function (response) {
      // Off duty meanwhile, or the session ended (a redirect to the login page): show why.
      if (response.status === 409 || response.status === 403 || response.redirected) {
        window.location.reload();
        return;
      }
      if (!response.ok) { say(box.dataset.offline); return; }
      say(box.dataset.sent + new Date().toLocaleTimeString());
    }).catch(function () { say(box.dataset.offline); });
  }

  if (!("geolocation" in navigator)) { say(box.dataset.unsupported); return; }
  navigator.geolocation.watchPosition(function (position) {
    var first = latest === null;
    latest = position.coords;
    if (first || Date.now() - sentAt >= every) send();
  }, function (error) {
    say(error.code === 1 ? box.dataset.denied : box.dataset.failed);
  }, {enableHighAccuracy: true, maximumAge: 30000, timeout: 60000});
  // A position that does not change sends no new fix: keep reporting it so the officer
  // stays on duty while standing still.
  setInterval(send, every);
  // Keep the screen on while on duty where the browser allows it (the page must stay open).
  if (navigator.wakeLock) { navigator.wakeLock.request("screen").catch(function () {}); }
})();
