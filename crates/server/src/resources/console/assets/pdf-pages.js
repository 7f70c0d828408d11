// The officer console's request page (templates/console/request.html): draws the pages of each
// PDF attachment on the page with Mozilla's pdf.js, served by this server from its npm package
// (`--pdfjs-dir`), so the officer reads the scans beside the details without a PDF reader and
// without the browser's own viewer. A module file: the console's Content Security Policy allows
// no inline script. pdf.js runs the PDF's parsing in its worker, with `eval` off and no
// scripting (pdf.js's scripting is a separate sandbox this page does not load); the download
// link stays for a reader of the officer's choosing.
import * as pdfjs from "/console/assets/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/console/assets/pdfjs/pdf.worker.min.mjs";

// Pages drawn per document; a longer one says how many more there are.
const MAX_PAGES = 20;
// The width of a drawn page on the screen, in CSS pixels (narrower on a narrow window).
const PAGE_WIDTH = 760;

function say(status, vi, en) {
  status.textContent = vi + " ";
  const english = document.createElement("span");
  english.lang = "en";
  english.className = "en";
  english.textContent = en;
  status.append(english);
}

async function draw(figure) {
  const status = figure.querySelector(".pdf-status");
  const pagesBox = figure.querySelector(".pdf-pages");
  const response = await fetch(figure.dataset.pdf, {
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok) {
    throw new Error("HTTP " + response.status);
  }
  const data = new Uint8Array(await response.arrayBuffer());
  const pdf = await pdfjs.getDocument({
    data,
    isEvalSupported: false,
    enableXfa: false,
    // Image decoders in WebAssembly would need 'wasm-unsafe-eval' in the policy: left out, so
    // a JPEG 2000 image inside a PDF is not drawn (the download link opens it).
    useWasm: false,
    standardFontDataUrl: "/console/assets/pdfjs/standard_fonts/",
  }).promise;
  const total = pdf.numPages;
  const shown = Math.min(total, MAX_PAGES);
  const width = Math.min(PAGE_WIDTH, pagesBox.clientWidth || PAGE_WIDTH);
  const ratio = window.devicePixelRatio || 1;
  for (let n = 1; n <= shown; n++) {
    const page = await pdf.getPage(n);
    const unscaled = page.getViewport({ scale: 1 });
    const scale = width / unscaled.width;
    const viewport = page.getViewport({ scale: scale * ratio });
    const canvas = document.createElement("canvas");
    canvas.className = "pdf-page";
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = Math.floor(viewport.width / ratio) + "px";
    canvas.setAttribute("role", "img");
    canvas.setAttribute(
      "aria-label",
      `${figure.dataset.name} — trang ${n}/${total} (page ${n} of ${total})`,
    );
    pagesBox.append(canvas);
    await page.render({ canvas, viewport }).promise;
    page.cleanup();
  }
  if (shown < total) {
    say(
      status,
      `${total} trang; đã hiện ${shown} trang đầu — tải tệp để xem hết.`,
      `${total} pages; the first ${shown} are shown — download the file to see them all.`,
    );
  } else {
    say(status, `${total} trang.`, `${total} ${total === 1 ? "page" : "pages"}.`);
  }
  figure.dataset.drawn = String(shown);
  await pdf.destroy();
}

for (const figure of document.querySelectorAll("figure[data-pdf]")) {
  draw(figure).catch(() => {
    figure.dataset.drawn = "failed";
    say(
      figure.querySelector(".pdf-status"),
      "Không hiển thị được tệp PDF này trên trang; hãy tải tệp về để xem.",
      "This PDF could not be shown on the page; download it to read it.",
    );
  });
}
