// Lore's pages work without this file; it adds what a form cannot do by
// itself: secrets checked as they are typed, the copy button, live job
// progress and the bytes an upload has sent. It loads nothing from elsewhere.
"use strict";

document.addEventListener("DOMContentLoaded", () => enhance(document));

// enhance sets up the elements of a page (or of the page an upload
// answered with) that this file drives.
function enhance(root) {
  for (const form of root.querySelectorAll("form[data-check-url]")) checkAsYouType(form);
  for (const button of root.querySelectorAll("button[data-copy]")) copyButton(button);
  for (const el of root.querySelectorAll("[data-job-url]")) followJob(el);
  for (const input of root.querySelectorAll("input[type=file][data-max-bytes]")) limitFileSize(input);
  for (const form of root.querySelectorAll("form[data-upload]")) uploadWithProgress(form);
}

// limitFileSize refuses a chosen file over the server's limit before it
// is sent: the server refuses such a body before reading it, with an
// error page rather than the form.
function limitFileSize(input) {
  const max = Number(input.dataset.maxBytes);
  input.addEventListener("change", () => {
    const file = input.files[0];
    const tooBig = file && file.size > max;
    input.setCustomValidity(tooBig ? file.name + " is " + Math.ceil(file.size / 1048576) + " MiB; the limit is " + input.dataset.maxLabel + "." : "");
    input.setAttribute("aria-invalid", tooBig ? "true" : "false");
    if (tooBig) input.reportValidity();
  });
}

// checkAsYouType sends the secrets fields to the server's own check (the
// same Validate that storing runs; nothing is stored) after each pause in
// typing, and shows each touched field's problem beside it.
function checkAsYouType(form) {
  const fields = [...form.querySelectorAll("input[data-check]")];
  const touched = new Set();
  let timer = 0;
  const check = async () => {
    const body = {};
    for (const f of fields) body[f.name] = f.value;
    let problems = {};
    try {
      const res = await fetch(form.dataset.checkUrl, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
      if (res.status === 422) problems = (await res.json()).error.fields || {};
      else if (!res.ok) return;
    } catch (e) {
      return; // offline or stopped: the submit still checks
    }
    for (const f of fields) {
      if (!touched.has(f.name)) continue;
      const out = document.getElementById(f.id + "-check");
      const problem = problems[f.name];
      f.setAttribute("aria-invalid", problem ? "true" : "false");
      out.className = problem ? "field-error" : "field-ok";
      out.textContent = problem ? f.dataset.label + " " + problem : f.dataset.label + " looks right.";
    }
  };
  for (const f of fields) {
    f.addEventListener("input", () => {
      touched.add(f.name);
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
  }
}

function copyButton(button) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = "Copied";
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(source);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
  });
}

// followJob polls the job's JSON until it ends and moves the bar.
function followJob(el) {
  const bar = el.querySelector("progress");
  const status = el.querySelector("[data-job-status]");
  const detail = el.querySelector("[data-job-detail]");
  const done = el.querySelector("[data-job-done]");
  const tick = async () => {
    let job;
    try {
      const res = await fetch(el.dataset.jobUrl, {headers: {"Accept": "application/json"}});
      if (!res.ok) throw new Error(String(res.status));
      job = await res.json();
    } catch (e) {
      setTimeout(tick, 2000);
      return;
    }
    const p = job.progress;
    bar.value = job.status === "succeeded" ? 100 : p.percent;
    bar.textContent = bar.value + "%";
    status.textContent = job.finished_at ? job.status : job.status + " · " + bar.value + "%";
    const parts = [];
    if (p.channels_total) parts.push(p.channels_done + " of " + p.channels_total + " done");
    if (p.messages) parts.push(p.messages + " messages");
    if (p.current && !job.finished_at) parts.push(p.current);
    if (job.summary) parts.push(job.summary);
    if (job.error_message) parts.push(job.error_message);
    detail.textContent = parts.join(" · ");
    if (job.finished_at) {
      el.dataset.finished = job.status;
      if (done) done.hidden = false;
      return;
    }
    setTimeout(tick, 500);
  };
  tick();
}

// uploadWithProgress sends a file form as the browser would, but through
// XMLHttpRequest, whose upload events let the form show the bytes sent;
// the page the server answers with (after its redirect, or the form again
// with the reason it refused) is then shown as a navigation shows it.
function uploadWithProgress(form) {
  const bar = form.querySelector("[data-upload-progress]");
  const status = form.querySelector("[data-upload-status]");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.floor(100 * e.loaded / e.total);
      status.textContent = e.loaded < e.total
        ? bytes(e.loaded) + " of " + bytes(e.total) + " sent (" + bar.value + "%)"
        : bytes(e.total) + " sent; Lore is storing it…";
    });
    // A redirect's page gets its address; the form's own answer (the form
    // again, saying why) stays at the form's, as a reload should show it.
    xhr.addEventListener("load", () => showPage(xhr.responseText, xhr.responseURL === form.action ? "" : xhr.responseURL));
    xhr.addEventListener("error", () => {
      bar.hidden = true;
      button.disabled = false;
      status.className = "field-error";
      status.textContent = "The upload stopped: the connection to Lore was lost. Send the file again.";
    });
    bar.value = 0;
    bar.hidden = false;
    button.disabled = true;
    status.className = "help";
    status.textContent = "Sending…";
    xhr.send(new FormData(form));
  });
}

// bytes is a byte count for people: "812 KiB", "3.4 MiB".
function bytes(n) {
  if (n < 1024 * 1024) return Math.ceil(n / 1024) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

// showPage shows the page of an answer as if the browser had navigated to
// it: its body and title, and when url is given, that address in a new
// history entry (going back to the page before reloads that page).
function showPage(html, url) {
  const page = new DOMParser().parseFromString(html, "text/html");
  document.title = page.title;
  document.body.replaceWith(document.adoptNode(page.body));
  if (url && url !== location.href) {
    history.pushState({lore: "upload"}, "", url);
    window.addEventListener("popstate", () => location.reload(), {once: true});
  }
  window.scrollTo(0, 0);
  enhance(document.body);
}
