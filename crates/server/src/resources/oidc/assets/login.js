// The login page of the OpenID provider (resources/oidc/page.rs). Served as a file: the page's
// Content Security Policy allows no inline script. It waits for the phone's answer on a
// WebSocket; if the socket cannot be used it asks the small status endpoint every few seconds;
// without script at all, the page's "Tiếp tục / Continue" link does the same by hand.
(function () {
  "use strict";
  var main = document.getElementById("login");
  if (!main) {
    return;
  }
  var expiresAt = Number(main.getAttribute("data-expires-at")) * 1000;
  var continueUrl = main.getAttribute("data-continue");
  var statusUrl = main.getAttribute("data-status");
  var eventsUrl = main.getAttribute("data-events");
  var ownPage = main.getAttribute("data-page");
  var waiting = document.getElementById("waiting");
  var expired = document.getElementById("expired");
  var status = document.getElementById("status");
  var finished = false;
  var pollTimer = null;

  function say(vi, en) {
    if (!status) {
      return;
    }
    status.textContent = vi + " ";
    var span = document.createElement("span");
    span.setAttribute("lang", "en");
    span.textContent = en;
    status.appendChild(span);
  }

  function go(declined) {
    if (finished) {
      return;
    }
    finished = true;
    if (declined) {
      say("Đã từ chối trên điện thoại, đang quay lại dịch vụ…",
        "Declined on the phone, going back to the service…");
    } else {
      say("Đã đồng ý trên điện thoại, đang tiếp tục…", "Approved on the phone, continuing…");
    }
    window.location.assign(continueUrl);
  }

  function showExpired() {
    if (finished) {
      return;
    }
    finished = true;
    if (waiting) {
      waiting.hidden = true;
    }
    if (expired) {
      expired.hidden = false;
      var heading = document.getElementById("expired-title");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  }

  function handle(state) {
    if (state === "approved" || state === "declined") {
      go(state === "declined");
    } else if (state === "expired") {
      showExpired();
    } else if (state === "used") {
      finished = true;
      say("Mã này đã được dùng hoặc đã được thay.", "This code was used or replaced.");
    }
  }

  function poll() {
    if (finished) {
      return;
    }
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { handle(body.state); } })
      .catch(function () {})
      .then(function () {
        if (!finished) {
          pollTimer = window.setTimeout(poll, 5000);
        }
      });
  }

  function startPolling() {
    if (!finished && pollTimer === null) {
      pollTimer = window.setTimeout(poll, 2000);
    }
  }

  function openSocket() {
    var url;
    var socket;
    try {
      url = new URL(eventsUrl, window.location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      socket = new WebSocket(url.href);
    } catch (e) {
      startPolling();
      return;
    }
    socket.onmessage = function (event) {
      try {
        handle(JSON.parse(event.data).state);
      } catch (e) {
        startPolling();
      }
    };
    socket.onclose = function () {
      startPolling();
    };
  }

  // Expiry by the page's own clock as well (the server's word still decides).
  function tick() {
    if (finished) {
      return;
    }
    if (Date.now() >= expiresAt + 3000) {
      poll();
      return;
    }
    window.setTimeout(tick, 1000);
  }

  // The page was opened at the authorization endpoint, whose pushed request is used once: a
  // reload there (F5, or a phone's browser bringing back a tab it discarded while the app was
  // in front) would be refused. The address bar gets this sign-in's own page instead, which
  // the same browser may open again.
  if (ownPage && window.history && window.history.replaceState) {
    try {
      window.history.replaceState(null, "", ownPage);
    } catch (e) {}
  }

  if (waiting && !waiting.hidden) {
    openSocket();
    tick();
    // The same-device hand-over: the person comes back from the app to this tab, whose socket
    // a phone may have closed while it was in the background. Ask at once rather than at the
    // next poll.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && !finished) {
        if (pollTimer !== null) {
          window.clearTimeout(pollTimer);
          pollTimer = null;
        }
        poll();
      }
    });
  }
})();
