// umot workspace: the little behaviour plain forms cannot give. No inline script anywhere.
"use strict";

(function () {
  // On a phone the filter and bulk panels start folded, so the mentions come first.
  if (window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll("details.fold").forEach(function (box) { box.open = false; });
  }

  const pickAll = document.getElementById("pick-all");
  if (pickAll) {
    pickAll.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"][form="bulk"]').forEach(function (box) {
        box.checked = pickAll.checked;
      });
    });
  }

  // The review page: a key per label, Enter saves, s skips, z undoes the last label.
  const review = document.getElementById("review");
  if (review) {
    document.addEventListener("keydown", function (event) {
      const target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey ||
          (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && target.type !== "radio")) {
        return;
      }
      const key = event.key === "=" ? "+" : event.key;
      const choice = review.querySelector('input[type="radio"][data-key="' + CSS.escape(key) + '"]');
      if (choice) {
        choice.checked = true;
        event.preventDefault();
      } else if (key === "Enter") {
        event.preventDefault();
        review.requestSubmit();
      } else if (key === "s") {
        document.getElementById("skip").click();
      } else if (key === "z") {
        const undo = document.getElementById("undo");
        if (undo) { undo.requestSubmit(); }
      }
    });
  }

  // A retrain in progress: its panel is refreshed until it is done (the rest of the page,
  // and any label being chosen, stays as it is).
  async function followRetrain() {
    const panel = document.getElementById("retrain");
    if (!panel || panel.dataset.running !== "yes") {
      return;
    }
    try {
      const response = await fetch("/review/retrain", {
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin",
      });
      if (response.ok) {
        const holder = document.createElement("div");
        holder.innerHTML = await response.text(); // the server's template, escaped there
        const fresh = holder.querySelector("#retrain");
        if (fresh) { panel.replaceWith(fresh); }
      }
    } catch (error) {
      // try again at the next tick
    }
    window.setTimeout(followRetrain, 2000);
  }
  window.setTimeout(followRetrain, 2000);

  // New mentions appear at the top of the inbox's first page while it is open.
  const notice = document.getElementById("new-mentions");
  const rows = document.getElementById("rows");
  if (!notice || !rows || notice.dataset.live !== "on") {
    return;
  }
  const every = Math.max(500, 1000 * Number(notice.dataset.every || 15));
  async function poll() {
    const query = notice.dataset.query ? notice.dataset.query + "&" : "";
    const url = "/inbox/new?" + query + "newer_than=" + encodeURIComponent(notice.dataset.newest);
    try {
      const response = await fetch(url, {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        return;
      }
      const newest = response.headers.get("x-newest-seq");
      const html = (await response.text()).trim();
      if (newest) {
        notice.dataset.newest = newest;
      }
      if (html) {
        const holder = document.createElement("div");
        holder.innerHTML = html; // rendered by the server's template, escaped there
        const arrived = holder.querySelectorAll("article.mention");
        arrived.forEach(function (row) { row.classList.add("arrived"); });
        rows.prepend(...arrived);
        notice.textContent = arrived.length + " new mention" + (arrived.length === 1 ? "" : "s") + " added at the top.";
        notice.hidden = false;
        const empty = document.querySelector(".empty");
        if (empty) { empty.remove(); }
      }
    } catch (error) {
      // offline for a moment: try again at the next tick
    }
  }
  window.setInterval(poll, every);
})();
