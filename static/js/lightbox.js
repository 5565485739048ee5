// The lightbox of every photo card. HTMX puts a photo's fragment in the dialog; this opens it, steps to the
// previous or next card (buttons, arrow keys, a swipe), gives it an address (#photo-<id>) and hands focus
// back to the card it came from. Without JavaScript the same links open the photo's own page.
(() => {
  const box = document.getElementById("lightbox");
  if (!box) return;
  const cards = () => [...document.querySelectorAll("main a.thumb[data-photo]")];
  let opener = null;

  const current = () => cards().findIndex((card) => card.dataset.photo === box.dataset.photo);

  const show = (card) => {
    if (!card) return;
    opener = card;
    card.click(); // hx-get of the card fills the lightbox
  };

  const step = (by) => {
    const all = cards();
    const index = current();
    if (index < 0) return;
    show(all[index + by]);
  };

  const updateNav = () => {
    const all = cards();
    const index = current();
    box.querySelector("[data-lightbox-prev]").disabled = index <= 0;
    box.querySelector("[data-lightbox-next]").disabled = index < 0 || index >= all.length - 1;
    const position = box.querySelector("[data-lightbox-position]");
    position.textContent = index < 0 ? "" : `${index + 1} / ${all.length}`;
  };

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const card = event.detail.elt.closest && event.detail.elt.closest("a.thumb[data-photo]");
    if (card) opener = card;
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "lightbox-photo") return;
    const detail = event.detail.target.querySelector("[data-photo]");
    box.dataset.photo = detail ? detail.dataset.photo : "";
    updateNav();
    if (!box.open) box.showModal();
    // A button that just went disabled (the first or last photo) drops focus: keep it in the lightbox.
    const focused = document.activeElement;
    if (!box.contains(focused) || focused.disabled) {
      box.querySelector("[data-lightbox-nav] button:not([disabled]), [data-close-lightbox]").focus();
    }
    // Its own address: the page's, with the photo, so that a copied address lands on it.
    history.replaceState(history.state, "", `${location.pathname}${location.search}#photo-${box.dataset.photo}`);
  });

  box.addEventListener("close", () => {
    history.replaceState(history.state, "", `${location.pathname}${location.search}`);
    if (opener && document.contains(opener)) opener.focus();
  });

  document.addEventListener("click", (event) => {
    if (event.target === box || event.target.closest("[data-close-lightbox]")) box.close();
    if (event.target.closest("[data-lightbox-prev]")) step(-1);
    if (event.target.closest("[data-lightbox-next]")) step(1);
    const copy = event.target.closest("[data-copy-link]");
    if (copy && navigator.clipboard) {
      event.preventDefault();
      navigator.clipboard.writeText(copy.href).then(() => {
        const status = copy.parentElement.querySelector("[data-copied]");
        if (status) status.textContent = status.dataset.copied;
      });
    }
  });

  // A modal dialog keeps focus off the page behind it, but Tab past its last control would leave for the
  // browser's own: go round instead.
  const controls = () =>
    [...box.querySelectorAll("a[href], button:not([disabled])")].filter((control) => control.offsetParent !== null);

  document.addEventListener("keydown", (event) => {
    if (!box.open || event.key !== "Tab") return;
    const all = controls();
    const [first, last] = [all[0], all[all.length - 1]];
    if (!first) return;
    if (event.shiftKey && (document.activeElement === first || !box.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !box.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!box.open || event.target.matches("input, textarea, select")) return;
    if (event.key === "ArrowLeft") step(-1);
    if (event.key === "ArrowRight") step(1);
  });

  // A swipe: a mostly horizontal move of at least 50 px.
  let touch = null;
  box.addEventListener("touchstart", (event) => { touch = event.changedTouches[0]; }, { passive: true });
  box.addEventListener("touchend", (event) => {
    if (!touch) return;
    const end = event.changedTouches[0];
    const dx = end.clientX - touch.clientX;
    const dy = end.clientY - touch.clientY;
    touch = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });

  // An address with #photo-<id> opens that photo: its card if it is on the page, else the photo itself.
  const wanted = /^#photo-(\d+)$/.exec(location.hash);
  if (wanted) {
    const start = () => {
      const card = cards().find((each) => each.dataset.photo === wanted[1]);
      if (card) show(card);
      else htmx.ajax("GET", box.dataset.photoUrl.replace("/0/", `/${wanted[1]}/`), { target: "#lightbox-photo" });
    };
    // Once HTMX has set the cards up (it does so when the document is ready).
    window.addEventListener("load", start);
  }
})();
