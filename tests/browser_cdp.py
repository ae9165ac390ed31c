#!/usr/bin/env python3
"""tests/browser_cdp.py - drive a headless chromium through the DevTools
protocol as a person would use the station, for tests/browser_test.sh.

Python standard library only (a minimal WebSocket client, RFC 6455): no
playwright, no selenium, nothing downloaded.

    python3 tests/browser_cdp.py CHROMIUM STATION_URL IMAGE REPORT_HTML OUTDIR

1. opens STATION_URL, waits for the model line;
2. puts IMAGE (a file on disk) into the page's file input (#pick), which is
   what choosing it in the file dialog does: the page posts it to
   /api/predict and draws the result;
3. reads the class shown, the bars, the history row, and checks that the
   Grad-CAM overlay (#heat) is loaded at the model's input size and is not one
   flat colour (its pixels read back through a canvas);
4. screenshots the page (OUTDIR/station.png);
5. opens REPORT_HTML, counts its plots and images, and screenshots the whole
   page (OUTDIR/report.png).

Prints one line `key=value ...` on stdout (class=..., heatmap=WxH, ...) and
exits 0, or prints `FAIL <reason>` and exits 1; exits 3 when chromium does not
start (the caller says SKIPPED).
"""
import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames."""

    def __init__(self, url, timeout=60):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError("websocket handshake refused: " + head.split(b"\r\n", 1)[0].decode())
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise OSError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise OSError("websocket closed by chromium")
            if opcode in (0x9, 0xA):      # ping / pong: not sent by chromium to clients
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr[:60]}...: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def wait(self, expr, what, seconds=60):
        t0 = time.time()
        while time.time() - t0 < seconds:
            if self.eval(expr):
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out after {seconds} s waiting for {what}")

    def screenshot(self, path, full=False):
        params = {"format": "png"}
        if full:
            h = self.eval("Math.ceil(document.documentElement.scrollHeight)")
            w = self.eval("Math.ceil(document.documentElement.scrollWidth)")
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": w, "height": h, "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def start_chromium(chromium, profile):
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--hide-scrollbars", "--window-size=1100,800", f"--user-data-dir={profile}",
            "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"]
    err = open(os.path.join(profile, "stderr.txt"), "w+")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
    t0 = time.time()
    while time.time() - t0 < 60:
        err.seek(0)
        m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", err.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    err.seek(0)
    tail = err.read().strip().splitlines()
    proc.kill()
    raise ChildProcessError(tail[-1] if tail else "no DevTools port")


HEATMAP_CHECK = """(async () => {
  const img = document.getElementById('heat');
  if (!img.complete || !img.naturalWidth) await new Promise((ok, no) => { img.onload = ok; img.onerror = no; });
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return {w: img.naturalWidth, h: img.naturalHeight, colours: colours.size};
})()"""


def main():
    chromium, url, image, report, outdir = sys.argv[1:6]
    profile = tempfile.mkdtemp(prefix="sg_cdp_")
    try:
        proc, port = start_chromium(chromium, profile)
    except ChildProcessError as e:
        print(f"chromium cannot start here: {e}")
        return 3
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        target = next(t for t in targets if t.get("type") == "page")
        page = Page(WebSocket(target["webSocketDebuggerUrl"]))
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Page.navigate", url=url)
        page.wait("document.readyState === 'complete' && /classes/.test(document.getElementById('model').textContent)",
                  "the model line")
        model = page.eval("fetch('/api/model').then(r => r.json())")
        # The file dialog's part: the file input now holds IMAGE, and its change event fires.
        root = page.call("DOM.getDocument")["root"]["nodeId"]
        pick = page.call("DOM.querySelector", nodeId=root, selector="#pick")["nodeId"]
        page.call("DOM.setFileInputFiles", files=[os.path.abspath(image)], nodeId=pick)
        page.wait("document.querySelectorAll('#hist tr').length === 1 || !!document.querySelector('#cls .err')",
                  "the result of the upload")
        err = page.eval("document.querySelector('#cls .err') ? document.querySelector('#cls .err').textContent : ''")
        if err:
            print(f"FAIL the page shows an error for {os.path.basename(image)}: {err}")
            return 1
        shown = page.eval("document.getElementById('cls').textContent")
        fname = page.eval("document.getElementById('fname').textContent")
        bars = page.eval("document.querySelectorAll('#bars .bar').length")
        heat = page.eval(HEATMAP_CHECK)
        page.screenshot(os.path.join(outdir, "station.png"))
        problems = []
        if shown not in model["classes"]:
            problems.append(f"class shown '{shown}' is not one of the model's")
        if fname != os.path.basename(image):
            problems.append(f"file name shown '{fname}'")
        if bars != len(model["classes"]):
            problems.append(f"{bars} bars for {len(model['classes'])} classes")
        if heat["w"] != model["size"] or heat["h"] != model["size"] or heat["colours"] < 8:
            problems.append(f"heatmap {heat['w']}x{heat['h']} with {heat['colours']} colours")
        # The report in the same browser: every section drawn.
        page.call("Page.navigate", url="file://" + os.path.abspath(report))
        page.wait("document.readyState === 'complete' && document.querySelectorAll('svg').length > 0", "the report")
        counts = page.eval("""(() => {
          const imgs = (sel) => Array.from(document.querySelectorAll(sel));
          const loaded = (sel) => imgs(sel).filter(i => i.complete && i.naturalWidth > 0).length;
          return {svg: document.querySelectorAll('svg').length,
                  roc: document.querySelectorAll('polyline.roc').length,
                  mis: imgs('img.mis').length, mis_loaded: loaded('img.mis'),
                  cam: imgs('img.cam').length, cam_loaded: loaded('img.cam')};
        })()""")
        page.screenshot(os.path.join(outdir, "report.png"), full=True)
        if counts["svg"] < 5 or counts["roc"] < 1 or counts["cam"] < 1 or counts["cam_loaded"] != counts["cam"] \
                or counts["mis_loaded"] != counts["mis"]:
            problems.append(f"report sections: {counts}")
        line = (f"class={shown} file={fname} bars={bars} heatmap={heat['w']}x{heat['h']} "
                f"heatmap_colours={heat['colours']} report_svgs={counts['svg']} roc_curves={counts['roc']} "
                f"misclassified_thumbs={counts['mis_loaded']} gradcam_tiles={counts['cam_loaded']}")
        if problems:
            print("FAIL " + "; ".join(problems) + " (" + line + ")")
            return 1
        print(line)
        return 0
    except Exception as e:  # one line for the shell script, whatever failed
        print(f"FAIL {type(e).__name__}: {e}")
        return 1
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    sys.exit(main())
