/* "使用我的位置" on the phone form: asks the browser for one position, only when pressed, and
   puts it in the form's hidden latitude/longitude fields; the citizen sees what was taken and
   can clear it. No third-party script; without this file the form works without a location. */
(function () {
  "use strict";
  var box = document.getElementById("location");
  var form = box && box.closest("form");
  if (!form) return;
  var lat = form.querySelector("input[name=latitude]");
  var lon = form.querySelector("input[name=longitude]");
  if (!lat || !lon) return;
  var use = document.getElementById("use-location");
  var taken = document.getElementById("location-taken");
  var text = document.getElementById("location-text");
  var clear = document.getElementById("clear-location");
  var status = document.getElementById("location-status");

  function show() {
    var has = lat.value !== "" && lon.value !== "";
    taken.hidden = !has;
    use.hidden = has;
    if (has) {
      var extra = box.dataset.accuracy ? " (±" + box.dataset.accuracy + " " + box.dataset.metres + ")" : "";
      text.textContent = Number(lat.value).toFixed(6) + ", " + Number(lon.value).toFixed(6) + extra;
    }
  }

  function say(message) { status.textContent = message || ""; }

  use.addEventListener("click", function () {
    if (!("geolocation" in navigator)) { say(box.dataset.unsupported); return; }
    say(box.dataset.reading);
    use.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      use.disabled = false;
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      box.dataset.accuracy = Math.round(position.coords.accuracy || 0) || "";
      say("");
      show();
    }, function (error) {
      use.disabled = false;
      say(error.code === 1 ? box.dataset.denied : box.dataset.failed);
    }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
  });

  clear.addEventListener("click", function () {
    lat.value = "";
    lon.value = "";
    delete box.dataset.accuracy;
    say("");
    show();
    use.focus();
  });

  box.hidden = false;
  show();
})();
