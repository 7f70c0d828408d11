// The officer console's waiting page (templates/console/action.html): asks every two seconds
// whether the officer's phone has answered, and reloads the page when it has, so the page
// shows the outcome. Served as a file: the console's Content Security Policy allows no inline
// script. Without script, the page's "check again" link does the same by hand.
(function () {
  "use strict";
  var page = document.querySelector("[data-state-url]");
  if (!page) {
    return;
  }
  var url = page.getAttribute("data-state-url");
  function ask() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 403) {
          // The session ended: the reload shows the sign-in page.
          location.reload();
          return;
        }
        if (!response.ok) {
          setTimeout(ask, 5000);
          return;
        }
        return response.text().then(function (text) {
          if (text === "finished") {
            location.reload();
          } else {
            setTimeout(ask, 2000);
          }
        });
      })
      .catch(function () {
        // Offline for a moment: ask again a little later.
        setTimeout(ask, 5000);
      });
  }
  setTimeout(ask, 2000);
})();
