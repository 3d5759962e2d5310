// Users page: show the credentials just issued (once: the server keeps only their hashes
// and the authenticator secret, and never shows them again).
"use strict";
document.addEventListener("api:done", function (event) {
  const form = event.target;
  if (!form.classList.contains("credentials")) return;
  const issued = event.detail;
  const box = form.querySelector(".issued");
  const qr = document.createElement("img");
  qr.src = "data:image/svg+xml;base64," + btoa(issued.qr_svg);
  qr.alt = "QR code for the authenticator app of " + issued.username;
  qr.className = "qr";
  const text = document.createElement("p");
  text.textContent = "Give these to " + issued.username + " in person: the first password you typed, and this" +
    " authenticator secret (scan the code, or type it): " + issued.totp_secret +
    ". They are shown only now; the person should change the password after signing in.";
  box.replaceChildren(qr, text);
  form.querySelector("input[name=password]").value = "";
});

// A device just registered: its token, shown once, to be entered once on that device.
document.addEventListener("api:done", function (event) {
  const form = event.target;
  if (!form.classList.contains("device-register")) return;
  const device = event.detail;
  const text = document.createElement("p");
  text.className = "device-token";
  text.textContent = "Device " + device.id + " (" + device.name + ") registered. Its token, shown" +
    " only now — enter it once in the sign-in form on that device: " + device.token;
  form.querySelector(".issued").replaceChildren(text);
  form.querySelector("input[name=name]").value = "";
});
