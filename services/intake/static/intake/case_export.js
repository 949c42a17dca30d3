// Downloads the case export while showing how far it got: rows for CSV (streamed), bytes for
// Excel (built first, then sent). Without this script the links still download directly.
"use strict";
(function () {
  const box = document.getElementById("export-progress");
  if (!box || !window.fetch || !window.ReadableStream) return;
  const bar = box.querySelector("progress");
  const status = box.querySelector(".export-status");

  function show(done, total, unit) {
    bar.max = Math.max(total, 1);
    bar.value = Math.min(done, total);
    status.textContent = total ? `${done} / ${total} ${unit}` : `${done} ${unit}`;
  }

  async function download(link) {
    box.hidden = false;
    status.textContent = "正在准备文件…";
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const csv = link.dataset.format === "csv";
    const total = csv
      ? Number(response.headers.get("X-Export-Rows") || link.dataset.total || 0)
      : Number(response.headers.get("Content-Length") || 0);
    const reader = response.body.getReader();
    const parts = [];
    let rows = -1; // the header line is not a case
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      bytes += value.length;
      if (csv) {
        for (const byte of value) if (byte === 13) rows += 1; // \r ends a row only
        show(Math.max(rows, 0), total, "行");
      } else {
        show(Math.round(bytes / 1024), Math.round(total / 1024), "KB");
      }
    }
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const url = URL.createObjectURL(new Blob(parts, { type: response.headers.get("Content-Type") }));
    const save = document.createElement("a");
    save.href = url;
    save.download = name ? name[1] : "cases";
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status.textContent = "导出完成。";
  }

  document.querySelectorAll("a.export-download").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      download(link).catch((error) => {
        status.textContent = `导出失败（${error.message}），请重试或缩小筛选范围。`;
      });
    });
  });
})();
