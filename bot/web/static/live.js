// Keeps a poll page live: the bars and counts follow the bot's Server-Sent Events.
"use strict";
(function () {
  const root = document.getElementById("poll");
  if (!root) return;
  // Set once a form here is sent: the page is on its way to the form's answer, and a
  // reload for the state change the form itself caused would cancel that navigation.
  let leaving = false;
  let source = null;
  root.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      leaving = true;
      if (source) source.close();
    });
  });
  if (!window.EventSource) return;
  const live = document.getElementById("live");
  let state = root.dataset.state;
  // Percentages the way the page's language writes them ("37%", "37 %").
  const percent = new Intl.NumberFormat(root.dataset.lang || undefined, { style: "percent" });
  // Counts grouped the same way ("1,234", "1 234"), as the page was first drawn.
  const count = new Intl.NumberFormat(root.dataset.lang || undefined);
  const shareLabel = root.dataset.shareLabel || "{label}: {share}";

  function showTally(data) {
    document.getElementById("total").textContent = count.format(data.total_votes);
    document.getElementById("voters").textContent = count.format(data.voters);
    const top = Math.max.apply(null, data.options.map(function (o) { return o.votes; }));
    data.options.forEach(function (o) {
      const row = document.querySelector('#bars li[data-option="' + CSS.escape(o.id) + '"]');
      if (!row) return;
      const pct = percent.format(o.share);
      row.querySelector(".votes").textContent = count.format(o.votes);
      row.querySelector(".share").textContent = pct;
      row.querySelector(".fill").setAttribute("width", (o.share * 100).toFixed(2));
      row.querySelector(".bar").setAttribute(
        "aria-label", shareLabel.replace("{label}", o.label).replace("{share}", pct)
      );
      row.classList.toggle("lead", o.votes > 0 && o.votes === top);
    });
    const best = document.querySelector("#p-best strong");
    if (best) best.textContent = percent.format(data.p_leader_best);
  }

  source = new EventSource(root.dataset.events);
  source.addEventListener("open", function () { live.hidden = false; });
  source.addEventListener("error", function () { live.hidden = true; });
  source.addEventListener("tally", function (event) { showTally(JSON.parse(event.data)); });
  source.addEventListener("state", function (event) {
    const data = JSON.parse(event.data);
    if (data.state !== state && !leaving) {
      // Opened or closed elsewhere: the verdict and buttons change, so show the new page.
      source.close();
      window.location.reload();
    }
  });
})();
