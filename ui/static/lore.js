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
  for (const form of root.querySelectorAll("form[data-preview-url]")) previewSettings(form);
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

// followJob polls the job's JSON until it ends and moves the bar; a job
// that ended before the page was shown is read once.
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
    showCounts(el, job);
    if (job.finished_at) {
      const ended = !el.dataset.finished;
      el.dataset.finished = job.status;
      if (done) done.hidden = false;
      if (ended) showOutcome();
      return;
    }
    setTimeout(tick, 500);
  };
  tick();
}

// showCounts writes a job's counts (channels, messages, API calls, 429s
// met) and times into the job page's fields, says when it is stopping, and
// once it has ended removes the cancel button (and the first question when
// it failed or was cancelled) and links the document an extraction made.
function showCounts(el, job) {
  const p = job.progress;
  const set = (name, text) => {
    const dd = el.querySelector('[data-count="' + name + '"]');
    if (dd) dd.textContent = text;
  };
  set("channels", p.channels_total ? p.channels_done + " of " + p.channels_total : "–");
  set("messages", String(p.messages));
  set("api_calls", String(p.api_calls));
  set("rate_limited", String(p.rate_limited));
  set("current", job.finished_at ? "–" : (p.current || "waiting"));
  const status = el.querySelector("[data-job-status]");
  if (status) status.className = "job-" + job.status;
  if (job.cancel_requested && !job.finished_at && !el.querySelector("[data-job-stopping]")) {
    const note = document.createElement("span");
    note.dataset.jobStopping = "";
    note.textContent = " · stopping: a cancel was asked for";
    status.after(note);
  }
  for (const dd of document.querySelectorAll("[data-when]")) {
    const t = job[dd.dataset.when];
    if (t) dd.textContent = new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }
  if (!job.finished_at) return;
  const stopping = el.querySelector("[data-job-stopping]");
  if (stopping) stopping.remove();
  const cancel = el.querySelector("[data-job-cancel]");
  if (cancel) cancel.remove();
  const ask = el.querySelector("[data-job-ask]");
  if (ask && job.status !== "succeeded" && job.status !== "partial") ask.remove();
  const doc = el.querySelector("[data-job-document]");
  if (doc && job.result && job.result.document_id) {
    doc.href = "/documents/" + job.result.document_id;
    doc.hidden = false;
  }
}

// showOutcome adds what the page says of an ended job below it (the
// channels or days a partial run could not read, its notes): the server's
// own rendering of the page, fetched again, so that it is written once.
async function showOutcome() {
  if (document.querySelector("[data-job-outcome]")) return;
  try {
    const res = await fetch(location.pathname, {headers: {"Accept": "text/html"}});
    if (!res.ok) return;
    const page = new DOMParser().parseFromString(await res.text(), "text/html");
    const main = document.querySelector("main");
    for (const section of page.querySelectorAll("[data-job-outcome]")) main.append(document.importNode(section, true));
  } catch (e) {
    // offline or stopped: a reload shows it
  }
}

// previewSettings says, as an admin types, what the settings page says
// beside the backfill schedule (in words, with its next run) and the
// retention (what a lower one deletes at the next run), from the server's
// preview: the same words the page shows once saved. Nothing is saved.
function previewSettings(form) {
  const notes = {backfill_schedule: "backfill_schedule-next", message_retention_days: "message_retention_days-note"};
  for (const [name, noteId] of Object.entries(notes)) {
    const input = document.getElementById(name);
    const note = document.getElementById(noteId);
    if (!input || !note || input.disabled) continue;
    let timer = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        let answer;
        try {
          const res = await fetch(form.dataset.previewUrl + "?" + new URLSearchParams({[name]: input.value}), {headers: {"Accept": "application/json"}});
          if (!res.ok) return;
          answer = (await res.json())[name];
        } catch (e) {
          return; // offline or stopped: saving still checks
        }
        if (!answer) return;
        note.textContent = answer.error || answer.text;
        note.classList.toggle("field-error", Boolean(answer.error));
      }, 300);
    });
  }
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
