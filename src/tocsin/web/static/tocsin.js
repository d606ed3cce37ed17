// Tocsin's pages work without this file. It adds the live timeline and the live lists
// (Server-Sent Events) and the copy button for a message ready to paste. No build step, no dependencies.
(function () {
  "use strict";

  function say(text, state) {
    var status = document.getElementById("live-status");
    if (status) {
      status.textContent = text;
      status.setAttribute("data-state", state);
    }
  }

  function follow(list) {
    if (!window.EventSource) {
      return;
    }
    var summary = document.getElementById("summary");
    var shownStatus = summary ? summary.getAttribute("data-status") : null;
    var source = new EventSource(list.getAttribute("data-events"));
    source.addEventListener("open", function () {
      say("Live: new entries appear at the end as they happen.", "on");
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        say("Live updates stopped; reload the page.", "off");
      } else {
        say("Reconnecting…", "off");
      }
    });
    source.addEventListener("ended", function () {
      source.close(); // the session is over: reconnecting would only get a 401
      say("Live updates stopped: your session ended. Log in again to follow.", "off");
    });
    source.addEventListener("entry", function (event) {
      var data = JSON.parse(event.data);
      if (!document.getElementById("entry-" + data.seq)) {
        list.insertAdjacentHTML("beforeend", data.html); // rendered and escaped by the server
      }
    });
    source.addEventListener("incident", function (event) {
      var data = JSON.parse(event.data);
      if (summary) {
        summary.innerHTML = data.html;
      }
      var stale = document.getElementById("stale-actions");
      if (stale && shownStatus && data.status !== shownStatus) {
        stale.hidden = false;
      }
    });
  }

  // Is someone filling in a form inside this region (a field focused or changed)?
  function editing(region) {
    var active = document.activeElement;
    if (active && active.form && region.contains(active)) {
      return true;
    }
    var fields = region.querySelectorAll("input, textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var changed = field.type === "checkbox" || field.type === "radio"
        ? field.checked !== field.defaultChecked
        : field.value !== field.defaultValue;
      if (changed) {
        return true;
      }
    }
    return false;
  }

  // A list page (dashboard, incidents, alerts): when its stream says the list changed, fetch
  // the page again and swap each [data-live] region; forms outside them keep what is typed,
  // and a region holding a form being filled in (a maintenance window's change) is kept as
  // it is until the form is left, then refreshed.
  function liveList(status) {
    if (!window.EventSource || !window.fetch || !window.DOMParser) {
      return;
    }
    var source = new EventSource(status.getAttribute("data-changes"));
    var busy = false;
    var again = false;
    var held = [];
    document.addEventListener("focusout", function (event) {
      window.setTimeout(function () {  // after the focus has moved on
        var waiting = held.filter(function (region) {
          return region.contains(event.target) && !editing(region);
        });
        if (waiting.length) {
          refresh();
        }
      }, 0);
    });
    function refresh() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      fetch(location.href, { credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) {
            throw new Error(String(answer.status));
          }
          return answer.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var regions = document.querySelectorAll("[data-live]");
          held = [];
          Array.prototype.forEach.call(regions, function (region) {
            var next = fresh.getElementById(region.id);
            if (next && editing(region)) {
              held.push(region); // what is being typed stays; refreshed once the form is left
            } else if (next) {
              region.replaceWith(document.importNode(next, true)); // rendered and escaped by the server
            }
          });
          say("Live: updated at " + new Date().toLocaleTimeString() + "." +
              (held.length ? " A form you are filling in is kept as it is." : ""), "on");
        })
        .catch(function () {
          say("Could not update; reload the page.", "off");
        })
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    }
    source.addEventListener("open", function () {
      say("Live: this page updates itself as things change.", "on");
    });
    source.addEventListener("error", function () {
      say(source.readyState === EventSource.CLOSED ? "Live updates stopped; reload the page." : "Reconnecting…", "off");
    });
    source.addEventListener("ended", function () {
      source.close();
      say("Live updates stopped: your session ended. Log in again to follow.", "off");
    });
    source.addEventListener("changed", refresh);
  }

  function copyButtons() {
    var buttons = document.querySelectorAll("[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var note = button.parentNode.querySelector(".copy-status");
      if (!source || !navigator.clipboard) {
        return; // plain http: people select the text instead
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(
          function () { note.textContent = "Copied."; },
          function () { note.textContent = "Could not copy; select the text instead."; }
        );
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("timeline");
    if (list && list.getAttribute("data-events")) {
      follow(list);
    }
    var status = document.getElementById("live-status");
    if (status && status.getAttribute("data-changes")) {
      liveList(status);
    }
    copyButtons();
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.getAttribute("tabindex") === "-1") {
      target.focus();
    }
  });
})();
