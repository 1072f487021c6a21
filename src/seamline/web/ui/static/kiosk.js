/* The wall TV's playlist: every view stays loaded (and live); one is shown at a time. */
"use strict";
(function () {
  const S = window.Seamline;
  const box = document.getElementById("frames");
  const frames = S.data.views.map((src, i) => {
    const f = document.createElement("iframe");
    f.src = src;
    f.title = src;
    f.className = "frame" + (i === 0 ? " shown" : "");
    box.append(f);
    return f;
  });
  let at = 0;
  if (frames.length > 1) {
    setInterval(() => {
      frames[at].classList.remove("shown");
      at = (at + 1) % frames.length;
      frames[at].classList.add("shown");
    }, S.data.every_s * 1000);
  }
})();
