// Progressive enhancement of the search page's photo form: a photo dropped on the form or pasted on
// the page is searched with at once. A file, not an inline script (the Content-Security-Policy).
(() => {
  const form = document.getElementById("image-search");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const searchWith = (files) => {
    const image = [...files].find((file) => file.type.startsWith("image/"));
    if (!image) return false;
    const chosen = new DataTransfer();
    chosen.items.add(image);
    input.files = chosen.files;
    form.requestSubmit();
    return true;
  };
  form.addEventListener("dragover", (event) => { event.preventDefault(); form.classList.add("dragging"); });
  form.addEventListener("dragleave", () => form.classList.remove("dragging"));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("dragging");
    searchWith(event.dataTransfer.files);
  });
  document.addEventListener("paste", (event) => {
    if (event.clipboardData && searchWith(event.clipboardData.files)) event.preventDefault();
  });
})();
