"""The web app's server: Python's own HTTP server (no web framework to install), one generation job at a time.

    GET  /                  the page (app/page.html)
    GET  /api/options       tasks, checkpoints and limits for the page
    POST /api/run           multipart form: checkpoint, driving (file) or sample, examples (files), finetune
    GET  /api/jobs/<id>     {state: queued|running|done|error, stage, done, total, message, files}
    GET  /files/<id>/<name> an output video

Uploads are written to a job folder and go through the same checks as `vid2vid generate`; a bad file comes back as
the CLI's one-line message, never a stack trace. Limits on the upload size and the video length keep a shared machine
from being filled up; the server listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vid2vid import tasks
from vid2vid.errors import UserError
from vid2vid.files import write_bytes_atomic

log = logging.getLogger("vid2vid")
OUTPUTS = {"out": "output.mp4", "side": "side_by_side.mp4", "attention": "attention.mp4"}
PREVIEW = "preview.png"  # the middle frame of the side-by-side video, shown on the page
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class AppConfig:
    work: Path  # job folders go here
    checkpoints: dict[str, Path]  # label -> checkpoint, offered on the page
    max_upload_mb: float = 200.0
    max_frames: int = 1500
    max_finetune: int = 200
    device: str = "auto"


@dataclass
class Job:
    id: str
    folder: Path
    state: str = "queued"
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    files: dict[str, str] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "stage": self.stage, "done": self.done, "total": self.total,
                "message": self.message, "files": self.files}


class App:
    """The jobs and what runs them; the HTTP handler below only translates requests."""

    def __init__(self, cfg: AppConfig) -> None:
        self.cfg = cfg
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.busy = threading.Lock()  # one generation at a time: each uses every core

    def options(self) -> dict[str, Any]:
        return {"checkpoints": list(self.cfg.checkpoints), "max_upload_mb": self.cfg.max_upload_mb,
                "max_frames": self.cfg.max_frames, "max_finetune": self.cfg.max_finetune,
                "tasks": [{"name": t.name, "title": t.title} for t in tasks.tasks()]}

    def submit(self, fields: dict[str, str], files: dict[str, list[tuple[str, bytes]]]) -> Job:
        """Check the form, save the uploads and start the job; UserError for anything the user can fix."""
        label = fields.get("checkpoint", "")
        if label not in self.cfg.checkpoints:
            raise UserError(f"unknown checkpoint {label!r}; choose one of {', '.join(self.cfg.checkpoints)}")
        try:
            finetune = int(fields.get("finetune") or 0)
        except ValueError:
            raise UserError(f"finetune steps must be a whole number, got {fields.get('finetune')!r}") from None
        if not 0 <= finetune <= self.cfg.max_finetune:
            raise UserError(f"finetune steps must be between 0 and {self.cfg.max_finetune}")
        job_id = uuid.uuid4().hex[:12]
        job = Job(job_id, self.cfg.work / "jobs" / job_id)
        (job.folder / "in").mkdir(parents=True)
        try:
            driving, examples = self._inputs(job, fields, files, self.cfg.checkpoints[label])
        except BaseException:
            shutil.rmtree(job.folder, ignore_errors=True)
            raise
        with self.lock:
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, self.cfg.checkpoints[label], driving, examples, finetune),
                         daemon=True).start()
        return job

    def _inputs(self, job: Job, fields: dict[str, str], files: dict[str, list[tuple[str, bytes]]],
                checkpoint: Path) -> tuple[Path, list[Path]]:
        if fields.get("sample") == "on":
            return self._sample(job, checkpoint)
        saved = {}
        for key in ("driving", "examples"):
            saved[key] = []
            for i, (name, data) in enumerate(files.get(key, [])):
                if not data:
                    continue
                path = job.folder / "in" / f"{key}-{i}" / (SAFE_NAME.sub("_", Path(name).name) or key)
                path.parent.mkdir()
                write_bytes_atomic(path, data)
                saved[key].append(path)
        if len(saved["driving"]) != 1:
            raise UserError("upload one driving video (or tick 'use the bundled sample')")
        return saved["driving"][0], saved["examples"]

    def _sample(self, job: Job, checkpoint: Path) -> tuple[Path, list[Path]]:
        """The demo's held-out synthetic clip and example frames for the checkpoint's task (made once, cached)."""
        from vid2vid.data.synth.sample import heldout_sample
        from vid2vid.inference.pipeline import Pipeline

        pipe = Pipeline.from_checkpoint(checkpoint, device="cpu")
        h, w = pipe.size
        with self.busy:
            return heldout_sample(pipe.meta.task, h, w, self.cfg.work / "samples" / f"{pipe.meta.task}_{h}x{w}")

    def _run(self, job: Job, checkpoint: Path, driving: Path, examples: list[Path], finetune: int) -> None:
        from vid2vid.inference.generate import GenerateRequest, generate_video

        out = job.folder / "out"
        out.mkdir()
        req = GenerateRequest(checkpoint, driving, tuple(examples), out / OUTPUTS["out"],
                              side_by_side_out=out / OUTPUTS["side"], attention_out=out / OUTPUTS["attention"],
                              finetune=finetune, device=self.cfg.device, max_frames=self.cfg.max_frames,
                              progress=False)

        def stage(text: str) -> None:
            job.stage = text

        def frame(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            job.stage = "waiting for the job before it"
            with self.busy:
                job.state = "running"
                result = generate_video(req, on_stage=stage, on_frame=frame)
            _preview(out / OUTPUTS["side"], out / PREVIEW, result.stats.frames // 2)
            job.files = {key: f"/files/{job.id}/{name}" for key, name in {**OUTPUTS, "preview": PREVIEW}.items()
                         if (out / name).exists()}
            job.message = (f"{result.stats.frames} frames at {result.stats.fps:.3f} fps in {result.stats.seconds:.1f} s"
                           + "".join(f"; warning: {w}" for w in result.warnings))
            job.state, job.stage = "done", "done"
        except UserError as err:  # name uploads by their own file names, not the job folder's
            job.state, job.message = "error", re.sub(re.escape(str(job.folder / "in")) + r"/[a-z]+-\d+/", "",
                                                     str(err))
        except Exception as err:  # a bug: the page gets one line, the server log the traceback
            log.exception(f"job {job.id} failed")
            job.state, job.message = "error", f"internal error ({type(err).__name__}: {err}); see the server log"
        finally:
            shutil.rmtree(job.folder / "in", ignore_errors=True)

    def job(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)


def _preview(video: Path, png: Path, index: int) -> None:
    """Frame ``index`` of ``video``, scaled to at least 256 pixels tall, as a PNG."""
    import cv2

    from vid2vid.data.video import FrameSource
    from vid2vid.files import write_image_atomic

    with FrameSource(video) as src:
        for i, frame in enumerate(src):
            if i == index:
                break
    scale = max(1, 256 // frame.shape[0])
    write_image_atomic(png, cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST))


def make_handler(app: App) -> type[BaseHTTPRequestHandler]:
    page = (importlib.resources.files("vid2vid") / "app" / "page.html").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        server_version = "vid2vid-app"

        def log_message(self, format: str, *args: Any) -> None:  # requests at debug level, not on stderr
            log.debug("app: " + format % args)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/":
                return self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            if path == "/api/options":
                return self._json(app.options())
            match = re.fullmatch(r"/api/jobs/([0-9a-f]{12})", path)
            if match:
                job = app.job(match[1])
                return self._json(job.public()) if job else self._json({"error": "no such job"}, HTTPStatus.NOT_FOUND)
            match = re.fullmatch(r"/files/([0-9a-f]{12})/([a-z_]+\.(mp4|png))", path)
            if match and app.job(match[1]) and match[2] in (*OUTPUTS.values(), PREVIEW):
                file = app.job(match[1]).folder / "out" / match[2]
                if file.is_file():
                    self.send_response(HTTPStatus.OK)
                    self.send_header("Content-Type", "video/mp4" if match[3] == "mp4" else "image/png")
                    self.send_header("Content-Length", str(file.stat().st_size))
                    if match[3] == "mp4":
                        self.send_header("Content-Disposition", f'attachment; filename="{match[2]}"')
                    self.end_headers()
                    with open(file, "rb") as f:
                        shutil.copyfileobj(f, self.wfile)
                    return None
            return self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)

        def do_POST(self) -> None:
            if self.path != "/api/run":
                return self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)
            length = int(self.headers.get("Content-Length") or 0)
            if length > app.cfg.max_upload_mb * 1e6:
                self.close_connection = True
                return self._json({"error": f"the upload is {length / 1e6:.0f} MB; the limit here is "
                                            f"{app.cfg.max_upload_mb:.0f} MB (vid2vid app --max-upload-mb)"},
                                  HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            try:
                fields, files = parse_form(self.headers.get("Content-Type", ""), self.rfile.read(length))
                job = app.submit(fields, files)
            except UserError as err:
                return self._json({"error": str(err)}, HTTPStatus.BAD_REQUEST)
            return self._json(job.public(), HTTPStatus.ACCEPTED)

    return Handler


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, list[tuple[str, bytes]]]]:
    """A multipart/form-data body -> (text fields, {field: [(file name, bytes)]})."""
    if not content_type.startswith("multipart/form-data"):
        raise UserError("the form must be sent as multipart/form-data")
    message = BytesParser(policy=email_policy).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        filename = part.get_filename()
        data = part.get_payload(decode=True) or b""
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            files.setdefault(name, []).append((filename, data))
    return fields, files


def serve(cfg: AppConfig, host: str = "127.0.0.1", port: int = 7860) -> ThreadingHTTPServer:
    """A started server (serve_forever runs in a daemon thread); its URL is ``http://host:server_port/``."""
    cfg.work.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((host, port), make_handler(App(cfg)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
