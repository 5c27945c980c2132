// The case file's recording: each play asks for a fresh signed URL (they live 5 minutes),
// and the server writes the listen audit row before the first byte.
(function () {
  document.querySelectorAll(".casefile button.play").forEach(function (button) {
    const box = button.closest(".recording");
    const player = box.querySelector("audio.player");
    const error = box.querySelector(".play-error");
    button.addEventListener("click", async function () {
      error.hidden = true;
      try {
        const r = await fetch("/api/v1/recordings/" + button.dataset.recordingId + "/url",
                              {credentials: "same-origin"});
        const body = await r.json();
        if (!r.ok) { throw new Error(body.error.message); }
        player.src = body.url;
        await player.play();
      } catch (e) {
        error.textContent = e.message || "پخش ممکن نشد.";
        error.hidden = false;
      }
    });
  });
})();
