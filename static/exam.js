// Enhancements for the exam screen; every page works without this script.
// - a countdown from the server's time left, announced politely at 10 and 5 minutes;
// - autosave: each change posts the form in the background (the server keeps the answer);
// - a reload when time runs out, so the server shows the result.
(function () {
  "use strict";
  var timer = document.querySelector("[data-seconds-left]");
  var announce = document.getElementById("timer-announce");
  if (timer && timer.dataset.secondsLeft !== "") {
    var deadline = Date.now() + Number(timer.dataset.secondsLeft) * 1000;
    var said = {};
    var strong = timer.querySelector("strong");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      if (strong) strong.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 300) timer.classList.add("low");
      [10, 5].forEach(function (mark) {
        if (left <= mark * 60 && left > mark * 60 - 5 && !said[mark] && announce) {
          said[mark] = true;
          announce.textContent = mark + " minutes left.";
        }
      });
      if (left === 0) { window.location.reload(); return; }
      window.setTimeout(tick, 1000);
    };
    tick();
  }
  var form = document.getElementById("item-form");
  // Practice sets are not autosaved: an answer is checked when the candidate asks (Check answer or Next), so
  // that it is rated once, with how sure they said they were.
  if (form && form.getAttribute("data-autosave") !== "off" && window.fetch && window.FormData) {
    // The status has its own fixed-width place in the bar, so that "Saved" appearing moves nothing that
    // the candidate may be about to click (such as "Mark for review").
    var status = form.querySelector(".autosave") || document.createElement("span");
    // One save in flight at a time, so that saves reach the server in the order of the changes: a slow
    // earlier save must not land after a later one and undo it (e.g. clear a mark just set). A change made
    // while a save is in flight is sent when it returns, with the form as it is then.
    var inFlight = null, again = false;
    var save = function () {
      if (inFlight) { again = true; return inFlight; }
      var data = new FormData(form);
      data.set("go", "stay");
      var token = data.get("csrf_token");
      inFlight = fetch(form.action, {
        method: "POST",
        headers: { "Accept": "application/json", "X-CSRF-Token": token },
        body: new URLSearchParams(data),
        credentials: "same-origin"
      }).then(function (r) {
        status.textContent = r.ok ? "Saved" : "Not saved";
        if (r.status === 422) window.location.reload();
      }).catch(function () { status.textContent = "Offline: not saved"; })
        .then(function () {
          inFlight = null;
          if (again) { again = false; return save(); }
        });
      return inFlight;
    };
    form.addEventListener("change", function (e) {
      // Yes/no statements lock once answered, so they are saved when the candidate moves on, not on change.
      if (e.target && e.target.name && e.target.name.indexOf("s:") === 0) return;
      save();
    });
    // Moving on (Next, Previous, Review, End) posts the whole form; it waits for a background save still
    // in flight so that the older save cannot arrive after it.
    form.addEventListener("submit", function (e) {
      if (!inFlight) return;
      e.preventDefault();
      var go = e.submitter && e.submitter.name === "go" ? e.submitter.value : null;
      inFlight.then(function () {
        if (go !== null) {
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = "go";
          hidden.value = go;
          form.appendChild(hidden);
        }
        form.submit();
      });
    });
  }
})();

// Drag-and-drop for ordering and matching items. The selects stay the source of truth (and the keyboard
// and no-JavaScript way to answer): dropping a choice on a position or slot sets that select's value.
// Pointer events rather than HTML5 drag-and-drop, so that a mouse, a finger and a pen all work the same.
(function () {
  "use strict";
  var areas = document.querySelectorAll(".order, .match");
  Array.prototype.forEach.call(areas, function (area) {
    var targets = Array.prototype.filter.call(
      area.querySelectorAll(".answer-area li, dl.slots dd"),
      function (t) { return t.querySelector("select"); });
    targets.forEach(function (t) { t.classList.add("drop-target"); });
    var dragging = null, over = null;
    var targetAt = function (x, y) {
      for (var el = document.elementFromPoint(x, y); el && el !== area; el = el.parentElement) {
        if (targets.indexOf(el) >= 0) return el;
      }
      return null;
    };
    var hover = function (t) {
      if (over === t) return;
      if (over) over.classList.remove("over");
      over = t;
      if (over) over.classList.add("over");
    };
    var pool = area.querySelectorAll(".pool li[data-id]");
    Array.prototype.forEach.call(pool, function (li) {
      li.classList.add("draggable");
      li.addEventListener("pointerdown", function (e) {
        if (e.button !== 0) return;
        e.preventDefault();
        dragging = li;
        li.classList.add("dragging");
        if (li.setPointerCapture) li.setPointerCapture(e.pointerId);
      });
      li.addEventListener("pointermove", function (e) {
        if (dragging === li) hover(targetAt(e.clientX, e.clientY));
      });
      var drop = function (e) {
        if (dragging !== li) return;
        var t = e.type === "pointerup" ? targetAt(e.clientX, e.clientY) : null;
        hover(null);
        li.classList.remove("dragging");
        dragging = null;
        if (!t) return;
        var select = t.querySelector("select");
        select.value = li.dataset.id;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      };
      li.addEventListener("pointerup", drop);
      li.addEventListener("pointercancel", drop);
    });
  });
})();
