"""Run deploy/nginx.conf as it is, on a loopback port, against a build: for the tests, the load run
and a local look. The wrapper only supplies what a server's main nginx.conf would (pid, logs, temp
folders, mime types) and points the configuration's paths at the build.

    python deploy/nginx_local.py [BUILD_DIR=_build] [PORT=8080]     # Ctrl+C stops it

Ctrl+C, SIGINT or SIGTERM (also when started in the background with `&`, where the shell makes the
process ignore SIGINT) stop nginx and remove the temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
SITE_ROOT = "/var/www/norway-health-export"
HEADERS = "/etc/nginx/kb-security-headers.conf"
# Debian's package puts the brotli_static module here (and loads it from /etc/nginx/modules-enabled,
# which a wrapper with its own prefix cannot use: "modules/..." would resolve inside the work folder).
BROTLI_STATIC = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so"
WRAPPER = """\
daemon off;
load_module {brotli};
{user}
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/site.conf;
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise RuntimeError("nginx is missing: `make test` installs it (Debian package nginx)")
    if not Path(BROTLI_STATIC).is_file():
        raise RuntimeError("nginx's brotli_static module is missing: `make test` installs it "
                           "(Debian package libnginx-mod-http-brotli-static)")
    return found


def configure(build: Path, port: int, work: Path, *, ready_made: bool = True) -> Path:
    """The repository's configuration, with the build's paths and a loopback port, ready to run.
    ready_made=False turns gzip_static and brotli_static off (every response compressed on the fly, with
    gzip), for comparison."""
    server = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    if not ready_made:
        server = server.replace("gzip_static on;", "gzip_static off;").replace("brotli_static on;", "brotli_static off;")
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
    server = server.replace(HEADERS, str(DEPLOY / "security-headers.conf"))
    server = server.replace(f"{SITE_ROOT}/html", str(build / "html")).replace(f"{SITE_ROOT}/nginx", str(build / "nginx"))
    (work / "site.conf").write_text(server, encoding="utf-8")
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the build, wherever it is
    config = work / "nginx.conf"
    config.write_text(WRAPPER.format(work=work, user=user, brotli=BROTLI_STATIC), encoding="utf-8")
    return config


def start(build: Path, port: int, work: Path, *, ready_made: bool = True) -> subprocess.Popen[bytes]:
    config = configure(build.resolve(), port, work, ready_made=ready_made)
    check = subprocess.run([nginx_binary(), "-t", "-p", str(work), "-c", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejects the configuration:\n{check.stderr}")
    process = subprocess.Popen([nginx_binary(), "-p", str(work), "-c", str(config)])
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                return process
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not answer on port {port}; see {work / 'error.log'}")
    except BaseException:  # a signal or a failure while starting: never leave nginx behind
        stop(process)
        raise


def stop(process: subprocess.Popen[bytes]) -> None:
    """nginx's fast shutdown (SIGTERM), waited for; SIGKILL if it does not go within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stopped(Exception):
    """Raised by the signal handlers, so the cleanup below runs whatever was going on."""


def on_signal(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def main() -> int:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else "_build")
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    # Explicit handlers: a background job inherits SIGINT ignored, and Python's default SIGTERM
    # would end the wrapper without stopping nginx or removing the folder.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    work = Path(tempfile.mkdtemp(prefix="kb-nginx-"))
    process = None
    try:
        process = start(build, port, work)
        print(f"nginx serves {build / 'html'} on http://127.0.0.1:{port}/ (Ctrl+C stops it; "
              f"temporary folder {work})", flush=True)
        return process.wait()
    except Stopped:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not interrupt the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if process is not None:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
