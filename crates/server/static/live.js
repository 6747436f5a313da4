// Live pages: an element with data-live="<topics>" is fetched again and swapped in place
// when the server says one of its topics changed (GET /live, server-sent events). Without
// JavaScript, or without EventSource, the page is an ordinary page.
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var busy = false;
  var again = false;
  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        // Not while someone is typing in a form of the box.
        var active = document.activeElement;
        var typing = active && box.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName);
        // Swapped only when it changed: what the user points at stays put otherwise.
        if (fresh && !typing && fresh.innerHTML !== box.innerHTML) {
          box.innerHTML = fresh.innerHTML;
          box.setAttribute("data-refreshed", String(Date.now()));
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  var source = new EventSource("/live?topics=" + encodeURIComponent(box.getAttribute("data-live")));
  source.addEventListener("changed", refresh);
  // Opened, or opened again after a drop: what changed between the page being made and
  // the stream listening is fetched too.
  source.addEventListener("open", refresh);
})();
