// The lightbox of every photo card: HTMX puts a photo's fragment in the dialog, this opens it.
// Without JavaScript the same links open the photo's own page. A file, not an inline script: the
// Content-Security-Policy allows scripts from this site only.
document.body.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "lightbox") event.detail.target.showModal();
});
document.addEventListener("click", (event) => {
  const box = document.getElementById("lightbox");
  if (box && (event.target === box || event.target.closest("[data-close-lightbox]"))) box.close();
});
