// A live count under each evidence box: "123 of 2000 characters". The limit itself is the
// packet service's rule; this only helps a person stay within it.
document.querySelectorAll("[data-counter]").forEach((box) => {
  const counter = document.querySelector(`.counter[data-for="${box.id}"]`);
  if (!counter) return;
  const limit = Number(box.getAttribute("maxlength"));
  const update = () => {
    counter.textContent = `${[...box.value].length} of ${limit} characters`;
  };
  box.addEventListener("input", update);
  update();
});
