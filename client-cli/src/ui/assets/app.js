// The local web app's one script (ADR 0017 §7). Every page works without it;
// it only adds:
//  - polling: new packets show in the tab title and the inbox badge while the
//    app is open, and the inbox is drawn again to list them (the app asks the
//    broker at most once a minute);
//  - the IME guard: Enter that confirms a Japanese conversion must not submit
//    the form;
//  - confirmation of typed fingerprints before an approval is sent.
"use strict";

(function () {
  var POLL_MS = 60 * 1000;
  var titleEl = document.querySelector("title");
  // How many packets the page was drawn with: the inbox is drawn again when
  // the poll finds another number, so new work appears without a reload.
  var drawnWaiting = Number(document.body ? document.body.getAttribute("data-waiting") : 0) || 0;
  var baseTitle = titleEl ? titleEl.getAttribute("data-title") : document.title;

  function showWaiting(count) {
    document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
    var badge = document.getElementById("waiting");
    if (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
  }

  function poll() {
    fetch("/api/poll", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        if (state.locked) {
          if (window.location.pathname !== "/unlock") {
            window.location.assign("/unlock?back=" + encodeURIComponent(window.location.pathname));
          }
          return;
        }
        showWaiting(state.waiting || 0);
        if (window.location.pathname === "/" && (state.waiting || 0) !== drawnWaiting &&
            !document.querySelector("form :focus")) {
          window.location.reload();
          return;
        }
        var trust = document.getElementById("trust");
        if (trust && state.trust) { trust.textContent = state.trust; }
      })
      .catch(function () { /* offline: try again next minute */ });
  }

  // A Japanese (or Chinese, Korean, Vietnamese Telex) IME confirms a
  // conversion with Enter; that keydown has isComposing set (keyCode 229 in
  // older engines). It must not submit the form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) {
      event.preventDefault();
    }
  }, true);

  // Approvals: the button stays disabled until the fingerprint typed matches
  // the one shown (ignoring spaces and case). The server checks it again.
  document.querySelectorAll("[data-confirm-fingerprint]").forEach(function (form) {
    var expected = form.getAttribute("data-confirm-fingerprint").replace(/\s+/g, "").toLowerCase();
    var input = form.querySelector("input[name=typed_fingerprint]");
    var button = form.querySelector("button[type=submit]");
    if (!input || !button) { return; }
    var check = function () {
      // As the server reads it: full-width forms (NFKC) as ASCII, and the
      // spaces, colons and hyphens between groups left out.
      button.disabled = input.value.normalize("NFKC").replace(/[\s:-]+/g, "").toLowerCase() !== expected;
    };
    input.addEventListener("input", check);
    check();
  });

  // Only an unlocked page (it has the lock button) polls: the unlock page
  // itself must not.
  if (document.querySelector("header.top form.lock")) {
    // Once now, so that the trust state is current on every page (the app
    // answers from its last poll if it asked the broker less than a minute
    // ago), then once a minute.
    poll();
    setInterval(poll, POLL_MS);
  }
})();
