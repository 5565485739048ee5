// On a phone the header's links fold behind a "Menu" button, so that the page starts with its content.
// Without JavaScript the button stays hidden and the links wrap (static/css/app.css).
(() => {
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.querySelector(".menu-button");
    const nav = document.getElementById("site-nav");
    if (!button || !nav) return;
    button.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", String(open));
      if (open) nav.querySelector("a, button").focus();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  });
})();
