"""zxing-cpp as the QR bench's baseline (crates/client/benches/qr_decode.rs starts this).

Reads frames from stdin and answers one JSON line per frame on stdout. A frame is a
12-byte header (width, height, repeats: little-endian u32) and width * height grey bytes.
The answer is {"ms": the fastest of `repeats` reads, "texts": [...]}: only the call to
`read_barcodes` is timed, in this process, so Python's start-up and the pipe cost nothing.

zxing-cpp is the PyPI wheel (`pip install zxing-cpp`), called with its defaults
(try_rotate, try_downscale, try_invert, the LocalAverage binarizer) and QR codes only:
the reader an app would call. If it is missing, the first line says so.
"""

import json
import struct
import sys
import time

try:
    import zxingcpp
except ImportError as e:  # the bench prints this and goes on without the baseline
    print(json.dumps({"error": f"zxing-cpp is not installed ({e}); pip install zxing-cpp"}))
    sys.stdout.flush()
    sys.exit(0)

version = getattr(zxingcpp, "__version__", None)
if version is None:
    try:
        from importlib.metadata import version as _v

        version = _v("zxing-cpp")
    except Exception:
        version = "?"
print(json.dumps({"ready": version}))
sys.stdout.flush()

stdin = sys.stdin.buffer
while True:
    header = stdin.read(12)
    if len(header) < 12:
        break
    width, height, repeats = struct.unpack("<III", header)
    data = stdin.read(width * height)
    view = memoryview(data).cast("B", (height, width))
    best = None
    texts = []
    for _ in range(max(repeats, 1)):
        started = time.perf_counter()
        found = zxingcpp.read_barcodes(view, formats=zxingcpp.BarcodeFormat.QRCode)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
        texts = [b.text for b in found]
    print(json.dumps({"ms": best * 1000.0, "texts": texts}))
    sys.stdout.flush()
