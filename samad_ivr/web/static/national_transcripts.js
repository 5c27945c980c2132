// Transcript hits: play the recording from the second the phrase was said.
(function () {
  const player = document.getElementById("player");
  document.querySelectorAll("button.play-at").forEach(function (b) {
    b.addEventListener("click", async function () {
      // A fresh signed URL per play (they live 5 minutes); the play route audits it.
      const r = await fetch("/api/v1/recordings/" + b.dataset.recordingId + "/url",
                            {credentials: "same-origin"});
      if (!r.ok) { alert((await r.json()).error.message); return; }
      const start = parseFloat(b.dataset.start);
      player.src = (await r.json()).url;
      player.addEventListener("loadedmetadata", function () {
        player.currentTime = start;
        player.play();
      }, {once: true});
      player.load();
    });
  });
})();
