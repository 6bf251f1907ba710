"""`vid2vid app`: the local web app (vid2vid.app.server)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vid2vid.cli.common import add_device_argument, log

HELP = """\
Start a local web page to animate a person, face or city: pick a checkpoint (the shipped ones and any given with
--checkpoint), upload a driving video and K example photos (or use the bundled synthetic sample), optionally finetune,
and get the output video (with the driving video's audio), a side-by-side video and the attention maps, with
progress while it works. Bad files give the same one-line messages as `vid2vid generate`.

  vid2vid app                                  # then open http://127.0.0.1:7860/
  vid2vid app --checkpoint runs/pose/checkpoint-00010000.pt --port 8000

It listens on 127.0.0.1 only (this machine) unless --host says otherwise, and limits uploads (--max-upload-mb) and
driving videos (--max-frames), so it is not an open door on a shared machine. Ctrl-C stops it."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="local web app: upload a video and photos, get the generated video",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", action="append", default=[], metavar="PATH",
                   help="a checkpoint to offer besides the shipped ones (repeatable)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860; 0 picks a free one)")
    p.add_argument("--max-upload-mb", type=float, default=200.0, help="largest upload accepted (default 200 MB)")
    p.add_argument("--max-frames", type=int, default=1500, help="longest driving video accepted (default 1500)")
    p.add_argument("--max-finetune", type=int, default=200, help="most finetuning steps accepted (default 200)")
    p.add_argument("--work", help="folder for uploads and outputs (default: a temporary folder, removed at exit)")
    add_device_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid import tasks
    from vid2vid.app.server import AppConfig, serve
    from vid2vid.cli.demo import packaged_checkpoint
    from vid2vid.errors import UserError

    checkpoints = {}
    for task in tasks.tasks():
        shipped = packaged_checkpoint(task.name)
        if shipped is not None:
            checkpoints[f"shipped {task.name} ({shipped.name})"] = shipped
    for given in args.checkpoint:
        path = Path(given)
        if not path.is_file():
            raise UserError(f"--checkpoint {path} not found")
        checkpoints[str(path)] = path
    if not checkpoints:
        raise UserError("no checkpoint to offer: none is shipped for any task; pass --checkpoint PATH")
    with tempfile.TemporaryDirectory(prefix="vid2vid-app-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        cfg = AppConfig(work, checkpoints, args.max_upload_mb, args.max_frames, args.max_finetune, args.device)
        try:
            server = serve(cfg, args.host, args.port)
        except OSError as err:
            raise UserError(f"cannot listen on {args.host}:{args.port} ({err.strerror}); "
                            "choose another --port") from None
        log.warning(f"vid2vid app: serving on http://{args.host}:{server.server_port}/ (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        finally:
            server.shutdown()
