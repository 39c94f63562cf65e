// Feedback inbox keyboard shortcuts. The page works without this file: every change is a form.
//   j / k   next / previous feedback item
//   1 - 9   confirm the item's 1st - 9th suggested tag
//   a       go to the item's "add a tag" list
// Shortcuts can be turned off on the page (WCAG 2.1.4); the choice is kept in this browser.
(function () {
  "use strict";

  var STORE = "smsbot.inbox.shortcuts";
  var help = document.getElementById("shortcuts");
  var toggle = document.getElementById("shortcuts-on");
  var current = null;

  function enabled() {
    return !toggle || toggle.checked;
  }

  function remember(on) {
    try {
      window.localStorage.setItem(STORE, on ? "on" : "off");
    } catch (error) {
      // storage may be unavailable (private mode); the choice then lasts for this page only
    }
  }

  function stored() {
    try {
      return window.localStorage.getItem(STORE) !== "off";
    } catch (error) {
      return true;
    }
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(".inbox-item"));
  }

  function itemOf(element) {
    return element && element.closest ? element.closest(".inbox-item") : null;
  }

  function focusItem(item) {
    if (!item) {
      return;
    }
    current = item;
    item.focus();
  }

  function move(step) {
    var all = items();
    if (!all.length) {
      return;
    }
    var here = all.indexOf(itemOf(document.activeElement) || current);
    var next = here < 0 ? (step > 0 ? 0 : all.length - 1) : here + step;
    focusItem(all[Math.max(0, Math.min(all.length - 1, next))]);
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || !!(target && target.isContentEditable);
  }

  function confirmNth(n) {
    var item = itemOf(document.activeElement) || current;
    if (!item) {
      return;
    }
    var buttons = item.querySelectorAll("button[data-confirm]");
    if (buttons[n - 1]) {
      buttons[n - 1].click();
    }
  }

  function focusAdd() {
    var item = itemOf(document.activeElement) || current || items()[0];
    var field = item ? item.querySelector("select[data-add]") : null;
    if (field) {
      current = item;
      field.focus();
    }
  }

  function onKey(event) {
    if (!enabled() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "j" || key === "k") {
      move(key === "j" ? 1 : -1);
    } else if (key >= "1" && key <= "9") {
      confirmNth(Number(key));
    } else if (key === "a") {
      focusAdd();
    } else {
      return;
    }
    event.preventDefault();
  }

  if (help && toggle) {
    toggle.checked = stored();
    toggle.addEventListener("change", function () {
      remember(toggle.checked);
    });
    help.hidden = false;
  }
  document.addEventListener("keydown", onKey);
  document.addEventListener("focusin", function (event) {
    current = itemOf(event.target) || current;
  });

  var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  if (target && target.classList.contains("inbox-item")) {
    focusItem(target);
  }
})();
