// National calls list: play or download a recording through a fresh signed URL.
(function () {
  // Signed URLs live 5 minutes, so each play asks for a fresh one.
  async function signed(id) {
    const r = await fetch("/api/v1/recordings/" + id + "/url", {credentials: "same-origin"});
    if (!r.ok) { throw new Error((await r.json()).error.message); }
    return r.json();
  }
  const player = document.getElementById("player");
  document.querySelectorAll("button.play").forEach(function (b) {
    b.addEventListener("click", async function () {
      const urls = await signed(b.dataset.recordingId);
      player.src = urls.url;
      player.play();
    });
  });
  document.querySelectorAll("button.download").forEach(function (b) {
    b.addEventListener("click", async function () {
      window.location.href = (await signed(b.dataset.recordingId)).download_url;
    });
  });
})();
