// The tracking page: times in the viewer's own time zone, and a copy button.
// The page reads well without it (times in UTC, the code selectable).
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var times = document.querySelectorAll("time[data-local]");
  times.forEach(function (time) {
    var at = new Date(time.getAttribute("datetime"));
    if (isNaN(at)) return;
    time.textContent = at.toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short",
      hour: "2-digit", minute: "2-digit"
    });
    time.title = at.toISOString();
  });
  var note = document.querySelector(".local-note");
  if (note && times.length) {
    note.textContent = "Times are shown in your time zone (" + zone + ").";
    note.hidden = false;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.nextElementSibling;
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        status.textContent = "Copied";
      }, function () {
        status.textContent = "Select the code to copy it";
      });
    });
  });
})();
