// The header's disclosure buttons: the menus (coordination, administration, account) and, on narrow
// screens, the menu button that shows the whole navigation. Without JavaScript every link stays
// visible (static/css/ohne-js.css). Escape closes the open menu and returns focus to its button; a
// click elsewhere closes it; opening one menu closes the others.
(function () {
  "use strict";

  function target(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var panel = target(button);
    if (panel) panel.classList.toggle("km-open", open);
  }

  function menuToggles() {
    return document.querySelectorAll(".km-menu__toggle[aria-expanded]");
  }

  function closeMenus(except) {
    menuToggles().forEach(function (button) {
      if (button !== except) setOpen(button, false);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-km-toggle]");
    if (button) {
      var open = button.getAttribute("aria-expanded") !== "true";
      if (button.classList.contains("km-menu__toggle")) closeMenus(button);
      setOpen(button, open);
      return;
    }
    if (!event.target.closest(".km-menu")) closeMenus(null);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector(".km-menu__toggle[aria-expanded='true']");
    if (open) {
      setOpen(open, false);
      open.focus();
    }
  });

  document.addEventListener("focusin", function (event) {
    // Tabbing out of a menu closes it, so an open list never hides the page behind it.
    menuToggles().forEach(function (button) {
      var menu = button.closest(".km-menu");
      if (button.getAttribute("aria-expanded") === "true" && menu && !menu.contains(event.target)) {
        setOpen(button, false);
      }
    });
  });
})();

// GOV.UK's error pattern: after a form comes back with errors, the focus moves to the error summary
// (or, without one, to the first error message), so a screen reader reads it first; a link of the
// summary focuses its field and scrolls its label into view.
(function () {
  "use strict";

  function focusErrors() {
    if (!document.body.hasAttribute("data-km-errors")) return;
    var summary =
      document.querySelector("[data-km-error-summary]") || document.querySelector(".km-main .kern-alert--danger");
    if (!summary) return;
    if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".km-main .kern-alert--danger a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    (legend || label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusErrors);
  else focusErrors();
})();
